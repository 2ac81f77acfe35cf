package capture

import (
	"bytes"
	"encoding/binary"
)

// tcpKey names a TCP connection in a fixed order of its two ends, so both
// directions find the same entry.
type tcpKey struct {
	addr  [2][16]byte
	port  [2]uint16
	is6   bool
	valid bool
}

// tcpSeq holds the first sequence numbers seen of a connection, from which
// tcpdump prints relative ones.
type tcpSeq struct{ seq, ack uint32 }

// maxTCPConns bounds the connections remembered for relative sequence
// numbers; past it the table starts over.
const maxTCPConns = 1 << 16

func (p *Printer) ends(ip *ipInfo, sport, dport uint16, udp bool) {
	if ip.extended {
		p.port(sport, udp)
		p.str(" > ")
		p.port(dport, udp)
		p.str(": ")
		return
	}
	p.host(ip.src)
	p.str(".")
	p.port(sport, udp)
	p.str(" > ")
	p.host(ip.dst)
	p.str(".")
	p.port(dport, udp)
	p.str(": ")
}

var tcpFlagChars = [8]struct {
	bit byte
	c   byte
}{{0x01, 'F'}, {0x02, 'S'}, {0x04, 'R'}, {0x08, 'P'}, {0x10, '.'}, {0x20, 'U'}, {0x40, 'E'}, {0x80, 'W'}}

// tcp prints a TCP segment; length is its length from the IP header.
func (p *Printer) tcp(ip *ipInfo, b []byte, length int) {
	if len(b) < 4 {
		p.host(ip.src)
		p.str(" > ")
		p.host(ip.dst)
		p.str(":")
		p.truncHere("tcp")
		return
	}
	sport, dport := binary.BigEndian.Uint16(b[0:]), binary.BigEndian.Uint16(b[2:])
	p.ends(ip, sport, dport, false)
	if len(b) < 20 {
		p.truncHere("tcp")
		return
	}
	hlen := int(b[12]>>4) * 4
	if hlen < 20 {
		p.str(" tcp ")
		p.int(length - hlen)
		p.str(" [bad hdr length ")
		p.int(hlen)
		p.str(" - too short, < 20]")
		return
	}
	seq, ack := binary.BigEndian.Uint32(b[4:]), binary.BigEndian.Uint32(b[8:])
	flags := b[13]
	win, urp := binary.BigEndian.Uint16(b[14:]), binary.BigEndian.Uint16(b[18:])
	if p.opt.Quiet {
		p.str("tcp ")
		p.uint(uint64(uint32(length - hlen))) // as tcpdump, which counts in unsigned
		if hlen > length {
			p.str(" [bad hdr length ")
			p.int(hlen)
			p.str(" - too long, > ")
			p.int(length)
			p.str("]")
		}
		return
	}
	p.str("Flags [")
	if flags == 0 {
		p.str("none")
	}
	for _, f := range tcpFlagChars {
		if flags&f.bit != 0 {
			p.b = append(p.b, f.c)
		}
	}
	p.str("]")
	rev := sport > dport
	if sport == dport {
		s, d := ip.src.As16(), ip.dst.As16()
		rev = bytes.Compare(s[:], d[:]) > 0
	}
	var base tcpSeq
	if flags&0x10 != 0 {
		base = p.relative(ip, sport, dport, rev, seq, ack, flags)
		if rev {
			seq -= base.ack
			ack -= base.seq
		} else {
			seq -= base.seq
			ack -= base.ack
		}
	}
	if hlen > length {
		p.str(" [bad hdr length ")
		p.int(hlen)
		p.str(" - too long, > ")
		p.int(length)
		p.str("]")
		return
	}
	if p.opt.Verbose > 0 && !ip.fragmented && len(b) >= length {
		got := binary.BigEndian.Uint16(b[16:])
		sum := checksum(b[:length], pseudoSum(ip, 6, length))
		p.str(", cksum 0x")
		p.hex(uint64(got), 4)
		if sum != 0 {
			p.str(" (incorrect -> 0x")
			p.hex(uint64(shouldBe(got, sum)), 4)
			p.str(")")
		} else {
			p.str(" (correct)")
		}
	}
	payload := length - hlen
	if p.opt.Verbose > 1 || payload > 0 || flags&0x07 != 0 {
		p.str(", seq ")
		p.uint(uint64(seq))
		if payload > 0 {
			p.str(":")
			p.uint(uint64(seq + uint32(payload)))
		}
	}
	if flags&0x10 != 0 {
		p.str(", ack ")
		p.uint(uint64(ack))
	}
	p.str(", win ")
	p.uint(uint64(win))
	if flags&0x20 != 0 {
		p.str(", urg ")
		p.uint(uint64(urp))
	}
	if hlen > 20 {
		p.str(", options [")
		if !p.tcpOptions(b[20:min(hlen, len(b))], hlen-20, rev, base) {
			return
		}
		p.str("]")
	}
	p.str(", length ")
	p.int(payload)
	if flags&0x04 != 0 && p.opt.Verbose > 0 && payload > 0 {
		// tcpdump shows the text some stacks put in a reset.
		data := b[min(hlen, len(b)):min(length, len(b))]
		p.str(" [RST")
		if len(data) > 30 {
			data = data[:30]
			p.str("+")
		}
		p.str(" ")
		p.printable(data)
		p.str("]")
	}
}

