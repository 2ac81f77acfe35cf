package capture

import (
	"encoding/binary"
	"net/netip"
)

func icmp6TypeName(t byte) string {
	switch t {
	case 1:
		return "destination unreachable"
	case 2:
		return "packet too big"
	case 3:
		return "time exceeded in-transit"
	case 4:
		return "parameter problem"
	case 128:
		return "echo request"
	case 129:
		return "echo reply"
	case 130:
		return "multicast listener query"
	case 131:
		return "multicast listener report"
	case 132:
		return "multicast listener done"
	case 133:
		return "router solicitation"
	case 134:
		return "router advertisement"
	case 135:
		return "neighbor solicitation"
	case 136:
		return "neighbor advertisement"
	case 137:
		return "redirect"
	case 138:
		return "router renumbering"
	case 139:
		return "who-are-you request"
	case 140:
		return "who-are-you reply"
	case 141:
		return "inverse neighbor solicitation"
	case 142:
		return "inverse neighbor advertisement"
	case 143:
		return "multicast listener report v2"
	case 144:
		return "ha discovery request"
	case 145:
		return "ha discovery reply"
	case 146:
		return "mobile router solicitation"
	case 147:
		return "mobile router advertisement"
	case 151:
		return "multicast router advertisement"
	case 152:
		return "multicast router solicitation"
	case 153:
		return "multicast router termination"
	case 200:
		return "private experimentation"
	case 201:
		return "private experimentation 2"
	}
	return ""
}

func addr16(b []byte) netip.Addr { return netip.AddrFrom16([16]byte(b[:16])) }

