package probe

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"github.com/rawsock/rawsock/internal/csum"
)

// ICMP and ICMPv6 message types this package sends or understands
// (RFC 792, RFC 4443).
const (
	icmpEchoReply    = 0
	icmpUnreach      = 3
	icmpSourceQuench = 4
	icmpRedirect     = 5
	icmpEcho         = 8
	icmpTimeExceeded = 11
	icmpParamProblem = 12

	icmp6Unreach      = 1
	icmp6PacketTooBig = 2
	icmp6TimeExceeded = 3
	icmp6ParamProblem = 4
	icmp6Echo         = 128
	icmp6EchoReply    = 129
)

// echoType returns the type of an echo request (reply false) or echo
// reply (reply true) in the family of v6.
func echoType(v6, reply bool) uint8 {
	switch {
	case v6 && reply:
		return icmp6EchoReply
	case v6:
		return icmp6Echo
	case reply:
		return icmpEchoReply
	}
	return icmpEcho
}

// An Echo is the header of an ICMP or ICMPv6 echo message and its data.
type Echo struct {
	Type, Code uint8
	Checksum   uint16
	ID, Seq    uint16
	// Data is everything after the 8-byte header; it aliases the buffer
	// the Echo was parsed from.
	Data []byte
}

var errShort = errors.New("packet too short")

// ParseEcho reads an ICMP echo header from b, which starts at the ICMP
// header. It checks the length only: the caller looks at Type.
func ParseEcho(b []byte) (Echo, error) {
	if len(b) < 8 {
		return Echo{}, errShort
	}
	return Echo{
		Type:     b[0],
		Code:     b[1],
		Checksum: binary.BigEndian.Uint16(b[2:]),
		ID:       binary.BigEndian.Uint16(b[4:]),
		Seq:      binary.BigEndian.Uint16(b[6:]),
		Data:     b[8:],
	}, nil
}

// AppendEcho appends an echo request of the given family with id, seq
// and data to b. The checksum is filled in for ICMPv4; ICMPv6 leaves it
// zero because the kernel computes it over the pseudo-header (raw(7)
// IPV6_CHECKSUM, and always on ICMP datagram sockets).
func AppendEcho(b []byte, v6 bool, id, seq uint16, data []byte) []byte {
	start := len(b)
	b = append(b, echoType(v6, false), 0, 0, 0, byte(id>>8), byte(id), byte(seq>>8), byte(seq))
	b = append(b, data...)
	if !v6 {
		binary.BigEndian.PutUint16(b[start+2:], Checksum(b[start:]))
	}
	return b
}

// Checksum is the Internet checksum (RFC 1071) of b: a message whose
// checksum field holds the right value sums to zero.
func Checksum(b []byte) uint16 { return csum.Checksum(b) }

// An IPv4Header is the part of an IPv4 header this package reads.
type IPv4Header struct {
	Len      int // header length in bytes, options included
	TotalLen int
	TTL      int
	Protocol int
	Src, Dst netip.Addr
}

// ParseIPv4 reads the IPv4 header at the start of b, as a raw IPv4 socket
// receives it.
func ParseIPv4(b []byte) (IPv4Header, error) {
	if len(b) < 20 {
		return IPv4Header{}, errShort
	}
	if b[0]>>4 != 4 {
		return IPv4Header{}, fmt.Errorf("not IPv4: version %d", b[0]>>4)
	}
	hl := int(b[0]&0x0f) * 4
	if hl < 20 || hl > len(b) {
		return IPv4Header{}, fmt.Errorf("bad IPv4 header length %d", hl)
	}
	return IPv4Header{
		Len:      hl,
		TotalLen: int(binary.BigEndian.Uint16(b[2:])),
		TTL:      int(b[8]),
		Protocol: int(b[9]),
		Src:      netip.AddrFrom4([4]byte(b[12:16])),
		Dst:      netip.AddrFrom4([4]byte(b[16:20])),
	}, nil
}

// An ICMPError is an ICMP or ICMPv6 error message about a probe: who sent
// it, its type and code, and the type-specific word (the MTU of "packet
// too big", the pointer of a parameter problem, a redirect's gateway).
type ICMPError struct {
	From       netip.Addr
	V6         bool
	Type, Code uint8
	Info       uint32
}

// TimeExceeded reports whether e says a probe's TTL (hop limit) ran out in
// transit.
func (e ICMPError) TimeExceeded() bool {
	if e.V6 {
		return e.Type == icmp6TimeExceeded && e.Code == 0
	}
	return e.Type == icmpTimeExceeded && e.Code == 0
}

// PortUnreachable reports whether e is a destination's "port unreachable",
// the answer a UDP probe gets when it reaches the host it was sent to.
func (e ICMPError) PortUnreachable() bool {
	if e.V6 {
		return e.Type == icmp6Unreach && e.Code == 4
	}
	return e.Type == icmpUnreach && e.Code == 3
}

// String describes e in the words of iputils ping: "Time to live
// exceeded", "Destination Host Unreachable", "Destination unreachable:
// No route", and so on.
func (e ICMPError) String() string {
	if e.V6 {
		return describe6(e.Type, e.Code, e.Info)
	}
	return describe4(e.Type, e.Code, e.Info)
}

