package scan

import (
	"encoding/binary"
	"net/netip"

	"github.com/rawsock/rawsock/internal/csum"
)

// codec builds the probes of one raw scan and recognizes the answers to
// them. Every probe leaves from one source port; a TCP probe's sequence
// number is derived from the port and a per-scan secret, so an answer proves
// it answers our probe by acknowledging that number (or, inside an ICMP
// error, by quoting it), without a table of what was sent.
type codec struct {
	method   Method
	src, dst netip.Addr
	sport    uint16
	key      uint64 // the per-scan secret behind the sequence numbers
	ttl      uint8  // of probes
}

const (
	ipv4Len    = 20
	ipv6Len    = 40
	tcpSYNLen  = 24 // header and the MSS option
	tcpRSTLen  = 20
	udpLen     = 8
	probeTTL   = 64
	synWindow  = 1024
	synMSS     = 1460
	protoICMP  = 1
	protoTCP   = 6
	protoUDP   = 17
	protoICMP6 = 58

	tcpFIN = 0x01
	tcpSYN = 0x02
	tcpRST = 0x04
	tcpACK = 0x10

	// maxProbe is the longest probe: an IPv4 header, a UDP header and the
	// longest payload.
	maxProbe = ipv4Len + udpLen + 64
)

// seq returns the sequence number of the SYN sent to port: the key mixed with
// the port through splitmix64's finalizer, so that numbers look random and
// differ per port and per scan.
func (c *codec) seq(port uint16) uint32 {
	z := c.key + uint64(port)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return uint32(z ^ (z >> 31))
}

// probe writes the probe for port into b (at least maxProbe bytes) and
// returns its length: a whole IPv4 packet for IP_HDRINCL, or for IPv6 the
// transport segment alone, which the kernel puts behind its own header.
func (c *codec) probe(b []byte, port uint16) int {
	off := 0
	if c.dst.Is4() {
		off = ipv4Len
	}
	var n int
	if c.method == UDP {
		payload := udpPayload(port)
		n = udpLen + len(payload)
		seg := b[off : off+n]
		binary.BigEndian.PutUint16(seg[0:], c.sport)
		binary.BigEndian.PutUint16(seg[2:], port)
		binary.BigEndian.PutUint16(seg[4:], uint16(n))
		seg[6], seg[7] = 0, 0
		copy(seg[udpLen:], payload)
		sum := c.checksum(seg, protoUDP)
		if sum == 0 {
			sum = 0xffff // RFC 768: zero means no checksum
		}
		binary.BigEndian.PutUint16(seg[6:], sum)
	} else {
		n = tcpSYNLen
		seg := b[off : off+n]
		c.tcpHeader(seg, port, c.seq(port), tcpSYN, synWindow)
		seg[20], seg[21] = 2, 4 // MSS, as every real SYN carries one
		binary.BigEndian.PutUint16(seg[22:], synMSS)
		binary.BigEndian.PutUint16(seg[16:], c.checksum(seg, protoTCP))
	}
	if c.dst.Is4() {
		proto := uint8(protoTCP)
		if c.method == UDP {
			proto = protoUDP
		}
		c.ipv4Header(b[:ipv4Len], ipv4Len+n, proto, uint16(c.key>>48)^port)
		return ipv4Len + n
	}
	return n
}

// reset writes into b the RST that tears down the half-open connection a
// SYN-ACK from port started, and returns its length. seq is the SYN-ACK's
// acknowledgment number, which the RST must carry to be accepted.
func (c *codec) reset(b []byte, port uint16, seq uint32) int {
	off := 0
	if c.dst.Is4() {
		off = ipv4Len
	}
	seg := b[off : off+tcpRSTLen]
	c.tcpHeader(seg, port, seq, tcpRST, 0)
	binary.BigEndian.PutUint16(seg[16:], c.checksum(seg, protoTCP))
	if c.dst.Is4() {
		c.ipv4Header(b[:ipv4Len], ipv4Len+tcpRSTLen, protoTCP, uint16(c.key>>48)^port)
		return ipv4Len + tcpRSTLen
	}
	return tcpRSTLen
}

// tcpHeader writes a TCP header with no acknowledgment; its length covers
// all of seg, which holds the options after the 20 fixed bytes.
func (c *codec) tcpHeader(seg []byte, port uint16, seq uint32, flags uint8, window uint16) {
	binary.BigEndian.PutUint16(seg[0:], c.sport)
	binary.BigEndian.PutUint16(seg[2:], port)
	binary.BigEndian.PutUint32(seg[4:], seq)
	binary.BigEndian.PutUint32(seg[8:], 0)
	seg[12] = uint8(len(seg)/4) << 4
	seg[13] = flags
	binary.BigEndian.PutUint16(seg[14:], window)
	binary.BigEndian.PutUint32(seg[16:], 0) // checksum and urgent pointer
}

