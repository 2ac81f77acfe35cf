package capture

import "encoding/binary"

// udp prints a UDP datagram; length is its length from the IP header.
func (p *Printer) udp(ip *ipInfo, b []byte, length int) {
	if len(b) < 4 {
		p.host(ip.src)
		p.str(" > ")
		p.host(ip.dst)
		p.str(":")
		p.truncHere("udp")
		return
	}
	sport, dport := binary.BigEndian.Uint16(b[0:]), binary.BigEndian.Uint16(b[2:])
	if length < 8 {
		p.ends(ip, sport, dport, true)
		p.str("truncated-udp ")
		p.int(length)
		return
	}
	if len(b) < 6 {
		p.ends(ip, sport, dport, true)
		p.truncHere("udp")
		return
	}
	ulen := int(binary.BigEndian.Uint16(b[4:]))
	if ulen == 0 && length > 65535 {
		ulen = length
	}
	if ulen < 8 {
		p.ends(ip, sport, dport, true)
		p.str("truncated-udplength ")
		p.int(ulen)
		return
	}
	ulen -= 8
	length -= 8
	if ulen < length {
		length = ulen
	}
	short := ulen > length
	if len(b) < 8 {
		p.ends(ip, sport, dport, true)
		p.truncHere("udp")
		return
	}
	p.ends(ip, sport, dport, true)
	payload := b[8:]
	if len(payload) > length {
		payload = payload[:length]
	}
	if p.opt.Quiet {
		p.udpLength(ulen, length, short)
		return
	}
	if ((ip.v4 != nil && p.opt.Verbose > 1) || (ip.v6 != nil && p.opt.Verbose > 0)) && !ip.fragmented {
		got := binary.BigEndian.Uint16(b[6:])
		switch {
		case got == 0 && ip.v4 != nil:
			p.str("[no cksum] ")
		case len(b) >= length+8:
			sum := checksum(b[:length+8], pseudoSum(ip, 17, length+8))
			if sum != 0 {
				p.str("[bad udp cksum 0x")
				p.hex(uint64(got), 4)
				p.str(" -> 0x")
				p.hex(uint64(shouldBe(got, sum)), 4)
				p.str("!] ")
			} else {
				p.str("[udp sum ok] ")
			}
		}
	}
	if sport == 53 || dport == 53 {
		p.dns(payload, length)
		return
	}
	p.udpLength(ulen, length, short)
}

func (p *Printer) udpLength(ulen, length int, short bool) {
	if short {
		p.str("UDP, bad length ")
		p.int(ulen)
		p.str(" > ")
		p.int(length)
		return
	}
	p.str("UDP, length ")
	p.int(ulen)
}
