package capture

import (
	"encoding/binary"
	"net/netip"
)

var dnsOps = [16]string{"", " inv_q", " stat", " op3", " notify", " update", " op6", " op7",
	" op8", " updateA", " updateD", " updateDA", " updateM", " updateMA", " zoneInit", " zoneRef"}

var dnsRcodes = [16]string{"", " FormErr", " ServFail", " NXDomain", " NotImp", " Refused", " YXDomain",
	" YXRRSet", " NXRRSet", " NotAuth", " NotZone", " Resp11", " Resp12", " Resp13", " Resp14", " NoChange"}

func dnsTypeName(t uint16) string {
	switch t {
	case 1:
		return "A"
	case 2:
		return "NS"
	case 3:
		return "MD"
	case 4:
		return "MF"
	case 5:
		return "CNAME"
	case 6:
		return "SOA"
	case 7:
		return "MB"
	case 8:
		return "MG"
	case 9:
		return "MR"
	case 10:
		return "NULL"
	case 11:
		return "WKS"
	case 12:
		return "PTR"
	case 13:
		return "HINFO"
	case 14:
		return "MINFO"
	case 15:
		return "MX"
	case 16:
		return "TXT"
	case 17:
		return "RP"
	case 18:
		return "AFSDB"
	case 19:
		return "X25"
	case 20:
		return "ISDN"
	case 21:
		return "RT"
	case 22:
		return "NSAP"
	case 23:
		return "NSAP_PTR"
	case 24:
		return "SIG"
	case 25:
		return "KEY"
	case 26:
		return "PX"
	case 27:
		return "GPOS"
	case 28:
		return "AAAA"
	case 29:
		return "LOC"
	case 30:
		return "NXT"
	case 31:
		return "EID"
	case 32:
		return "NIMLOC"
	case 33:
		return "SRV"
	case 34:
		return "ATMA"
	case 35:
		return "NAPTR"
	case 36:
		return "KX"
	case 37:
		return "CERT"
	case 38:
		return "A6"
	case 39:
		return "DNAME"
	case 40:
		return "SINK"
	case 41:
		return "OPT"
	case 42:
		return "APL"
	case 43:
		return "DS"
	case 44:
		return "SSHFP"
	case 45:
		return "IPSECKEY"
	case 46:
		return "RRSIG"
	case 47:
		return "NSEC"
	case 48:
		return "DNSKEY"
	case 49:
		return "DHCID"
	case 50:
		return "NSEC3"
	case 51:
		return "NSEC3PARAM"
	case 52:
		return "TLSA"
	case 53:
		return "SMIMEA"
	case 55:
		return "HIP"
	case 56:
		return "NINFO"
	case 57:
		return "RKEY"
	case 58:
		return "TALINK"
	case 59:
		return "CDS"
	case 60:
		return "CDNSKEY"
	case 61:
		return "OPENPGPKEY"
	case 62:
		return "CSYNC"
	case 63:
		return "ZONEMD"
	case 99:
		return "SPF"
	case 100:
		return "UINFO"
	case 101:
		return "UID"
	case 102:
		return "GID"
	case 103:
		return "UNSPEC"
	case 104:
		return "NID"
	case 105:
		return "L32"
	case 106:
		return "L64"
	case 107:
		return "LP"
	case 108:
		return "EUI48"
	case 109:
		return "EUI64"
	case 249:
		return "TKEY"
	case 250:
		return "TSIG"
	case 251:
		return "IXFR"
	case 252:
		return "AXFR"
	case 253:
		return "MAILB"
	case 254:
		return "MAILA"
	case 255:
		return "ANY"
	case 256:
		return "URI"
	case 257:
		return "CAA"
	case 258:
		return "AVC"
	case 259:
		return "DOA"
	case 260:
		return "AMTRELAY"
	case 32768:
		return "TA"
	case 32769:
		return "DLV"
	}
	return ""
}

func (p *Printer) dnsType(t uint16) {
	if n := dnsTypeName(t); n != "" {
		p.str(n)
		return
	}
	p.str("Type")
	p.uint(uint64(t))
}

func (p *Printer) dnsClass(c uint16) {
	switch c {
	case 1:
		p.str("IN")
	case 3:
		p.str("CHAOS")
	case 4:
		p.str("HS")
	case 255:
		p.str("ANY")
	default:
		p.str("(Class ")
		p.uint(uint64(c))
		p.str(")")
	}
}

// dnsMsg is a DNS message being printed: its bytes as captured.
type dnsMsg []byte

// skip returns the offset past the name at off, -2 when the capture ends
// inside it, or -1 for a label type rawsock does not read.
func (m dnsMsg) skip(off int) int {
	for {
		if off >= len(m) {
			return -2
		}
		c := int(m[off])
		switch {
		case c == 0:
			return off + 1
		case c&0xc0 == 0xc0:
			if off+2 > len(m) {
				return -2
			}
			return off + 2
		case c&0xc0 == 0x40:
			// EDNS0 extended label types: rawsock does not print them.
			return -1
		case c&0xc0 == 0x80:
			return -1
		}
		off += 1 + c
	}
}

