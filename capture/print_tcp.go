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
		p.trunc("tcp")
		return
	}
	sport, dport := binary.BigEndian.Uint16(b[0:]), binary.BigEndian.Uint16(b[2:])
	p.ends(ip, sport, dport, false)
	if len(b) < 20 {
		p.trunc("tcp")
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
		p.int(length - hlen)
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
		rev = bytes.Compare(ip.src.AsSlice(), ip.dst.AsSlice()) > 0
	}
	var base tcpSeq
	if flags&0x10 != 0 {
		base = p.relative(ip, sport, dport, rev, seq, ack)
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
		if hlen > len(b) {
			p.str("]")
			p.trunc("tcp")
			return
		}
		if !p.tcpOptions(b[20:hlen], rev, base) {
			return
		}
		p.str("]")
	}
	p.str(", length ")
	p.int(payload)
}

// relative finds, or records, the first sequence numbers of a connection.
func (p *Printer) relative(ip *ipInfo, sport, dport uint16, rev bool, seq, ack uint32) tcpSeq {
	var k tcpKey
	s, d := ip.src.As16(), ip.dst.As16()
	if rev {
		k.addr[0], k.addr[1], k.port[0], k.port[1] = d, s, dport, sport
	} else {
		k.addr[0], k.addr[1], k.port[0], k.port[1] = s, d, sport, dport
	}
	k.is6, k.valid = ip.v6 != nil, true
	if t, ok := p.conns[k]; ok {
		return t
	}
	var t tcpSeq
	if rev {
		t.ack, t.seq = seq, ack-1
	} else {
		t.seq, t.ack = seq, ack-1
	}
	if len(p.conns) >= maxTCPConns {
		clear(p.conns)
	}
	p.conns[k] = t
	// The first packet of a connection prints absolute numbers.
	if rev {
		return tcpSeq{seq: 0, ack: 0}
	}
	return tcpSeq{}
}

// tcpOptions prints TCP options; false when a bad option ended the line.
func (p *Printer) tcpOptions(b []byte, rev bool, base tcpSeq) bool {
	for i := 0; len(b) > 0; i++ {
		if i > 0 {
			p.str(",")
		}
		kind := b[0]
		n := 1
		if kind > 1 {
			if len(b) < 2 {
				p.str(tcpOptionName(kind))
				p.str("]")
				p.trunc("tcp")
				return false
			}
			n = int(b[1])
			if n < 2 || n > len(b) {
				p.str(tcpOptionName(kind))
				p.str("[bad opt]")
				return false
			}
		}
		p.str(tcpOptionName(kind))
		o := b[:n]
		used := 0
		switch kind {
		case 2: // mss
			used = 2
			if n >= 4 {
				p.str(" ")
				p.uint(uint64(binary.BigEndian.Uint16(o[2:])))
			}
		case 3: // window scale
			used = 1
			if n >= 3 {
				p.str(" ")
				p.uint(uint64(o[2]))
			}
		case 5: // SACK
			used = n - 2
			if used%8 != 0 {
				p.str(" invalid sack")
			} else {
				p.str(" ")
				p.int(used / 8)
				p.str(" ")
				for j := 2; j+8 <= n; j += 8 {
					s, e := binary.BigEndian.Uint32(o[j:]), binary.BigEndian.Uint32(o[j+4:])
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
		case 8: // timestamps
			used = 8
			if n >= 10 {
				p.str(" val ")
				p.uint(uint64(binary.BigEndian.Uint32(o[2:])))
				p.str(" ecr ")
				p.uint(uint64(binary.BigEndian.Uint32(o[6:])))
			}
		case 0, 1, 4:
		case 28: // user timeout
			used = 2
			if n >= 4 {
				v := binary.BigEndian.Uint16(o[2:])
				p.str(" 0x")
				p.hex(uint64(v), 0)
				if v&1 != 0 {
					v = (v >> 1) * 60
				} else {
					v >>= 1
				}
				p.str(" ")
				p.uint(uint64(v))
			}
		default:
			used = n - 2
			if used > 0 {
				p.str(" 0x")
				for _, c := range o[2:] {
					p.hex(uint64(c), 2)
				}
			}
		}
		want := used + 1
		if kind > 1 {
			want++
		}
		if kind > 1 && want != n {
			p.str("[len ")
			p.int(n)
			p.str("]")
		}
		if kind == 0 {
			break
		}
		b = b[n:]
	}
	return true
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