// icmp6 prints an ICMPv6 message; length is its length from the IPv6
// header.
func (p *Printer) icmp6(ip *ipInfo, b []byte, length int) {
	if len(b) < 4 {
		p.trunc("icmp6")
		return
	}
	typ, code := b[0], b[1]
	if p.opt.Verbose > 0 && !ip.fragmented && len(b) >= length {
		got := binary.BigEndian.Uint16(b[2:])
		if sum := checksum(b[:length], pseudoSum(ip, 58, length)); sum != 0 {
			p.str("[bad icmp6 cksum 0x")
			p.hex(uint64(got), 4)
			p.str(" -> 0x")
			p.hex(uint64(shouldBe(got, sum)), 4)
			p.str("!] ")
		} else {
			p.str("[icmp6 sum ok] ")
		}
	}
	p.str("ICMP6, ")
	if name := icmp6TypeName(typ); name != "" {
		p.str(name)
	} else {
		p.str("unknown icmp6 type (")
		p.uint(uint64(typ))
		p.str(")")
	}
	if p.opt.Verbose > 0 {
		switch typ {
		case 133, 134, 135, 136, 137, 145, 147:
			p.str(", length ")
			p.int(length)
		}
	}
	trunc := func() { p.trunc("icmp6") }
	switch typ {
	case 1:
		switch code {
		case 0:
			p.str(", unreachable route")
		case 1:
			p.str(",  unreachable prohibited")
		case 2:
			p.str(", beyond scope")
		case 3:
			p.str(", unreachable address")
		case 4:
			p.str(", unreachable port")
		default:
			p.str(", unknown unreach code (")
			p.uint(uint64(code))
			p.str(")")
			if p.opt.Verbose <= 1 {
				p.b = AppendHex(p.b, b[:min(len(b), length)], "\n\t")
				return
			}
		}
		if code > 4 {
			break
		}
		if len(b) < 8+40 {
			trunc()
			return
		}
		q := b[8:]
		switch code {
		case 0, 1, 3:
			p.str(" ")
			p.host(addr16(q[24:]))
		case 2:
			p.str(" ")
			p.host(addr16(q[24:]))
			p.str(", source address ")
			p.host(addr16(q[8:]))
		case 4:
			proto, upper, ok := upperLayer(q)
			if !ok || len(upper) < 4 {
				trunc()
				return
			}
			dport := binary.BigEndian.Uint16(upper[2:])
			p.str(", ")
			p.host(addr16(q[24:]))
			switch proto {
			case 6:
				p.str(" tcp port ")
				p.port(dport, false)
			case 17:
				p.str(" udp port ")
				p.port(dport, true)
			default:
				p.str(" protocol ")
				p.uint(uint64(proto))
				p.str(" port ")
				p.uint(uint64(dport))
				p.str(" unreachable")
			}
		}
	case 2:
		if len(b) < 8 {
			trunc()
			return
		}
		p.str(", mtu ")
		p.uint(uint64(binary.BigEndian.Uint32(b[4:])))
	case 3:
		if len(b) < 8+40 {
			trunc()
			return
		}
		switch code {
		case 0:
			p.str(" for ")
			p.host(addr16(b[8+24:]))
		case 1:
			p.str(" (reassembly)")
		default:
			p.str(", unknown code (")
			p.uint(uint64(code))
			p.str(")")
		}
	case 4:
		if len(b) < 8 {
			trunc()
			return
		}
		ptr := uint64(binary.BigEndian.Uint32(b[4:]))
		switch code {
		case 0:
			p.str(", erroneous - octet ")
		case 1:
			p.str(", next header - octet ")
		case 2:
			p.str(", option - octet ")
		default:
			p.str(", code-#")
			p.uint(uint64(code))
			ptr = ^uint64(0)
		}
		if ptr != ^uint64(0) {
			p.uint(ptr)
		}
	case 128, 129:
		if len(b) < 8 {
			trunc()
			return
		}
		p.str(", id ")
		p.uint(uint64(binary.BigEndian.Uint16(b[4:])))
		p.str(", seq ")
		p.uint(uint64(binary.BigEndian.Uint16(b[6:])))
	case 130:
		switch {
		case length == 24:
			if !p.mld1(b) {
				return
			}
		case length >= 28:
			p.str(" v2")
			if !p.mld2Query(b, length) {
				return
			}
		default:
			p.str(" unknown-version (len ")
			p.int(length)
			p.str(") ")
		}
	case 131, 132:
		if !p.mld1(b) {
			return
		}
	case 133:
		if p.opt.Verbose > 0 && !p.ndOptions(b, 8, length) {
			return
		}
	case 134:
		if p.opt.Verbose > 0 {
			if len(b) < 16 {
				trunc()
				return
			}
			p.str("\n\thop limit ")
			p.uint(uint64(b[4]))
			p.str(", Flags [")
			p.raFlags(b[5])
			p.str("], pref ")
			switch b[5] >> 3 & 3 {
			case 0:
				p.str("medium")
			case 1:
				p.str("high")
			case 2:
				p.str("rsv")
			case 3:
				p.str("low")
			}
			p.str(", router lifetime ")
			p.uint(uint64(binary.BigEndian.Uint16(b[6:])))
			p.str("s, reachable time ")
			p.uint(uint64(binary.BigEndian.Uint32(b[8:])))
			p.str("ms, retrans timer ")
			p.uint(uint64(binary.BigEndian.Uint32(b[12:])))
			p.str("ms")
			if !p.ndOptions(b, 16, length) {
				return
			}
		}
	case 135:
		if len(b) < 24 {
			trunc()
			return
		}
		p.str(", who has ")
		p.host(addr16(b[8:]))
		if p.opt.Verbose > 0 && !p.ndOptions(b, 24, length) {
			return
		}
	case 136:
		if len(b) < 24 {
			trunc()
			return
		}
		p.str(", tgt is ")
		p.host(addr16(b[8:]))
		if p.opt.Verbose > 0 {
			p.str(", Flags [")
			f := b[4]
			sep := ""
			for _, n := range [...]struct {
				bit  byte
				name string
			}{{0x80, "router"}, {0x40, "solicited"}, {0x20, "override"}} {
				if f&n.bit != 0 {
					p.str(sep)
					p.str(n.name)
					sep = ", "
				}
			}
			if f&0xe0 == 0 {
				p.str("none")
			}
			p.str("]")
			if !p.ndOptions(b, 24, length) {
				return
			}
		}
	case 137:
		if len(b) < 40 {
			trunc()
			return
		}
		p.str(", ")
		p.host(addr16(b[24:]))
		p.str(" to ")
		p.host(addr16(b[8:]))
		if p.opt.Verbose > 0 && !p.ndOptions(b, 40, length) {
			return
		}
	case 143:
		if len(b) < 8 {
			trunc()
			return
		}
		n := int(binary.BigEndian.Uint16(b[6:]))
		p.str(", ")
		p.int(n)
		p.str(" group record(s)")
		if p.opt.Verbose > 0 && !p.mld2Report(b, n, length) {
			return
		}
	default:
		if icmp6TypeName(typ) == "" || typ >= 138 {
			p.str(", length ")
			p.int(length)
			if p.opt.Verbose <= 1 {
				p.b = AppendHexASCII(p.b, b[:min(len(b), length)], "\n\t")
			}
			return
		}
	}
	if p.opt.Verbose == 0 {
		p.str(", length ")
		p.int(length)
	}
}