// name prints the name at off as tcpdump's ns_nprint does, compression
// pointers allowed only backwards (which rules out loops), and returns the
// offset past it in the message; -2 when the capture ends inside it, -1
// for a bad pointer or label.
func (p *Printer) name(m dnsMsg, off int) int {
	if off >= len(m) {
		return -2
	}
	maxOff := off
	next := -1
	c := int(m[off])
	off++
	if c == 0 {
		p.str(".")
		return off
	}
	for c != 0 {
		if c&0xc0 == 0xc0 {
			if off >= len(m) {
				return -2
			}
			ptr := (c<<8 | int(m[off])) & 0x3fff
			if next < 0 {
				next = off + 1
			}
			if ptr >= maxOff {
				p.str("<BAD PTR>")
				return -1
			}
			maxOff = ptr
			if ptr >= len(m) {
				return -2
			}
			c = int(m[ptr])
			off = ptr + 1
			continue
		}
		if c&0xc0 == 0x40 {
			p.str("<ELT ")
			p.int(c & 0x3f)
			p.str(">")
			return -1
		}
		if c&0xc0 != 0 {
			return -1
		}
		if off+c > len(m) {
			return -2
		}
		p.printable(m[off : off+c])
		p.str(".")
		off += c
		if off >= len(m) {
			return -2
		}
		c = int(m[off])
		off++
	}
	if next < 0 {
		next = off
	}
	return next
}

// printable appends bytes as tcpdump's fn_print_char does: "M-" for the
// eighth bit, "^" for control characters.
func (p *Printer) printable(b []byte) {
	for _, c := range b {
		if c >= 0x80 {
			p.str("M-")
			c &= 0x7f
		}
		if c < 0x20 || c == 0x7f {
			p.b = append(p.b, '^', c^0x40)
			continue
		}
		p.b = append(p.b, c)
	}
}

// dns prints a DNS message carried over UDP; length is the UDP payload
// length.
func (p *Printer) dns(b []byte, length int) {
	m := dnsMsg(b)
	if length < 12 {
		p.str("domain [length ")
		p.int(length)
		p.str(" < 12] (invalid)")
		return
	}
	if len(m) < 12 {
		p.truncHere("domain")
		return
	}
	id := binary.BigEndian.Uint16(m)
	f := binary.BigEndian.Uint16(m[2:])
	qd, an := int(binary.BigEndian.Uint16(m[4:])), int(binary.BigEndian.Uint16(m[6:]))
	ns, ar := int(binary.BigEndian.Uint16(m[8:])), int(binary.BigEndian.Uint16(m[10:]))
	opcode := f >> 11 & 0xf
	off := 12
	if f&0x8000 != 0 {
		p.uint(uint64(id))
		p.str(dnsOps[opcode])
		p.str(dnsRcodes[f&0xf])
		if f&0x0400 != 0 {
			p.str("*")
		}
		if f&0x0080 == 0 {
			p.str("-")
		}
		if f&0x0200 != 0 {
			p.str("|")
		}
		if qd != 1 {
			p.str(" [")
			p.int(qd)
			p.str("q]")
		}
		for i := 0; i < qd; i++ {
			if p.opt.Verbose > 1 {
				if i != 0 {
					p.str(",")
				}
				p.str(" q:")
				if off = p.question(m, off); off < 0 {
					p.truncHere("domain")
					return
				}
				continue
			}
			if off = m.skip(off); off < 0 || off+4 > len(m) {
				p.truncHere("domain")
				return
			}
			off += 4
		}
		p.str(" ")
		p.int(an)
		p.str("/")
		p.int(ns)
		p.str("/")
		p.int(ar)
		for i := 0; i < an; i++ {
			if i > 0 {
				if off >= len(m) {
					break
				}
				p.str(",")
			}
			if off = p.record(m, off); off < 0 {
				p.truncHere("domain")
				return
			}
			an2 := an - i - 1
			_ = an2
		}
		if p.opt.Verbose > 1 && !p.sections(m, &off, ns, ar) {
			return
		}
	} else {
		p.uint(uint64(id))
		p.str(dnsOps[opcode])
		if f&0x0100 != 0 {
			p.str("+")
		}
		if f&0x0010 != 0 {
			p.str("%")
		}
		if f&0x6cf != 0 {
			p.str(" [b2&3=0x")
			p.hex(uint64(f), 0)
			p.str("]")
		}
		if opcode == 1 {
			if qd != 0 {
				p.str(" [")
				p.int(qd)
				p.str("q]")
			}
			if an != 1 {
				p.str(" [")
				p.int(an)
				p.str("a]")
			}
		} else {
			if an != 0 {
				p.str(" [")
				p.int(an)
				p.str("a]")
			}
			if qd != 1 {
				p.str(" [")
				p.int(qd)
				p.str("q]")
			}
		}
		if ns != 0 {
			p.str(" [")
			p.int(ns)
			p.str("n]")
		}
		if ar != 0 {
			p.str(" [")
			p.int(ar)
			p.str("au]")
		}
		for i := 0; i < qd; i++ {
			if i > 0 && off >= len(m) {
				break
			}
			if off = p.question(m, off); off < 0 {
				p.truncHere("domain")
				return
			}
		}
		if p.opt.Verbose > 1 {
			for i := 0; i < an; i++ {
				if i > 0 {
					if off >= len(m) {
						break
					}
					p.str(",")
				}
				if off = p.record(m, off); off < 0 {
					p.truncHere("domain")
					return
				}
			}
			if !p.sections(m, &off, ns, ar) {
				return
			}
		}
	}
	p.str(" (")
	p.int(length)
	p.str(")")
}

