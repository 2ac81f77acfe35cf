package craft

import (
	"bytes"
	"encoding/binary"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// An Answer says how a packet answers one that was sent.
type Answer int

const (
	// NoAnswer: the packet is not about the one sent.
	NoAnswer Answer = iota
	// Reply: the peer's answer — an echo reply to an echo request (and
	// likewise timestamp, information, address mask), or TCP or UDP from
	// the port and address the packet went to, back to its source.
	Reply
	// ICMPError: an ICMP or ICMPv6 error whose quoted datagram is the
	// packet sent (addresses, protocol, IPv4 id and the first 8 bytes of
	// its transport header).
	ICMPError
)

// String returns reply, icmp-error or none, as send --json writes them.
func (a Answer) String() string {
	switch a {
	case Reply:
		return "reply"
	case ICMPError:
		return "icmp-error"
	}
	return "none"
}

// ipView is what matching needs of an IPv4 or IPv6 packet.
type ipView struct {
	v6       bool
	src, dst netip.Addr
	proto    uint8
	id       uint16
	l4       []byte
}

func viewIP(b []byte) (ipView, bool) {
	if len(b) < 20 {
		return ipView{}, false
	}
	switch b[0] >> 4 {
	case 4:
		hl := int(b[0]&0x0f) * 4
		if hl < 20 || hl > len(b) {
			return ipView{}, false
		}
		end := len(b)
		if n := int(binary.BigEndian.Uint16(b[2:])); n >= hl && n < end {
			end = n
		}
		return ipView{
			src: netip.AddrFrom4([4]byte(b[12:16])), dst: netip.AddrFrom4([4]byte(b[16:20])),
			proto: b[9], id: binary.BigEndian.Uint16(b[4:]), l4: b[hl:end],
		}, true
	case 6:
		if len(b) < 40 {
			return ipView{}, false
		}
		end := len(b)
		if n := 40 + int(binary.BigEndian.Uint16(b[4:])); n < end {
			end = n
		}
		return ipView{
			v6: true, src: netip.AddrFrom16([16]byte(b[8:24])), dst: netip.AddrFrom16([16]byte(b[24:40])),
			proto: b[6], l4: b[40:end],
		}, true
	}
	return ipView{}, false
}

// stripLink returns the IP packet inside data whose outermost layer is
// first: an Ethernet frame's payload, or data itself.
func stripLink(data []byte, first gopacket.LayerType) []byte {
	if first == layers.LayerTypeEthernet {
		if len(data) < 14 {
			return nil
		}
		return data[14:]
	}
	return data
}

// echoPairs maps a request type to its reply type, ICMPv4 and ICMPv6.
var echoPairs = map[[2]uint8]uint8{
	{1, 8}: 0, {1, 13}: 14, {1, 15}: 16, {1, 17}: 18,
	{58, 128}: 129,
}

// Answers says whether reply answers sent, and how. Each starts with the
// layer its LayerType names (Ethernet, IPv4 or IPv6).
func Answers(sent []byte, sentFirst gopacket.LayerType, reply []byte, replyFirst gopacket.LayerType) Answer {
	s, ok1 := viewIP(stripLink(sent, sentFirst))
	r, ok2 := viewIP(stripLink(reply, replyFirst))
	if !ok1 || !ok2 || s.v6 != r.v6 {
		return NoAnswer
	}
	icmp := uint8(1)
	if r.v6 {
		icmp = 58
	}
	if r.proto == icmp && len(r.l4) >= 8 && isICMPError(r.v6, r.l4[0]) {
		if quotes(r.l4[8:], s) {
			return ICMPError
		}
		return NoAnswer
	}
	// A direct answer comes back from where the packet went (any host,
	// for a packet sent to a group or a broadcast) to where it came from.
	if !s.dst.IsMulticast() && !isBroadcast(s.dst) && r.src != s.dst {
		return NoAnswer
	}
	if s.src.IsValid() && !s.src.IsUnspecified() && r.dst != s.src {
		return NoAnswer
	}
	switch {
	case r.proto == icmp && s.proto == icmp:
		if len(s.l4) < 8 || len(r.l4) < 8 {
			return NoAnswer
		}
		want, ok := echoPairs[[2]uint8{icmp, s.l4[0]}]
		if ok && r.l4[0] == want && bytes.Equal(r.l4[4:8], s.l4[4:8]) {
			return Reply
		}
	case (r.proto == 6 || r.proto == 17) && r.proto == s.proto:
		if len(s.l4) >= 4 && len(r.l4) >= 4 &&
			bytes.Equal(r.l4[0:2], s.l4[2:4]) && bytes.Equal(r.l4[2:4], s.l4[0:2]) {
			return Reply
		}
	}
	return NoAnswer
}

func isICMPError(v6 bool, t uint8) bool {
	if v6 {
		return t >= 1 && t <= 4
	}
	return icmpIsError(t)
}

// isBroadcast guesses a broadcast address: 255.255.255.255, or one ending
// in .255 (a /24's).
func isBroadcast(a netip.Addr) bool {
	return a.Is4() && (a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) || a.As4()[3] == 255)
}

// quotes reports whether the datagram an ICMP error quotes is s: same
// addresses, protocol and IPv4 id (a router changes the TTL and checksum),
// and the same first bytes of the transport header, as many as are quoted
// up to 8.
func quotes(quoted []byte, s ipView) bool {
	q, ok := viewIP(quoted)
	if !ok || q.v6 != s.v6 || q.src != s.src || q.dst != s.dst || q.proto != s.proto || q.id != s.id {
		return false
	}
	// The quote is usually cut short of the length its header says:
	// compare the transport bytes it has, at most 8.
	var l4 []byte
	if q.v6 {
		l4 = quoted[40:]
	} else {
		l4 = quoted[int(quoted[0]&0x0f)*4:]
	}
	n := min(8, len(l4), len(s.l4))
	return n > 0 && bytes.Equal(l4[:n], s.l4[:n])
}
