package craft

import (
	"encoding/binary"
	"net/netip"
)

// IPv4 option types (RFC 791, RFC 2113).
const (
	ipOptEOL  = 0x00
	ipOptNOP  = 0x01
	ipOptRR   = 0x07
	ipOptTS   = 0x44
	ipOptLSRR = 0x83
	ipOptSSRR = 0x89
	ipOptRA   = 0x94
)

// IPOptEOL is the End of Option List option.
func IPOptEOL() []byte { return []byte{ipOptEOL} }

// IPOptNOP is the No Operation option.
func IPOptNOP() []byte { return []byte{ipOptNOP} }

// IPOptRouterAlert is the Router Alert option (RFC 2113) with value 0,
// which IGMPv2 and IGMPv3 messages carry.
func IPOptRouterAlert() []byte { return []byte{ipOptRA, 4, 0, 0} }

// IPOptRecordRoute is a Record Route option with room for slots addresses
// (at most 9 fit in the 40 bytes of options).
func IPOptRecordRoute(slots int) []byte {
	b := make([]byte, 3+4*slots)
	b[0], b[1], b[2] = ipOptRR, byte(len(b)), 4
	return b
}

// IPOptTimestamp is a Timestamp option (flag 0, timestamps only) with room
// for slots timestamps.
func IPOptTimestamp(slots int) []byte {
	b := make([]byte, 4+4*slots)
	b[0], b[1], b[2] = ipOptTS, byte(len(b)), 5
	return b
}

// IPOptLSRR is a Loose Source and Record Route option through hops.
func IPOptLSRR(hops ...netip.Addr) []byte { return sourceRoute(ipOptLSRR, hops) }

// IPOptSSRR is a Strict Source and Record Route option through hops.
func IPOptSSRR(hops ...netip.Addr) []byte { return sourceRoute(ipOptSSRR, hops) }

func sourceRoute(typ byte, hops []netip.Addr) []byte {
	b := make([]byte, 3+4*len(hops))
	b[0], b[1], b[2] = typ, byte(len(b)), 4
	for i, h := range hops {
		put4(b[3+4*i:], h)
	}
	return b
}

// sourceRouteEnd returns the last address of an LSRR or SSRR option in
// opts, the packet's final destination.
func sourceRouteEnd(opts []byte) (netip.Addr, bool) {
	for len(opts) > 0 {
		switch t := opts[0]; t {
		case ipOptEOL:
			return netip.Addr{}, false
		case ipOptNOP:
			opts = opts[1:]
			continue
		}
		if len(opts) < 2 || int(opts[1]) < 2 || int(opts[1]) > len(opts) {
			return netip.Addr{}, false
		}
		o := opts[:opts[1]]
		if (o[0] == ipOptLSRR || o[0] == ipOptSSRR) && len(o) >= 7 {
			n := (len(o) - 3) / 4
			return netip.AddrFrom4([4]byte(o[3+4*(n-1):])), true
		}
		opts = opts[len(o):]
	}
	return netip.Addr{}, false
}

// tcp option kinds (RFC 9293, RFC 7323, RFC 2018).
const (
	tcpOptEOL    = 0
	tcpOptNOP    = 1
	tcpOptMSS    = 2
	tcpOptWScale = 3
	tcpOptSAckOK = 4
	tcpOptSAck   = 5
	tcpOptTS     = 8
)

// TCPOptMSS is the Maximum Segment Size option.
func TCPOptMSS(mss uint16) []byte {
	return binary.BigEndian.AppendUint16([]byte{tcpOptMSS, 4}, mss)
}

// TCPOptWScale is the Window Scale option.
func TCPOptWScale(shift uint8) []byte { return []byte{tcpOptWScale, 3, shift} }

// TCPOptSAckOK is the SACK Permitted option.
func TCPOptSAckOK() []byte { return []byte{tcpOptSAckOK, 2} }

// TCPOptTimestamp is the Timestamps option.
func TCPOptTimestamp(val, echo uint32) []byte {
	b := []byte{tcpOptTS, 10}
	b = binary.BigEndian.AppendUint32(b, val)
	return binary.BigEndian.AppendUint32(b, echo)
}

// TCPOptSAck is a SACK option listing blocks as left, right edge pairs.
func TCPOptSAck(edges ...uint32) []byte {
	b := []byte{tcpOptSAck, byte(2 + 4*len(edges))}
	for _, e := range edges {
		b = binary.BigEndian.AppendUint32(b, e)
	}
	return b
}

// TCPOptNOP is the No Operation option.
func TCPOptNOP() []byte { return []byte{tcpOptNOP} }

// TCPOptEOL is the End of Option List option.
func TCPOptEOL() []byte { return []byte{tcpOptEOL} }