// relative finds, or records, the first sequence numbers of a connection.
func (p *Printer) relative(ip *ipInfo, sport, dport uint16, rev bool, seq, ack uint32, flags byte) tcpSeq {
	var k tcpKey
	s, d := ip.src.As16(), ip.dst.As16()
	if rev {
		k.addr[0], k.addr[1], k.port[0], k.port[1] = d, s, dport, sport
	} else {
		k.addr[0], k.addr[1], k.port[0], k.port[1] = s, d, sport, dport
	}
	k.is6, k.valid = ip.v6 != nil, true
	if t, ok := p.conns[k]; ok && flags&0x02 == 0 {
		return t
	}
	var t tcpSeq
	if rev {
		t.ack, t.seq = seq, ack-1
	} else {
		t.seq, t.ack = seq, ack-1
	}
	if _, ok := p.conns[k]; !ok && len(p.conns) >= maxTCPConns {
		clear(p.conns)
	}
	p.conns[k] = t
	// The first packet of a connection prints absolute numbers.
	return tcpSeq{}
}

// tcpOptions prints TCP options as tcpdump's loop does, which reads a
// known option's value by its usual size and flags a length that differs
// ("mss 1280[len 3]"); false when a bad option ended the line.
func (p *Printer) tcpOptions(b []byte, total int, rev bool, base tcpSeq) bool {
	hlen := total
	cp := 0
	first := true
	// captured reports whether n more bytes from cp were captured; when
	// not, the line ends the way tcpdump ends a cut-short packet.
	captured := func(n int) bool {
		if cp+n > len(b) {
			p.trunc("tcp")
			return false
		}
		return true
	}
	bad := func() bool {
		p.str("[bad opt]")
		if !first {
			p.str("]")
		}
		return false
	}
	for hlen > 0 {
		if !first {
			p.str(",")
		}
		if !captured(1) {
			return false
		}
		kind := b[cp]
		cp++
		n := 1
		if kind > 1 {
			if hlen < 2 {
				return bad()
			}
			if !captured(1) {
				return false
			}
			n = int(b[cp])
			cp++
			if n < 2 || n > hlen {
				return bad()
			}
			hlen--
		}
		hlen--
		p.str(tcpOptionName(kind))
		used := 0
		truncated := false
		fixed := func(size int) bool {
			used = size
			if size > hlen {
				return false
			}
			if cp+size > len(b) {
				truncated = true
				return false
			}
			return true
		}
		switch kind {
		case 2: // mss
			if !fixed(2) {
				return p.optEnd(truncated, first, bad)
			}
			p.str(" ")
			p.uint(uint64(binary.BigEndian.Uint16(b[cp:])))
		case 3: // window scale
			if !fixed(1) {
				return p.optEnd(truncated, first, bad)
			}
			p.str(" ")
			p.uint(uint64(b[cp]))
		case 5: // SACK
			used = n - 2
			if used > hlen {
				return bad()
			}
			if used%8 != 0 {
				p.str(" invalid sack")
			} else {
				p.str(" ")
				p.int(used / 8)
				p.str(" ")
				for j := 0; j < used; j += 8 {
					if cp+j+8 > len(b) {
						return p.optEnd(true, first, bad)
					}
					s, e := binary.BigEndian.Uint32(b[cp+j:]), binary.BigEndian.Uint32(b[cp+j+4:])
					if rev {
						s -= base.seq
						e -= base.seq
					} else {
						s -= base.ack
						e -= base.ack
					}
					p.str("{")
					p.uint(uint64(s))
					p.str(":")
					p.uint(uint64(e))
					p.str("}")
				}
			}
		case 6, 7, 11, 12, 13: // echo, echo reply, CC, CC.NEW, CC.ECHO
			if !fixed(4) {
				return p.optEnd(truncated, first, bad)
			}
			p.str(" ")
			p.uint(uint64(binary.BigEndian.Uint32(b[cp:])))
		case 8: // timestamps
			if !fixed(8) {
				return p.optEnd(truncated, first, bad)
			}
			p.str(" val ")
			p.uint(uint64(binary.BigEndian.Uint32(b[cp:])))
			p.str(" ecr ")
			p.uint(uint64(binary.BigEndian.Uint32(b[cp+4:])))
		case 19: // TCP MD5 signature
			if !fixed(16) {
				return p.optEnd(truncated, first, bad)
			}
			p.str(" shared secret not supplied with -M, can't check - ")
			for _, c := range b[cp : cp+16] {
				p.hex(uint64(c), 2)
			}
		case 0, 1, 4:
		case 28: // user timeout
			if !fixed(2) {
				return p.optEnd(truncated, first, bad)
			}
			v := int(binary.BigEndian.Uint16(b[cp:]))
			p.str(" 0x")
			p.hex(uint64(v), 0)
			if v&1 != 0 {
				v = (v >> 1) * 60
			} else {
				v >>= 1
			}
			p.str(" ")
			p.int(v)
		case 34: // TCP fast open
			if !fixed(n - 2) {
				return p.optEnd(truncated, first, bad)
			}
			p.str(" ")
			switch {
			case used == 0:
				p.str(" cookiereq")
			case used%2 != 0 || used < 4 || used > 16:
				p.str(" (invalid)")
			default:
				p.str(" cookie ")
				for _, c := range b[cp : cp+used] {
					p.hex(uint64(c), 2)
				}
			}
		default:
			if !fixed(n - 2) {
				return p.optEnd(truncated, first, bad)
			}
			if used > 0 {
				p.str(" 0x")
				for _, c := range b[cp : cp+used] {
					p.hex(uint64(c), 2)
				}
			}
		}
		cp += used
		hlen -= used
		want := used + 1
		if kind > 1 {
			want++
		}
		if want != n {
			p.str("[len ")
			p.int(n)
			p.str("]")
		}
		first = false
		if kind == 0 {
			break
		}
	}
	return true
}