// sections prints the authority and additional sections (tcpdump -vv);
// false when the message was cut short.
func (p *Printer) sections(m dnsMsg, off *int, ns, ar int) bool {
	for _, sec := range [...]struct {
		n      int
		prefix string
	}{{ns, " ns:"}, {ar, " ar:"}} {
		for i := 0; i < sec.n; i++ {
			if *off >= len(m) {
				break
			}
			if i == 0 {
				p.str(sec.prefix)
			} else {
				p.str(",")
			}
			if *off = p.record(m, *off); *off < 0 {
				p.truncHere("domain")
				return false
			}
		}
	}
	return true
}

// question prints " TYPE? name" and returns the offset past the question.
func (p *Printer) question(m dnsMsg, off int) int {
	end := m.skip(off)
	if end < 0 || end+4 > len(m) {
		return -1
	}
	p.str(" ")
	p.dnsType(binary.BigEndian.Uint16(m[end:]))
	if c := binary.BigEndian.Uint16(m[end+2:]); c != 1 {
		p.str(" ")
		p.dnsClass(c)
	}
	p.str("? ")
	if p.name(m, off) < 0 {
		return -1
	}
	return end + 4
}

// record prints one resource record as tcpdump's ns_rprint does.
func (p *Printer) record(m dnsMsg, off int) int {
	var end int
	if p.opt.Verbose > 0 {
		p.str(" ")
		end = p.name(m, off)
	} else {
		end = m.skip(off)
	}
	switch end {
	case -2:
		// tcpdump ends the records quietly where the capture ends.
		return len(m)
	case -1:
		return -1
	}
	if end+10 > len(m) {
		return len(m)
	}
	typ := binary.BigEndian.Uint16(m[end:])
	class := binary.BigEndian.Uint16(m[end+2:])
	ttl := binary.BigEndian.Uint32(m[end+4:])
	rdlen := int(binary.BigEndian.Uint16(m[end+8:]))
	if class != 1 && typ != 41 {
		p.str(" ")
		p.dnsClass(class)
	}
	if typ != 41 && p.opt.Verbose > 2 {
		p.str(" [")
		p.relTime(int(ttl))
		p.str("]")
	}
	cp := end + 10
	rp := cp + rdlen
	p.str(" ")
	p.dnsType(typ)
	if rp > len(m) {
		return -1
	}
	switch typ {
	case 1:
		if rdlen < 4 {
			return -1
		}
		p.str(" ")
		p.host(netip.AddrFrom4([4]byte(m[cp : cp+4])))
	case 2, 5, 12, 39:
		p.str(" ")
		if p.name(m, cp) < 0 {
			return -1
		}
	case 6:
		if p.opt.Verbose == 0 {
			break
		}
		p.str(" ")
		if cp = p.name(m, cp); cp < 0 {
			return -1
		}
		p.str(" ")
		if cp = p.name(m, cp); cp < 0 {
			return -1
		}
		if cp+20 > len(m) {
			return -1
		}
		for i := 0; i < 5; i++ {
			p.str(" ")
			p.uint(uint64(binary.BigEndian.Uint32(m[cp+4*i:])))
		}
	case 15:
		p.str(" ")
		if cp+2 > len(m) {
			return -1
		}
		if p.name(m, cp+2) < 0 {
			return -1
		}
		p.str(" ")
		p.uint(uint64(binary.BigEndian.Uint16(m[cp:])))
	case 16:
		for cp < rp {
			p.str(" \"")
			n := int(m[cp])
			if cp+1+n > len(m) {
				return -1
			}
			p.printable(m[cp+1 : cp+1+n])
			cp += 1 + n
			p.str("\"")
		}
	case 33:
		p.str(" ")
		if cp+6 > len(m) {
			return -1
		}
		if p.name(m, cp+6) < 0 {
			return -1
		}
		p.str(":")
		p.uint(uint64(binary.BigEndian.Uint16(m[cp+4:])))
		p.str(" ")
		p.uint(uint64(binary.BigEndian.Uint16(m[cp:])))
		p.str(" ")
		p.uint(uint64(binary.BigEndian.Uint16(m[cp+2:])))
	case 28:
		if rdlen < 16 {
			return -1
		}
		p.str(" ")
		p.host(addr16(m[cp:]))
	case 41:
		p.str(" UDPsize=")
		p.uint(uint64(class))
		if ttl&0x8000 != 0 {
			p.str(" DO")
		}
	}
	return rp
}
