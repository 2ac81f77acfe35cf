package capture

import (
	"encoding/binary"
	"net/netip"

	"github.com/rawsock/rawsock/internal/csum"
)

// ipProtoName is tcpdump's name of an IP protocol in "proto TCP (6)".
func ipProtoName(p uint8) string {
	switch p {
	case 0:
		return "Options"
	case 1:
		return "ICMP"
	case 2:
		return "IGMP"
	case 4:
		return "IPIP"
	case 6:
		return "TCP"
	case 8:
		return "EGP"
	case 9:
		return "IGRP"
	case 17:
		return "UDP"
	case 33:
		return "DCCP"
	case 41:
		return "IPv6"
	case 43:
		return "Routing"
	case 44:
		return "Fragment"
	case 46:
		return "RSVP"
	case 47:
		return "GRE"
	case 50:
		return "ESP"
	case 51:
		return "AH"
	case 55:
		return "Mobile IP"
	case 58:
		return "ICMPv6"
	case 62:
		return "Mobile IP (old)"
	case 88:
		return "EIGRP"
	case 89:
		return "OSPF"
	case 103:
		return "PIM"
	case 108:
		return "Compressed IP"
	case 112:
		return "VRRP"
	case 113:
		return "PGM"
	case 132:
		return "SCTP"
	case 135:
		return "Mobility"
	case 143:
		return "Ethernet"
	}
	return "unknown"
}

// network prints the IP packet at data[off:], by its version.
func (p *Printer) network(d *Decoder, data []byte, off int, v6 bool) {
	b := data[off:]
	if len(b) == 0 {
		if v6 {
			p.truncHere("ip6")
		} else {
			p.truncJump("ip")
		}
		return
	}
	// The link layer's length is what was on the wire; the capture may
	// hold less.
	switch b[0] >> 4 {
	case 4:
		p.ipv4(b, p.wireLen(off), false)
	case 6:
		p.ipv6(b, p.wireLen(off))
	default:
		if !p.opt.LinkHeader {
			p.str("IP ")
		}
		p.str("bad-ip-version ")
		p.uint(uint64(b[0] >> 4))
	}
}

// wireLen is the length on the wire of the layer at data[off:]: the frame
// length less the link header. The Decoder does not know the frame's wire
// length, so Print stores it.
func (p *Printer) wireLen(off int) int {
	n := p.frameLen - off
	if n < 0 {
		n = 0
	}
	return n
}

// ipv4 prints an IPv4 packet. b is what was captured of it, length its
// length on the wire; inner is set for the packet quoted in an ICMP error.
func (p *Printer) ipv4(b []byte, length int, inner bool) {
	if !p.opt.LinkHeader {
		p.str("IP ")
	}
	if length < 20 || len(b) < 20 {
		if length < 20 {
			p.str("truncated-ip ")
			p.int(length)
			return
		}
		p.truncHere("ip")
		return
	}
	if v := b[0] >> 4; v != 4 {
		p.str("bad-ip-version ")
		p.uint(uint64(v))
		return
	}
	hlen := int(b[0]&0xf) * 4
	if hlen < 20 {
		p.str("bad-hlen ")
		p.int(hlen)
		return
	}
	ipLen := int(binary.BigEndian.Uint16(b[2:]))
	if ipLen > length {
		p.str("truncated-ip - ")
		p.int(ipLen - length)
		p.str(" bytes missing! ")
		ipLen = length
	}
	if ipLen == 0 {
		ipLen = length // TCP segmentation offload
	} else if ipLen < hlen {
		p.str("bad-len ")
		p.int(ipLen)
		return
	}
	if len(b) > ipLen {
		b = b[:ipLen]
	}
	off := binary.BigEndian.Uint16(b[6:])
	proto := b[9]
	src, dst := netip.AddrFrom4([4]byte(b[12:16])), netip.AddrFrom4([4]byte(b[16:20]))
	if p.opt.Verbose > 0 {
		p.str("(tos 0x")
		p.hex(uint64(b[1]), 0)
		switch b[1] & 3 {
		case 1:
			p.str(",ECT(1)")
		case 2:
			p.str(",ECT(0)")
		case 3:
			p.str(",CE")
		}
		if b[8] >= 1 {
			p.str(", ttl ")
			p.uint(uint64(b[8]))
		}
		p.str(", id ")
		p.uint(uint64(binary.BigEndian.Uint16(b[4:])))
		p.str(", offset ")
		p.uint(uint64(off&0x1fff) * 8)
		p.str(", flags [")
		if off&0xe000 == 0 {
			p.str("none")
		}
		sep := ""
		for _, f := range [...]struct {
			bit  uint16
			name string
		}{{0x2000, "+"}, {0x4000, "DF"}, {0x8000, "rsvd"}} {
			if off&f.bit != 0 {
				p.str(sep)
				p.str(f.name)
				sep = ", "
			}
		}
		p.str("], proto ")
		p.str(ipProtoName(proto))
		p.str(" (")
		p.uint(uint64(proto))
		p.str("), length ")
		p.uint(uint64(binary.BigEndian.Uint16(b[2:])))
		truncated := false
		if hlen > 20 {
			p.str(", options (")
			if !p.ipOptions(b[20:min(hlen, len(b))], hlen-20) {
				p.str(" [truncated-option]")
				truncated = true
			}
			p.str(")")
		}
		if hlen <= len(b) {
			if sum := checksum(b[:hlen], 0); sum != 0 {
				got := binary.BigEndian.Uint16(b[10:])
				p.str(", bad cksum ")
				p.hex(uint64(got), 0)
				p.str(" (->")
				p.hex(uint64(shouldBe(got, sum)), 0)
				p.str(")!")
			}
		}
		p.str(")\n    ")
		if truncated {
			p.host(src)
			p.str(" > ")
			p.host(dst)
			p.str(": ")
			p.truncHere("ip")
			return
		}
	}
	if off&0x1fff != 0 {
		p.host(src)
		p.str(" > ")
		p.host(dst)
		p.str(":")
		p.protoName(proto)
		return
	}
	if hlen > len(b) {
		p.host(src)
		p.str(" > ")
		p.host(dst)
		p.str(":  [remaining caplen(")
		p.int(len(b))
		p.str(") < header length(")
		p.int(hlen)
		p.str(")]")
		p.trunc("ip")
		return
	}
	ip := ipInfo{v4: b[:hlen], src: src, dst: dst, fragmented: off&0x2000 != 0}
	p.transport(&ip, proto, b[hlen:], ipLen-hlen, inner)
}