// ipv4Header writes the IPv4 header of a probe; id varies with the port so
// that no two probes of a scan look alike. The kernel would fill the
// identification, length and checksum of an IP_HDRINCL packet itself; they
// are written here anyway, so the bytes are complete wherever they go.
func (c *codec) ipv4Header(h []byte, total int, proto uint8, id uint16) {
	h[0] = 0x45
	h[1] = 0
	binary.BigEndian.PutUint16(h[2:], uint16(total))
	binary.BigEndian.PutUint16(h[4:], id)
	binary.BigEndian.PutUint16(h[6:], 0)
	h[8] = c.ttl
	h[9] = proto
	h[10], h[11] = 0, 0
	s, d := c.src.As4(), c.dst.As4()
	copy(h[12:16], s[:])
	copy(h[16:20], d[:])
	binary.BigEndian.PutUint16(h[10:], csum.Checksum(h))
}

// checksum is the TCP or UDP checksum of seg (its checksum field zero) from
// the scan's source to its target: RFC 793's pseudo-header for IPv4, RFC
// 8200 §8.1's for IPv6.
func (c *codec) checksum(seg []byte, proto uint8) uint16 {
	return csum.Fold(csum.Sum(seg, csum.Pseudo(c.src, c.dst, proto, len(seg))))
}

// tcpReply4 recognizes an IPv4 packet (header included, as a raw socket
// receives it) that answers a SYN: a SYN-ACK or a RST from the target to our
// port acknowledging the SYN's sequence number. It also returns the
// SYN-ACK's acknowledgment number, for the RST that answers it.
func (c *codec) tcpReply4(pkt []byte) (Reply, uint32, bool) {
	seg, ttl, ok := c.fromTarget4(pkt, protoTCP)
	if !ok {
		return Reply{}, 0, false
	}
	return c.tcpReply(seg, ttl)
}

// tcpReply6 is tcpReply4 for IPv6, where a raw socket receives the segment
// without the IPv6 header: from and hops come from recvmsg.
func (c *codec) tcpReply6(seg []byte, from netip.Addr, hops uint8) (Reply, uint32, bool) {
	if from != c.dst {
		return Reply{}, 0, false
	}
	return c.tcpReply(seg, hops)
}

func (c *codec) tcpReply(seg []byte, ttl uint8) (Reply, uint32, bool) {
	if len(seg) < 20 || binary.BigEndian.Uint16(seg[2:]) != c.sport {
		return Reply{}, 0, false
	}
	port := binary.BigEndian.Uint16(seg[0:])
	ack := binary.BigEndian.Uint32(seg[8:])
	flags := seg[13]
	if port == 0 || flags&tcpACK == 0 || ack != c.seq(port)+1 {
		return Reply{}, 0, false
	}
	rep := Reply{Port: port, TTL: ttl, From: c.dst}
	switch {
	case flags&tcpRST != 0:
		rep.State, rep.Reason = Closed, ReasonReset
	case flags&(tcpSYN|tcpFIN) == tcpSYN:
		rep.State, rep.Reason = Open, ReasonSynAck
	default:
		return Reply{}, 0, false
	}
	return rep, ack, true
}

// udpReply4 recognizes a UDP datagram from a scanned port of the target to
// our port, in an IPv4 packet.
func (c *codec) udpReply4(pkt []byte) (Reply, bool) {
	seg, ttl, ok := c.fromTarget4(pkt, protoUDP)
	if !ok {
		return Reply{}, false
	}
	return c.udpReply(seg, ttl)
}

// udpReply6 is udpReply4 for IPv6's header-less raw sockets.
func (c *codec) udpReply6(seg []byte, from netip.Addr, hops uint8) (Reply, bool) {
	if from != c.dst {
		return Reply{}, false
	}
	return c.udpReply(seg, hops)
}

func (c *codec) udpReply(seg []byte, ttl uint8) (Reply, bool) {
	if len(seg) < udpLen || binary.BigEndian.Uint16(seg[2:]) != c.sport {
		return Reply{}, false
	}
	port := binary.BigEndian.Uint16(seg[0:])
	if port == 0 {
		return Reply{}, false
	}
	return Reply{Port: port, State: Open, Reason: ReasonUDPResponse, TTL: ttl, From: c.dst}, true
}

// fromTarget4 checks that pkt is an unfragmented IPv4 packet of proto from
// the target to us, and returns its payload and TTL.
func (c *codec) fromTarget4(pkt []byte, proto uint8) ([]byte, uint8, bool) {
	payload, ok := ipv4Payload(pkt, proto)
	if !ok || netip.AddrFrom4([4]byte(pkt[12:16])) != c.dst || netip.AddrFrom4([4]byte(pkt[16:20])) != c.src {
		return nil, 0, false
	}
	return payload, pkt[8], true
}