var unreach4 = [...]string{
	0:  "Destination Net Unreachable",
	1:  "Destination Host Unreachable",
	2:  "Destination Protocol Unreachable",
	3:  "Destination Port Unreachable",
	5:  "Source Route Failed",
	6:  "Destination Net Unknown",
	7:  "Destination Host Unknown",
	8:  "Source Host Isolated",
	9:  "Destination Net Prohibited",
	10: "Destination Host Prohibited",
	11: "Destination Net Unreachable for Type of Service",
	12: "Destination Host Unreachable for Type of Service",
	13: "Packet filtered",
	14: "Precedence Violation",
	15: "Precedence Cutoff",
}

func describe4(typ, code uint8, info uint32) string {
	switch typ {
	case icmpEchoReply:
		return "Echo Reply"
	case icmpUnreach:
		if code == 4 {
			return fmt.Sprintf("Frag needed and DF set (mtu = %d)", info)
		}
		if int(code) < len(unreach4) && unreach4[code] != "" {
			return unreach4[code]
		}
		return fmt.Sprintf("Dest Unreachable, Bad Code: %d", code)
	case icmpSourceQuench:
		return "Source Quench"
	case icmpRedirect:
		var s string
		switch code {
		case 0:
			s = "Redirect Network"
		case 1:
			s = "Redirect Host"
		case 2:
			s = "Redirect Type of Service and Network"
		case 3:
			s = "Redirect Type of Service and Host"
		default:
			s = fmt.Sprintf("Redirect, Bad Code: %d", code)
		}
		var gw [4]byte
		binary.BigEndian.PutUint32(gw[:], info)
		return s + "(New nexthop: " + netip.AddrFrom4(gw).String() + ")"
	case icmpEcho:
		return "Echo Request"
	case icmpTimeExceeded:
		switch code {
		case 0:
			return "Time to live exceeded"
		case 1:
			return "Frag reassembly time exceeded"
		}
		return fmt.Sprintf("Time exceeded, Bad Code: %d", code)
	case icmpParamProblem:
		return fmt.Sprintf("Parameter problem: pointer = %d", info)
	case 13:
		return "Timestamp"
	case 14:
		return "Timestamp Reply"
	case 15:
		return "Information Request"
	case 16:
		return "Information Reply"
	case 17:
		return "Address Mask Request"
	case 18:
		return "Address Mask Reply"
	}
	return fmt.Sprintf("Bad ICMP type: %d", typ)
}

var unreach6 = [...]string{
	0: "No route",
	1: "Administratively prohibited",
	2: "Beyond scope of source address",
	3: "Address unreachable",
	4: "Port unreachable",
	5: "Source address failed ingress/egress policy",
	6: "Reject route to destination",
}

func describe6(typ, code uint8, info uint32) string {
	switch typ {
	case icmp6Unreach:
		if int(code) < len(unreach6) {
			return "Destination unreachable: " + unreach6[code]
		}
		return fmt.Sprintf("Destination unreachable: Unknown code %d", code)
	case icmp6PacketTooBig:
		s := fmt.Sprintf("Packet too big: mtu=%d", info)
		if code != 0 {
			s += fmt.Sprintf(", code=%d", code)
		}
		return s
	case icmp6TimeExceeded:
		switch code {
		case 0:
			return "Time exceeded: Hop limit"
		case 1:
			return "Time exceeded: Defragmentation failure"
		}
		return fmt.Sprintf("Time exceeded: code %d", code)
	case icmp6ParamProblem:
		var what string
		switch code {
		case 0:
			what = "Wrong header field "
		case 1:
			what = "Unknown header "
		case 2:
			what = "Unknown option "
		default:
			what = fmt.Sprintf("code %d ", code)
		}
		return fmt.Sprintf("Parameter problem: %sat %d", what, info)
	case icmp6Echo:
		return "Echo request"
	case icmp6EchoReply:
		return "Echo reply"
	case 130:
		return "MLD Query"
	case 131:
		return "MLD Report"
	case 132:
		return "MLD Reduction"
	}
	return fmt.Sprintf("unknown icmp type: %d", typ)
}

// Mark is the annotation traceroute(8) prints after the time of a probe
// that drew e: "" for time exceeded and for the destination's port
// unreachable, "!H", "!N", "!P", "!X", "!S", "!F-mtu", "!V", "!C", and
// "!<code>" or "!<type-code>" for the rest.
func (e ICMPError) Mark() string {
	if e.TimeExceeded() || e.PortUnreachable() {
		return ""
	}
	if e.V6 {
		switch {
		case e.Type == icmp6Unreach:
			switch e.Code {
			case 0:
				return "!N"
			case 2, 3:
				return "!H"
			case 1:
				return "!X"
			}
			return fmt.Sprintf("!<%d>", e.Code)
		case e.Type == icmp6PacketTooBig:
			return fmt.Sprintf("!F-%d", e.Info)
		}
		return fmt.Sprintf("!<%d-%d>", e.Type, e.Code)
	}
	if e.Type != icmpUnreach {
		return fmt.Sprintf("!<%d-%d>", e.Type, e.Code)
	}
	switch e.Code {
	case 0, 6, 8, 11:
		return "!N"
	case 1, 7, 12:
		return "!H"
	case 9, 10, 13:
		return "!X"
	case 2:
		return "!P"
	case 4:
		return fmt.Sprintf("!F-%d", e.Info)
	case 5:
		return "!S"
	case 14:
		return "!V"
	case 15:
		return "!C"
	}
	return fmt.Sprintf("!<%d>", e.Code)
}

// Final reports whether e ends a trace: anything but time exceeded means
// the probe went no further, whether it reached the destination or not.
func (e ICMPError) Final() bool { return !e.TimeExceeded() }