// ipInfo is what a transport printer needs of the IP header around it.
type ipInfo struct {
	v4, v6     []byte
	src, dst   netip.Addr
	fragmented bool
	// extended is set when IPv6 extension headers come between the IPv6
	// header and this one (tcpdump then prints ports without addresses).
	extended bool
	// finalDst is the last address of an IPv6 routing header, which the
	// checksum's pseudo-header uses instead of the destination.
	finalDst netip.Addr
}

// protoName appends " name" or " ip-proto-N" for a protocol.
func (p *Printer) protoName(proto uint8) {
	if p.names != nil && protocolKeywords[proto] != "" {
		p.str(" ")
		p.str(protocolKeywords[proto])
		return
	}
	p.str(" ip-proto-")
	p.uint(uint64(proto))
}

// transport prints what an IP header carries. b is what was captured of
// it, length its length according to the IP header.
func (p *Printer) transport(ip *ipInfo, proto uint8, b []byte, length int, inner bool) {
	if proto != 6 && proto != 17 && ip.v4 != nil {
		p.host(ip.src)
		p.str(" > ")
		p.host(ip.dst)
		p.str(": ")
	}
	switch proto {
	case 6:
		p.tcp(ip, b, length)
	case 17:
		p.udp(ip, b, length)
	case 1:
		if ip.v4 != nil {
			p.icmp(ip, b, length, inner)
			return
		}
		p.unknownProto(proto, length)
	case 2:
		p.igmp(b, length)
	case 58:
		if ip.v6 != nil {
			p.icmp6(ip, b, length)
			return
		}
		p.unknownProto(proto, length)
	case 4:
		p.ipv4(b, length, true)
	case 41:
		p.ipv6(b, length)
	default:
		p.unknownProto(proto, length)
	}
}

func (p *Printer) unknownProto(proto uint8, length int) {
	p.protoName(proto)
	p.str(" ")
	p.int(length)
}