// ipv4Payload returns what an IPv4 packet of the given protocol carries,
// bounded by both its total length and the bytes received; it refuses
// fragments after the first, whose bytes are no transport header.
func ipv4Payload(pkt []byte, proto uint8) ([]byte, bool) {
	if len(pkt) < ipv4Len || pkt[0]>>4 != 4 || pkt[9] != proto {
		return nil, false
	}
	ihl := int(pkt[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(pkt[2:]))
	if ihl < ipv4Len || total < ihl || len(pkt) < ihl || binary.BigEndian.Uint16(pkt[6:])&0x1fff != 0 {
		return nil, false
	}
	return pkt[ihl:min(total, len(pkt))], true
}

// icmpReply4 recognizes an ICMP destination unreachable or time exceeded
// (with its IPv4 header, as the raw socket receives it) that quotes one of
// our probes. Its sender may be the target or a router on the way.
func (c *codec) icmpReply4(pkt []byte) (Reply, bool) {
	msg, ok := ipv4Payload(pkt, protoICMP)
	if !ok || len(msg) < 8+ipv4Len {
		return Reply{}, false
	}
	from := netip.AddrFrom4([4]byte(pkt[12:16]))
	inner := msg[8:]
	want := uint8(protoTCP)
	if c.method == UDP {
		want = protoUDP
	}
	ihl := int(inner[0]&0x0f) * 4
	if inner[0]>>4 != 4 || ihl < ipv4Len || inner[9] != want ||
		netip.AddrFrom4([4]byte(inner[12:16])) != c.src || netip.AddrFrom4([4]byte(inner[16:20])) != c.dst {
		return Reply{}, false
	}
	port, ok := c.quoted(inner[min(ihl, len(inner)):])
	if !ok {
		return Reply{}, false
	}
	var reason Reason
	switch typ, code := msg[0], msg[1]; {
	case typ == 11:
		reason = ReasonTimeExceeded
	case typ != 3:
		return Reply{}, false
	case code == 0:
		reason = ReasonNetUnreach
	case code == 1:
		reason = ReasonHostUnreach
	case code == 2:
		reason = ReasonProtoUnreach
	case code == 3:
		reason = ReasonPortUnreach
	case code == 9:
		reason = ReasonNetProhibited
	case code == 10:
		reason = ReasonHostProhibited
	case code == 13:
		reason = ReasonAdminProhibited
	default:
		return Reply{}, false // fragmentation needed and the like: not about the port
	}
	return c.icmpVerdict(port, reason, pkt[8], from), true
}

// icmpReply6 is icmpReply4 for ICMPv6 destination unreachable and time
// exceeded (RFC 4443), received without the outer IPv6 header.
func (c *codec) icmpReply6(msg []byte, from netip.Addr, hops uint8) (Reply, bool) {
	if len(msg) < 8+ipv6Len {
		return Reply{}, false
	}
	inner := msg[8:]
	want := uint8(protoTCP)
	if c.method == UDP {
		want = protoUDP
	}
	if inner[0]>>4 != 6 || inner[6] != want ||
		netip.AddrFrom16([16]byte(inner[8:24])) != c.src || netip.AddrFrom16([16]byte(inner[24:40])) != c.dst {
		return Reply{}, false
	}
	port, ok := c.quoted(inner[ipv6Len:])
	if !ok {
		return Reply{}, false
	}
	var reason Reason
	switch typ, code := msg[0], msg[1]; {
	case typ == 3:
		reason = ReasonTimeExceeded
	case typ != 1:
		return Reply{}, false
	case code == 0:
		reason = ReasonNetUnreach
	case code == 1, code == 5, code == 6: // administratively prohibited, source policy, reject route
		reason = ReasonAdminProhibited
	case code == 2, code == 3: // beyond scope of source, address unreachable
		reason = ReasonHostUnreach
	case code == 4:
		reason = ReasonPortUnreach
	default:
		return Reply{}, false
	}
	return c.icmpVerdict(port, reason, hops, from), true
}

// quoted checks the transport header an ICMP error quotes (at least its
// first 8 bytes, RFC 792) and returns the probed port: the source port must
// be ours and, for TCP, the sequence number the one sent to that port.
func (c *codec) quoted(seg []byte) (uint16, bool) {
	if len(seg) < 8 || binary.BigEndian.Uint16(seg[0:]) != c.sport {
		return 0, false
	}
	port := binary.BigEndian.Uint16(seg[2:])
	if port == 0 {
		return 0, false
	}
	if c.method != UDP && binary.BigEndian.Uint32(seg[4:]) != c.seq(port) {
		return 0, false
	}
	return port, true
}

// icmpVerdict is nmap's reading of an ICMP error: port unreachable from
// the target itself closes a UDP port; anything else filters the port.
func (c *codec) icmpVerdict(port uint16, reason Reason, ttl uint8, from netip.Addr) Reply {
	state := Filtered
	if reason == ReasonPortUnreach && c.method == UDP && from == c.dst {
		state = Closed
	}
	return Reply{Port: port, State: state, Reason: reason, TTL: ttl, From: from}
}
