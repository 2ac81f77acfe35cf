package capture

import (
	"encoding/binary"
	"net/netip"
)

func arpHardwareName(h uint16) string {
	switch h {
	case 1:
		return "Ethernet"
	case 6:
		return "TokenRing"
	case 15:
		return "FrameRelay"
	case 16:
		return "ATM"
	case 19:
		return "ATM"
	case 24:
		return "IEEE1394"
	case 27:
		return "EUI-64"
	}
	return ""
}

func arpOpName(op uint16) string {
	switch op {
	case 1:
		return "Request"
	case 2:
		return "Reply"
	case 3:
		return "Reverse Request"
	case 4:
		return "Reverse Reply"
	case 8:
		return "Inverse Request"
	case 9:
		return "Inverse Reply"
	case 10:
		return "NACK Reply"
	}
	return ""
}

// arp prints an ARP packet, b starting at its header.
func (p *Printer) arp(d *Decoder, b []byte) {
	length := p.wireLen(p.frameLen - len(b))
	if !p.opt.LinkHeader {
		p.str("ARP, ")
	}
	if len(b) < 8 {
		p.trunc("ARP")
		return
	}
	hrd, pro := binary.BigEndian.Uint16(b[0:]), binary.BigEndian.Uint16(b[2:])
	hln, pln := int(b[4]), int(b[5])
	op := binary.BigEndian.Uint16(b[6:])
	sha := 8
	spa := sha + hln
	tha := spa + pln
	tpa := tha + hln
	if len(b) < tpa+pln {
		p.trunc("ARP")
		return
	}
	if pro != 0x0800 || pln != 4 || hln == 0 || p.opt.Verbose > 0 {
		if name := arpHardwareName(hrd); name != "" {
			p.str(name)
		} else {
			p.str("Unknown Hardware (")
			p.uint(uint64(hrd))
			p.str(")")
		}
		p.str(" (len ")
		p.int(hln)
		p.str("), ")
		if pro == 0x0800 {
			p.str("IPv4")
		} else if n := etherTypeName(pro); n != "Unknown" {
			p.str(n)
		} else {
			p.str("Unknown Protocol (0x")
			p.hex(uint64(pro), 4)
			p.str(")")
		}
		p.str(" (len ")
		p.int(pln)
		p.str(")")
		if p.opt.Verbose == 0 {
			p.str(", length ")
			p.int(length)
			return
		}
		p.str(", ")
	}
	if name := arpOpName(op); name != "" {
		p.str(name)
	} else {
		p.str("Unknown (")
		p.uint(uint64(op))
		p.str(")")
	}
	p.str(" ")
	protoAddr := func(off int) {
		switch {
		case pro != 0x0800:
			p.str("<wrong proto type>")
		case pln != 4:
			p.str("<wrong len>")
		default:
			p.host(netip.AddrFrom4([4]byte(b[off : off+4])))
		}
	}
	link := func(off int) { p.mac(b[off : off+hln]) }
	switch op {
	case 1:
		p.str("who-has ")
		protoAddr(tpa)
		nonzero := false
		for _, c := range b[tha : tha+hln] {
			nonzero = nonzero || c != 0
		}
		if nonzero {
			p.str(" (")
			link(tha)
			p.str(")")
		}
		p.str(" tell ")
		protoAddr(spa)
	case 2:
		protoAddr(spa)
		p.str(" is-at ")
		link(sha)
	case 3, 8:
		p.str("who-is ")
		link(tha)
		p.str(" tell ")
		link(sha)
	case 4:
		link(tha)
		p.str(" at ")
		protoAddr(tpa)
	case 9:
		link(sha)
		p.str(" at ")
		protoAddr(spa)
	default:
		// tcpdump dumps an unknown operation whatever the flags.
		p.b = AppendHexASCII(p.b, b, "\n\t")
		return
	}
	p.str(", length ")
	p.int(length)
}