// ipOptions prints IPv4 options as tcpdump does; false when they run
// past the captured bytes.
func (p *Printer) ipOptions(b []byte, total int) bool {
	for i := 0; total > 0; i++ {
		if i > 0 {
			p.str(",")
		}
		if len(b) == 0 {
			return false
		}
		code := b[0]
		switch code {
		case 0:
			p.str("EOL")
		case 1:
			p.str("NOP")
		case 68:
			p.str("timestamp")
		case 130:
			p.str("security")
		case 7:
			p.str("RR")
		case 137:
			p.str("SSRR")
		case 131:
			p.str("LSRR")
		case 148:
			p.str("RA")
		case 82:
			p.str("traceroute")
		default:
			p.str("unknown ")
			p.uint(uint64(code))
		}
		n := 1
		if code != 0 && code != 1 {
			if len(b) < 2 {
				return false
			}
			n = int(b[1])
			if n < 2 {
				p.str(" [bad length ")
				p.int(n)
				p.str("]")
				return true
			}
		}
		if n > total {
			p.str(" [bad length ")
			p.int(n)
			p.str("]")
			return true
		}
		if n > len(b) {
			return false
		}
		opt := b[:n]
		switch code {
		case 0:
			return true
		case 68:
			p.ipTimestamp(opt)
		case 7, 137, 131:
			p.ipRoute(opt)
		case 148:
			if n < 4 {
				p.str(" [bad length ")
				p.int(n)
				p.str("]")
			} else if v := binary.BigEndian.Uint16(opt[2:]); v != 0 {
				p.str(" value ")
				p.uint(uint64(v))
			}
		}
		b = b[n:]
		total -= n
	}
	return true
}

func (p *Printer) ipRoute(o []byte) {
	n := len(o)
	if n < 3 {
		p.str(" [bad length ")
		p.int(n)
		p.str("]")
		return
	}
	if (n+1)&3 != 0 {
		p.str(" [bad length ")
		p.int(n)
		p.str("]")
	}
	ptr := int(o[2]) - 1
	if ptr < 3 || (ptr+1)&3 != 0 || ptr > n+1 {
		p.str(" [bad ptr ")
		p.uint(uint64(o[2]))
		p.str("]")
	}
	for i := 3; i+4 <= n; i += 4 {
		p.str(" ")
		p.host(netip.AddrFrom4([4]byte(o[i : i+4])))
		if ptr > i {
			p.str(",")
		}
	}
}

func (p *Printer) ipTimestamp(o []byte) {
	n := len(o)
	if n < 4 {
		p.str("[bad length ")
		p.int(n)
		p.str("]")
		return
	}
	p.str(" TS{")
	hop := 8
	if o[3]&0xf == 0 {
		hop = 4
	}
	if (n-4)&(hop-1) != 0 {
		p.str("[bad length ")
		p.int(n)
		p.str("]")
	}
	ptr := int(o[2]) - 1
	if ptr < 4 || (ptr-4)&(hop-1) != 0 || ptr > n+1 {
		p.str("[bad ptr ")
		p.uint(uint64(o[2]))
		p.str("]")
	}
	i := 0
	switch o[3] & 0xf {
	case 0:
		p.str("TSONLY")
	case 1:
		p.str("TS+ADDR")
	case 3:
		p.str("PRESPEC")
	default:
		p.str("[bad ts type ")
		p.uint(uint64(o[3] & 0xf))
		p.str("]")
		goto done
	}
	for i = 4; i < n; i += hop {
		if ptr == i {
			p.str(" ^ ")
		} else {
			p.str(" ")
		}
		if i+hop > n {
			break
		}
		p.uint(uint64(binary.BigEndian.Uint32(o[i+hop-4:])))
		p.str("@")
		if hop == 8 {
			p.host(netip.AddrFrom4([4]byte(o[i : i+4])))
		}
	}
done:
	if ptr == i {
		p.str(" ^ ")
	}
	if o[3]>>4 != 0 {
		p.str(" [")
		p.uint(uint64(o[3] >> 4))
		p.str(" hops not recorded]} ")
	} else {
		p.str("}")
	}
}

// checksum is the Internet checksum of b added to the partial sum init;
// 0 means correct for data that includes its checksum field.
func checksum(b []byte, init uint64) uint16 { return csum.Fold(csum.Sum(b, init)) }

// shouldBe is the checksum field that would have made the sum come out
// right, given the field and the checksum computed over the data with it.
func shouldBe(field, sum uint16) uint16 {
	v := uint32(field) + uint32(sum)
	v = v&0xffff + v>>16
	v = v&0xffff + v>>16
	return uint16(v)
}

// pseudoSum is the partial checksum of the TCP/UDP/ICMPv6 pseudo-header;
// behind an IPv6 routing header the destination is the route's last one.
func pseudoSum(ip *ipInfo, proto uint8, length int) uint64 {
	if ip.v4 != nil {
		return csum.Pseudo(ip.src.Unmap(), ip.dst.Unmap(), proto, length)
	}
	dst := ip.dst
	if ip.finalDst.IsValid() {
		dst = ip.finalDst
	}
	return csum.Pseudo(netip.AddrFrom16(ip.src.As16()), dst, proto, length)
}
