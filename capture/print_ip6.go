package capture

import (
	"encoding/binary"
	"net/netip"
)

// ipv6 prints an IPv6 packet and its extension headers. b is what was
// captured of it, length its length on the wire.
func (p *Printer) ipv6(b []byte, length int) {
	if len(b) < 40 && length >= 40 {
		p.truncHere("ip6")
		return
	}
	if !p.opt.LinkHeader {
		p.str("IP6 ")
	}
	if length < 40 {
		p.str("truncated-ip6 ")
		p.int(length)
		return
	}
	if v := b[0] >> 4; v != 6 {
		p.str("version error: ")
		p.uint(uint64(v))
		p.str(" != 6")
		return
	}
	plen := int(binary.BigEndian.Uint16(b[4:]))
	total := plen + 40
	if plen == 0 {
		total = length // a jumbogram: rawsock does not read its length option
	} else if total > length {
		p.str("truncated-ip6 - ")
		p.int(total - length)
		p.str(" bytes missing!")
		total = length
	}
	if len(b) > total {
		b = b[:total]
	}
	nh := b[6]
	src, dst := netip.AddrFrom16([16]byte(b[8:24])), netip.AddrFrom16([16]byte(b[24:40]))
	if p.opt.Verbose > 0 {
		flow := binary.BigEndian.Uint32(b)
		p.str("(")
		if flow&0x0ff00000 != 0 {
			p.str("class 0x")
			p.hex(uint64(flow&0x0ff00000>>20), 2)
			p.str(", ")
		}
		if flow&0xfffff != 0 {
			p.str("flowlabel 0x")
			p.hex(uint64(flow&0xfffff), 5)
			p.str(", ")
		}
		p.str("hlim ")
		p.uint(uint64(b[7]))
		p.str(", next-header ")
		p.str(ipProtoName(nh))
		p.str(" (")
		p.uint(uint64(nh))
		p.str(") payload length: ")
		p.int(plen)
		p.str(") ")
	}
	ip := ipInfo{v6: b[:40], src: src, dst: dst}
	if nh != 6 && nh != 17 {
		p.host(src)
		p.str(" > ")
		p.host(dst)
		p.str(": ")
	}
	rest, remaining := b[40:], total-40
	jumbo := false
	for {
		var n int
		switch nh {
		case 0, 60: // hop-by-hop and destination options
			if len(rest) < 2 || (int(rest[1])+1)*8 > len(rest) {
				if nh == 0 {
					p.trunc("hbhopt")
				} else {
					p.trunc("dstopt")
				}
				return
			}
			n = (int(rest[1]) + 1) * 8
			if nh == 0 {
				p.str("HBH ")
			} else {
				p.str("DSTOPT ")
			}
			if p.opt.Verbose > 0 {
				p.ip6Options(rest[2:n], nh == 0, plen, &jumbo)
			}
		case 44:
			if len(rest) < 8 {
				p.trunc("frag6")
				return
			}
			n = 8
			off := binary.BigEndian.Uint16(rest[2:]) &^ 7
			p.str("frag (")
			if p.opt.Verbose > 0 {
				p.str("0x")
				p.hex(uint64(binary.BigEndian.Uint32(rest[4:])), 8)
				p.str(":")
			}
			p.uint(uint64(off))
			p.str("|")
			p.int(remaining - 8)
			p.str(")")
			if off != 0 || len(rest) <= 8 {
				return
			}
			p.str(" ")
			ip.fragmented = true
		case 43:
			if len(rest) < 4 {
				p.trunc("rt6")
				return
			}
			n = (int(rest[1]) + 1) * 8
			if !p.routing6(rest, n) {
				return
			}
			if t := rest[2]; (t == 0 || t == 2) && rest[1] >= 2 && rest[1]%2 == 0 {
				if last := 8 + 16*(int(rest[1])/2-1); last+16 <= len(rest) {
					ip.finalDst = addr16(rest[last:])
				}
			}
		default:
			ip.extended = ip.extended || len(rest) != len(b)-40
			if nh == 59 {
				p.str("no next header")
				return
			}
			p.transport(&ip, nh, rest, remaining, false)
			return
		}
		if remaining < n {
			p.trunc("ip6")
			return
		}
		nh = rest[0]
		rest, remaining = rest[n:], remaining-n
		if len(rest) == 0 {
			return
		}
	}
}

// ip6Options prints the options of a hop-by-hop or destination options
// header (tcpdump -v).
func (p *Printer) ip6Options(b []byte, hbh bool, plen int, jumbo *bool) {
	if len(b) == 0 {
		return
	}
	for i := 0; i < len(b); {
		n := 1
		if b[i] != 0 {
			if i+1 >= len(b) {
				p.str("[trunc] ")
				return
			}
			n = int(b[i+1]) + 2
		}
		if i+n > len(b) {
			p.str("[trunc] ")
			return
		}
		o := b[i : i+n]
		switch o[0] {
		case 0:
			p.str("(pad1)")
		case 1:
			p.str("(padn)")
		case 5:
			if n != 4 {
				p.str("(rtalert: invalid len ")
				p.uint(uint64(o[1]))
				p.str(")[trunc] ")
				return
			}
			p.str("(rtalert: 0x")
			p.hex(uint64(binary.BigEndian.Uint16(o[2:])), 4)
			p.str(") ")
		case 0xc2:
			if n != 6 {
				p.str("(jumbo: invalid len ")
				p.uint(uint64(o[1]))
				p.str(")[trunc] ")
				return
			}
			v := binary.BigEndian.Uint32(o[2:])
			p.str("(jumbo: ")
			p.uint(uint64(v))
			switch {
			case *jumbo:
				p.str(" - already seen")
			case !hbh:
				p.str(" - not a hop-by-hop option")
			case plen != 0:
				p.str(" - payload len != 0")
			case v < 65536:
				p.str(" - < 65536")
			}
			*jumbo = true
			p.str(") ")
		default:
			p.str("(opt_type 0x")
			p.hex(uint64(o[0]), 2)
			p.str(": len=")
			p.uint(uint64(o[1]))
			p.str(")")
		}
		i += n
	}
	p.str(" ")
}

// routing6 prints a routing header; false when it is cut short.
func (p *Printer) routing6(b []byte, n int) bool {
	typ, segleft := b[2], b[3]
	p.str("RT6 (len=")
	p.uint(uint64(b[1]))
	p.str(", type=")
	p.uint(uint64(typ))
	if typ == 0 {
		p.str(" [Deprecated]")
	}
	p.str(", segleft=")
	p.uint(uint64(segleft))
	switch typ {
	case 0, 2:
		if len(b) < 8 {
			p.trunc("rt6")
			return false
		}
		if p.opt.Verbose > 0 {
			p.str(", rsv=0x")
			p.hex(uint64(binary.BigEndian.Uint32(b[4:])), 0)
		}
		addrs := int(b[1]) / 2
		for i := 0; i < addrs; i++ {
			off := 8 + 16*i
			if off+16 > len(b) {
				p.trunc("rt6")
				return false
			}
			p.str(", [")
			p.int(i)
			p.str("]")
			p.host(netip.AddrFrom16([16]byte(b[off : off+16])))
		}
		p.str(") ")
	default:
		p.str(") ")
	}
	if n > len(b) {
		p.trunc("rt6")
		return false
	}
	return true
}
