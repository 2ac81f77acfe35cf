package capture

import (
	"encoding/binary"
	"errors"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// A Decoder decodes frames into layers it owns, allocated once: decoding a
// frame of the protocols rawsock knows allocates nothing. After Decode, the
// layers listed in Layers hold the frame's fields; their slices point into
// the frame, so they are valid as long as its bytes are.
//
// The link layers, ARP, 802.1Q, ICMP, TCP and UDP are gopacket's; IPv4
// differs from gopacket's only in decoding the transport header of a first
// fragment; IPv6 (with its extension headers), IGMP and DNS are rawsock's
// own, which decode every version without allocating and stop safely at
// hostile lengths.
type Decoder struct {
	Ethernet layers.Ethernet
	Dot1Q    [2]layers.Dot1Q // an outer (802.1ad) and an inner tag
	SLL      layers.LinuxSLL
	SLL2     layers.LinuxSLL2
	Loopback layers.Loopback
	ARP      layers.ARP
	IPv4     IPv4
	IPv6     IPv6
	ICMPv4   layers.ICMPv4
	ICMPv6   layers.ICMPv6
	IGMP     IGMP
	TCP      TCP
	UDP      UDP
	DNS      DNS
	Payload  gopacket.Payload

	// LinkType is the link type of the last frame decoded.
	LinkType layers.LinkType
	// Layers lists the layers decoded from the last frame, outermost first.
	Layers []gopacket.LayerType
	// Truncated is set when the capture holds less of the frame than its
	// headers say it had.
	Truncated bool
	// Err is why decoding stopped early: a layer too short for its header
	// or with an impossible field. The layers before it are good.
	Err error

	parsers  map[layers.LinkType]*gopacket.DecodingLayerParser
	ip4, ip6 *gopacket.DecodingLayerParser
	dot1q    dot1qPair
}

// NewDecoder returns a Decoder for every link type Decodable reports.
func NewDecoder() *Decoder {
	d := &Decoder{Layers: make([]gopacket.LayerType, 0, 16)}
	d.dot1q = dot1qPair{d: d}
	all := []gopacket.DecodingLayer{
		&d.Ethernet, &d.dot1q, &d.SLL, &d.SLL2, &d.Loopback, &d.ARP, &d.IPv4, &d.IPv6,
		&d.ICMPv4, &d.ICMPv6, &d.IGMP, &d.TCP, &d.UDP, &d.DNS, &d.Payload,
	}
	mk := func(first gopacket.LayerType) *gopacket.DecodingLayerParser {
		p := gopacket.NewDecodingLayerParser(first, all...)
		p.IgnoreUnsupported = true
		return p
	}
	eth, sll, sll2, loop := mk(layers.LayerTypeEthernet), mk(layers.LayerTypeLinuxSLL), mk(layers.LayerTypeLinuxSLL2), mk(layers.LayerTypeLoopback)
	d.ip4, d.ip6 = mk(layers.LayerTypeIPv4), mk(layers.LayerTypeIPv6)
	d.parsers = map[layers.LinkType]*gopacket.DecodingLayerParser{
		layers.LinkTypeEthernet:  eth,
		layers.LinkTypeLinuxSLL:  sll,
		layers.LinkTypeLinuxSLL2: sll2,
		layers.LinkTypeNull:      loop,
		layers.LinkTypeLoop:      loop,
		layers.LinkTypeIPv4:      d.ip4,
		layers.LinkTypeIPv6:      d.ip6,
	}
	return d
}

// ErrLinkType is the error of a frame whose link type the Decoder does not
// know.
var ErrLinkType = errors.New("link type not supported")

// Decode decodes one frame of the given link type. It returns d.Err: nil
// when every header was whole, or why decoding stopped, in which case the
// layers before the damage are still in d.Layers.
func (d *Decoder) Decode(link layers.LinkType, data []byte) error {
	d.LinkType = link
	d.Layers = d.Layers[:0]
	d.Truncated = false
	d.Err = nil
	d.dot1q.n = 0
	var p *gopacket.DecodingLayerParser
	switch link {
	case layers.LinkTypeRaw, 12, 14: // DLT_RAW as OpenBSD and BSD/OS number it
		p = d.ip4
		if len(data) > 0 && data[0]>>4 == 6 {
			p = d.ip6
		}
	default:
		p = d.parsers[link]
	}
	if p == nil {
		d.Err = ErrLinkType
		return d.Err
	}
	d.Err = p.DecodeLayers(data, &d.Layers)
	d.Truncated = p.Truncated || d.IPv4.truncated || d.IPv6.truncated
	return d.Err
}

// Has reports whether the last frame decoded had a layer of type t.
func (d *Decoder) Has(t gopacket.LayerType) bool {
	for _, l := range d.Layers {
		if l == t {
			return true
		}
	}
	return false
}

// dot1qPair decodes up to two stacked VLAN tags into Decoder.Dot1Q: the
// parser keeps one decoder per layer type, and QinQ frames have two.
type dot1qPair struct {
	d *Decoder
	n int
}

func (p *dot1qPair) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	i := min(p.n, 1)
	p.n++
	return p.d.Dot1Q[i].DecodeFromBytes(data, df)
}
func (p *dot1qPair) CanDecode() gopacket.LayerClass { return layers.LayerTypeDot1Q }
func (p *dot1qPair) NextLayerType() gopacket.LayerType {
	return p.d.Dot1Q[min(p.n, 2)-1].NextLayerType()
}
func (p *dot1qPair) LayerPayload() []byte { return p.d.Dot1Q[min(p.n, 2)-1].LayerPayload() }

// VLANs returns the VLAN tags of the last frame decoded, outermost first.
func (d *Decoder) VLANs() []layers.Dot1Q { return d.Dot1Q[:min(d.dot1q.n, 2)] }

// IPv4 is gopacket's IPv4 layer, except that the first fragment of a
// fragmented datagram goes on to its transport header, as tcpdump shows it.
type IPv4 struct {
	layers.IPv4
	truncated bool
}

// DecodeFromBytes decodes an IPv4 header.
func (ip *IPv4) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	ip.truncated = false
	if len(data) >= 4 {
		if n := int(binary.BigEndian.Uint16(data[2:])); n > len(data) {
			ip.truncated = true
		}
	}
	return ip.IPv4.DecodeFromBytes(data, df)
}

// NextLayerType is the transport layer, unless this is a later fragment.
func (ip *IPv4) NextLayerType() gopacket.LayerType {
	if ip.FragOffset != 0 {
		return gopacket.LayerTypeFragment
	}
	return ip.Protocol.LayerType()
}

// Src returns the source address.
func (ip *IPv4) Src() netip.Addr { return addr4(ip.SrcIP) }

// Dst returns the destination address.
func (ip *IPv4) Dst() netip.Addr { return addr4(ip.DstIP) }

func addr4(b []byte) netip.Addr {
	if len(b) < 4 {
		return netip.Addr{}
	}
	return netip.AddrFrom4([4]byte(b[:4]))
}

// TCP is gopacket's TCP layer; its payload is never decoded further.
type TCP struct{ layers.TCP }

// NextLayerType is always the payload.
func (t *TCP) NextLayerType() gopacket.LayerType { return gopacket.LayerTypePayload }

// UDP is gopacket's UDP layer; only DNS (port 53) is decoded behind it.
type UDP struct{ layers.UDP }

// NextLayerType is DNS for port 53 and the payload otherwise.
func (u *UDP) NextLayerType() gopacket.LayerType {
	if u.SrcPort == 53 || u.DstPort == 53 {
		return layers.LayerTypeDNS
	}
	return gopacket.LayerTypePayload
}