// upperLayer finds the transport header in the IPv6 packet quoted by an
// ICMPv6 error.
func upperLayer(q []byte) (proto byte, upper []byte, ok bool) {
	if len(q) < 40 {
		return 0, nil, false
	}
	nh, rest := q[6], q[40:]
	for i := 0; i < MaxIPv6Extensions; i++ {
		switch nh {
		case 0, 43, 60:
			if len(rest) < 2 || (int(rest[1])+1)*8 > len(rest) {
				return 0, nil, false
			}
			nh, rest = rest[0], rest[(int(rest[1])+1)*8:]
		case 44:
			if len(rest) < 8 || binary.BigEndian.Uint16(rest[2:])&^7 != 0 {
				return 0, nil, false
			}
			nh, rest = rest[0], rest[8:]
		case 51:
			if len(rest) < 2 || (int(rest[1])+2)*4 > len(rest) {
				return 0, nil, false
			}
			nh, rest = rest[0], rest[(int(rest[1])+2)*4:]
		default:
			return nh, rest, true
		}
	}
	return 0, nil, false
}

func (p *Printer) raFlags(f byte) {
	sep, any := "", false
	for _, n := range [...]struct {
		bit  byte
		name string
	}{{0x80, "managed"}, {0x40, "other stateful"}, {0x20, "home agent"}, {0x04, "proxy"}} {
		if f&n.bit != 0 {
			p.str(sep)
			p.str(n.name)
			sep, any = ", ", true
		}
	}
	if !any {
		p.str("none")
	}
}

// mld1 prints an MLDv1 message's fields; false when truncated.
func (p *Printer) mld1(b []byte) bool {
	if len(b) < 24 {
		p.trunc("icmp6")
		return false
	}
	p.str("max resp delay: ")
	p.uint(uint64(binary.BigEndian.Uint16(b[4:])))
	p.str(" addr: ")
	p.host(addr16(b[8:]))
	return true
}

