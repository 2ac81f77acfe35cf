package capture

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gopacket/gopacket/layers"
)

// MaxSnaplen is the largest packet capture length rawsock reads or writes,
// tcpdump's MAXIMUM_SNAPLEN. Buffers are sized by it, never by a length
// found in a file.
const MaxSnaplen = 262144

// linkNames are the link types rawsock decodes, with tcpdump's DLT names and
// descriptions (the words "tcpdump -r" prints in "reading from file ...,
// link-type EN10MB (Ethernet)").
var linkNames = []struct {
	lt          layers.LinkType
	name, descr string
}{
	{layers.LinkTypeNull, "NULL", "BSD loopback"},
	{layers.LinkTypeEthernet, "EN10MB", "Ethernet"},
	{layers.LinkTypeRaw, "RAW", "Raw IP"},
	{layers.LinkTypeLoop, "LOOP", "OpenBSD loopback"},
	{layers.LinkTypeLinuxSLL, "LINUX_SLL", "Linux cooked v1"},
	{layers.LinkTypeIPv4, "IPV4", "Raw IPv4"},
	{layers.LinkTypeIPv6, "IPV6", "Raw IPv6"},
	{layers.LinkTypeLinuxSLL2, "LINUX_SLL2", "Linux cooked v2"},
}

// LinkTypeName returns tcpdump's name for a link type ("EN10MB",
// "LINUX_SLL2"), or its number when rawsock does not know it.
func LinkTypeName(lt layers.LinkType) string {
	for _, n := range linkNames {
		if n.lt == lt {
			return n.name
		}
	}
	return strconv.Itoa(int(lt))
}

// LinkTypeDescription returns tcpdump's description of a link type
// ("Ethernet", "Linux cooked v2").
func LinkTypeDescription(lt layers.LinkType) string {
	for _, n := range linkNames {
		if n.lt == lt {
			return n.descr
		}
	}
	return "unknown"
}

// ParseLinkType reads a link type by tcpdump's name ("EN10MB",
// "LINUX_SLL2", case does not matter) or by number.
func ParseLinkType(s string) (layers.LinkType, error) {
	for _, n := range linkNames {
		if strings.EqualFold(n.name, s) {
			return n.lt, nil
		}
	}
	if v, err := strconv.ParseUint(s, 10, 16); err == nil {
		return layers.LinkType(v), nil
	}
	var names []string
	for _, n := range linkNames {
		names = append(names, n.name)
	}
	return 0, fmt.Errorf("unknown link type %q: use one of %s or a number", s, strings.Join(names, ", "))
}

// Decodable reports whether rawsock's Decoder understands the link type.
func Decodable(lt layers.LinkType) bool {
	switch lt {
	case layers.LinkTypeNull, layers.LinkTypeLoop, layers.LinkTypeEthernet, layers.LinkTypeRaw, 12, 14,
		layers.LinkTypeIPv4, layers.LinkTypeIPv6, layers.LinkTypeLinuxSLL, layers.LinkTypeLinuxSLL2:
		return true
	}
	return false
}