// optEnd ends the options at a value that is not there: cut short by the
// capture (tcpdump adds ">" after the first option), or past the header.
func (p *Printer) optEnd(truncated, first bool, bad func() bool) bool {
	if truncated {
		p.truncHere("tcp")
		if !first {
			p.str(">")
		}
		return false
	}
	return bad()
}

func tcpOptionName(k byte) string {
	switch k {
	case 0:
		return "eol"
	case 1:
		return "nop"
	case 2:
		return "mss"
	case 3:
		return "wscale"
	case 4:
		return "sackOK"
	case 5:
		return "sack"
	case 6:
		return "echo"
	case 7:
		return "echoreply"
	case 8:
		return "TS"
	case 11:
		return "cc"
	case 12:
		return "ccnew"
	case 13:
		return ""
	case 19:
		return "md5"
	case 20:
		return "scps"
	case 28:
		return "uto"
	case 29:
		return "tcp-ao"
	case 30:
		return "mptcp"
	case 34:
		return "tfo"
	case 254:
		return "exp"
	}
	return unknownOpt[k]
}

// unknownOpt holds "unknown-N" for every option kind, built once.
var unknownOpt = func() (t [256]string) {
	for i := range t {
		t[i] = "unknown-" + itoa(i)
	}
	return t
}()

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	n := len(b)
	for ; i > 0; i /= 10 {
		n--
		b[n] = byte('0' + i%10)
	}
	return string(b[n:])
}
