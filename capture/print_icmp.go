package capture

import (
	"encoding/binary"
	"net/netip"
)

var icmpUnreach = [...]string{
	0:  "net %s unreachable",
	1:  "host %s unreachable",
	5:  "%s unreachable - source route failed",
	6:  "net %s unreachable - unknown",
	7:  "host %s unreachable - unknown",
	8:  "%s unreachable - source host isolated",
	9:  "net %s unreachable - admin prohibited",
	10: "host %s unreachable - admin prohibited",
	11: "net %s unreachable - tos prohibited",
	12: "host %s unreachable - tos prohibited",
	13: "host %s unreachable - admin prohibited filter",
	14: "host %s unreachable - host precedence violation",
	15: "host %s unreachable - precedence cutoff",
}

// format appends f with its one "%s" replaced by the address.
func (p *Printer) format(f string, a netip.Addr) {
	for i := 0; i < len(f); i++ {
		if f[i] == '%' && i+1 < len(f) && f[i+1] == 's' {
			p.host(a)
			i++
			continue
		}
		p.b = append(p.b, f[i])
	}
}

func icmpErrType(t byte) bool { return t == 3 || t == 4 || t == 5 || t == 11 || t == 12 }

// icmp prints an ICMP message; length is its length from the IP header.
func (p *Printer) icmp(ip *ipInfo, b []byte, length int, inner bool) {
	if len(b) < 2 {
		p.trunc("icmp")
		return
	}
	typ, code := b[0], b[1]
	// The quoted packet of an error message.
	var qdst netip.Addr
	qok := len(b) >= 28
	if qok {
		qdst = netip.AddrFrom4([4]byte(b[24:28]))
	}
	start := len(p.b)
	p.str("ICMP ")
	switch typ {
	case 0, 8:
		if len(b) < 8 {
			p.b = p.b[:start]
			p.trunc("icmp")
			return
		}
		p.str("echo ")
		if typ == 8 {
			p.str("request")
		} else {
			p.str("reply")
		}
		p.str(", id ")
		p.uint(uint64(binary.BigEndian.Uint16(b[4:])))
		p.str(", seq ")
		p.uint(uint64(binary.BigEndian.Uint16(b[6:])))
	case 3:
		if !qok {
			p.b = p.b[:start]
			p.trunc("icmp")
			return
		}
		switch code {
		case 2:
			p.host(qdst)
			p.str(" protocol ")
			p.uint(uint64(b[17]))
			p.str(" unreachable")
		case 3:
			hlen := int(b[8]&0xf) * 4
			if len(b) < 8+hlen+4 {
				p.b = p.b[:start]
				p.trunc("icmp")
				return
			}
			dport := binary.BigEndian.Uint16(b[8+hlen+2:])
			p.host(qdst)
			switch b[17] {
			case 6:
				p.str(" tcp port ")
				p.port(dport, false)
			case 17:
				p.str(" udp port ")
				p.port(dport, true)
			default:
				p.str(" protocol ")
				p.uint(uint64(b[17]))
				p.str(" port ")
				p.uint(uint64(dport))
			}
			p.str(" unreachable")
		case 4:
			p.host(qdst)
			p.str(" unreachable - need to frag")
			if mtu := binary.BigEndian.Uint16(b[6:]); mtu != 0 {
				p.str(" (mtu ")
				p.uint(uint64(mtu))
				p.str(")")
			}
		default:
			if int(code) < len(icmpUnreach) && icmpUnreach[code] != "" {
				p.format(icmpUnreach[code], qdst)
			} else {
				p.host(qdst)
				p.str(" unreachable - #")
				p.uint(uint64(code))
			}
		}
	case 5:
		if !qok {
			p.b = p.b[:start]
			p.trunc("icmp")
			return
		}
		switch code {
		case 0:
			p.str("redirect ")
			p.host(qdst)
			p.str(" to net ")
		case 1:
			p.str("redirect ")
			p.host(qdst)
			p.str(" to host ")
		case 2:
			p.str("redirect-tos ")
			p.host(qdst)
			p.str(" to net ")
		case 3:
			p.str("redirect-tos ")
			p.host(qdst)
			p.str(" to host ")
		default:
			p.str("redirect-#")
			p.uint(uint64(code))
			p.str(" ")
			p.host(qdst)
			p.str(" to ")
		}
		p.host(netip.AddrFrom4([4]byte(b[4:8])))
	case 9:
		p.str("router advertisement")
		if len(b) < 8 {
			p.b = p.b[:start]
			p.trunc("icmp")
			return
		}
		p.str(" lifetime ")
		p.lifetime(int(binary.BigEndian.Uint16(b[6:])))
		num, size := int(b[4]), int(b[5])
		p.str(" ")
		p.int(num)
		p.str(":")
		if size != 2 {
			p.str(" [size ")
			p.int(size)
			p.str("]")
			break
		}
		for i := 0; i < num; i++ {
			off := 8 + 8*i
			if off+8 > len(b) {
				p.b = p.b[:start]
				p.trunc("icmp")
				return
			}
			p.str(" {")
			p.host(netip.AddrFrom4([4]byte(b[off : off+4])))
			p.str(" ")
			p.uint(uint64(binary.BigEndian.Uint32(b[off+4:])))
			p.str("}")
		}
	case 11:
		if !qok {
			p.b = p.b[:start]
			p.trunc("icmp")
			return
		}
		switch code {
		case 0:
			p.str("time exceeded in-transit")
		case 1:
			p.str("ip reassembly time exceeded")
		default:
			p.str("time exceeded-#")
			p.uint(uint64(code))
		}
	case 12:
		if code != 0 {
			p.str("parameter problem - code ")
			p.uint(uint64(code))
		} else {
			if len(b) < 5 {
				p.b = p.b[:start]
				p.trunc("icmp")
				return
			}
			p.str("parameter problem - octet ")
			p.uint(uint64(b[4]))
		}
	case 13, 14:
		if len(b) < 8 || (typ == 14 && len(b) < 20) {
			p.b = p.b[:start]
			p.trunc("icmp")
			return
		}
		if typ == 13 {
			p.str("time stamp query id ")
		} else {
			p.str("time stamp reply id ")
		}
		p.uint(uint64(binary.BigEndian.Uint16(b[4:])))
		p.str(" seq ")
		p.uint(uint64(binary.BigEndian.Uint16(b[6:])))
		if typ == 14 {
			p.str(": org ")
			p.msTime(binary.BigEndian.Uint32(b[8:]))
			p.str(", recv ")
			p.msTime(binary.BigEndian.Uint32(b[12:]))
			p.str(", xmit ")
			p.msTime(binary.BigEndian.Uint32(b[16:]))
		}
	case 18:
		if len(b) < 12 {
			p.b = p.b[:start]
			p.trunc("icmp")
			return
		}
		p.str("address mask is 0x")
		p.hex(uint64(binary.BigEndian.Uint32(b[8:])), 8)
	case 4:
		p.str("source quench")
	case 10:
		p.str("router solicitation")
	case 15:
		p.str("information request")
	case 16:
		p.str("information reply")
	case 17:
		p.str("address mask request")
	default:
		p.str("type-#")
		p.uint(uint64(typ))
	}
	p.str(", length ")
	p.int(length)
	if p.opt.Verbose > 0 && !ip.fragmented && len(b) >= length && length >= 4 {
		if sum := checksum(b[:length], 0); sum != 0 {
			got := binary.BigEndian.Uint16(b[2:])
			p.str(" (wrong icmp cksum ")
			p.hex(uint64(got), 0)
			p.str(" (->")
			p.hex(uint64(shouldBe(got, sum)), 0)
			p.str(")!)")
		}
	}
	if p.opt.Verbose > 0 && icmpErrType(typ) && len(b) >= 8+20 && !inner {
		q := b[8:]
		qlen := int(binary.BigEndian.Uint16(q[2:]))
		if len(q) > qlen {
			q = q[:qlen]
		}
		p.str("\n\t")
		p.ipv4(q, qlen, true)
	}
}

// lifetime prints seconds as tcpdump's router advertisement does.
func (p *Printer) lifetime(s int) {
	switch {
	case s < 60:
		p.int(s)
	case s < 3600:
		p.int(s / 60)
		p.str(":")
		p.two(s % 60)
	default:
		p.int(s / 3600)
		p.str(":")
		p.two(s % 3600 / 60)
		p.str(":")
		p.two(s % 60)
	}
}

// msTime prints milliseconds since midnight UTC as "hh:mm:ss.mmm", and
// flags a non-standard time the way tcpdump does.
func (p *Printer) msTime(v uint32) {
	if v&0x80000000 != 0 {
		p.uint(uint64(v & 0x7fffffff))
		p.str(" (non-standard)")
		return
	}
	ms := v % 1000
	s := v / 1000
	p.two(int(s / 3600 % 100))
	p.str(":")
	p.two(int(s / 60 % 60))
	p.str(":")
	p.two(int(s % 60))
	p.str(".")
	if ms < 100 {
		p.str("0")
	}
	if ms < 10 {
		p.str("0")
	}
	p.uint(uint64(ms))
}