func (p *Printer) mld2Query(b []byte, length int) bool {
	if len(b) < 28 {
		p.trunc("icmp6")
		return false
	}
	if p.opt.Verbose > 0 {
		mrc := int(binary.BigEndian.Uint16(b[4:]))
		mrt := mrc
		if mrc >= 32768 {
			mrt = (mrc&0x0fff | 0x1000) << ((mrc>>12)&7 + 3)
		}
		p.str(" [max resp delay=")
		p.int(mrt)
		p.str("]")
	}
	p.str(" [gaddr ")
	p.host(addr16(b[8:]))
	if p.opt.Verbose > 0 {
		if b[24]&8 != 0 {
			p.str(" sflag")
		}
		if b[24]&7 != 0 {
			p.str(" robustness=")
			p.uint(uint64(b[24] & 7))
		}
		qqi := int(b[25])
		if qqi >= 128 {
			qqi = (qqi&0xf | 0x10) << ((qqi>>4)&7 + 3)
		}
		p.str(" qqi=")
		p.int(qqi)
	}
	if n := int(binary.BigEndian.Uint16(b[26:])); n > 0 {
		switch {
		case length < 28+16*n:
			p.str(" [invalid number of sources]")
		case p.opt.Verbose > 1:
			p.str(" {")
			for i := 0; i < n; i++ {
				if 28+16*i+16 > len(b) {
					p.trunc("icmp6")
					return false
				}
				p.str(" ")
				p.host(addr16(b[28+16*i:]))
			}
			p.str(" }")
		default:
			p.str(", ")
			p.int(n)
			p.str(" source(s)")
		}
	}
	p.str("]")
	return true
}

func (p *Printer) mld2Report(b []byte, n, length int) bool {
	return p.groupRecords(b, n, length, 16, "v2-report", "icmp6")
}

// ndOptions prints the options of a neighbour discovery message from
// offset off (tcpdump -v); false when they were cut short.
func (p *Printer) ndOptions(b []byte, off, length int) bool {
	end := min(length, len(b))
	for off < end {
		if off+2 > end {
			p.trunc("icmp6")
			return false
		}
		typ, n := b[off], int(b[off+1])
		if n == 0 {
			// tcpdump stops at a zero length, which would loop forever.
			p.trunc("icmp6")
			return false
		}
		if off+8*n > end {
			p.trunc("icmp6")
			return false
		}
		o := b[off : off+8*n]
		p.str("\n\t  ")
		switch typ {
		case 1:
			p.str("source link-address option")
		case 2:
			p.str("destination link-address option")
		case 3:
			p.str("prefix info option")
		case 4:
			p.str("redirected header option")
		case 5:
			p.str("mtu option")
		case 7:
			p.str("advertisement interval option")
		case 8:
			p.str("homeagent information option")
		case 24:
			p.str("route info option")
		case 25:
			p.str("rdnss option")
		case 31:
			p.str("dnssl option")
		default:
			p.str("unknown option")
		}
		p.str(" (")
		p.uint(uint64(typ))
		p.str("), length ")
		p.int(8 * n)
		p.str(" (")
		p.int(n)
		p.str("): ")
		switch typ {
		case 1, 2:
			p.mac(o[2:])
		case 3:
			if len(o) < 32 {
				p.trunc("icmp6")
				return false
			}
			p.host(addr16(o[16:]))
			p.str("/")
			p.uint(uint64(o[2]))
			p.str(", Flags [")
			sep, any := "", false
			for _, f := range [...]struct {
				bit  byte
				name string
			}{{0x80, "onlink"}, {0x40, "auto"}, {0x20, "router"}} {
				if o[3]&f.bit != 0 {
					p.str(sep)
					p.str(f.name)
					sep, any = ", ", true
				}
			}
			if !any {
				p.str("none")
			}
			p.str("], valid time ")
			p.lifetime6(binary.BigEndian.Uint32(o[4:]))
			p.str(", pref. time ")
			p.lifetime6(binary.BigEndian.Uint32(o[8:]))
		case 5:
			p.str(" ")
			p.uint(uint64(binary.BigEndian.Uint32(o[4:])))
		default:
			if p.opt.Verbose <= 1 {
				// tcpdump prints no option after one it does not know.
				p.b = AppendHex(p.b, o[2:], "\n\t  ")
				return true
			}
		}
		if p.opt.Verbose > 1 {
			p.b = AppendHex(p.b, o[2:], "\n\t    ")
		}
		off += 8 * n
	}
	return true
}

func (p *Printer) lifetime6(v uint32) {
	if v == 0xffffffff {
		p.str("infinity")
		return
	}
	p.uint(uint64(v))
	p.str("s")
}
