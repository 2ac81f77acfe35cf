package capture

import (
	"encoding/binary"
	"net/netip"
	"strconv"
)

// groupRecordTypes names the record types of IGMPv3 and MLDv2 reports,
// which share their numbers (RFC 3376 4.2.12, RFC 3810 5.2.12).
var groupRecordTypes = [...]string{1: "is_in", 2: "is_ex", 3: "to_in", 4: "to_ex", 5: "allow", 6: "block"}

// igmp prints an IGMP message of any version; length is its length from
// the IP header.
func (p *Printer) igmp(b []byte, length int) {
	if p.opt.Quiet {
		p.str("igmp")
		return
	}
	if len(b) < 1 {
		p.trunc("igmp")
		return
	}
	group := func() bool {
		if len(b) < 8 {
			p.trunc("igmp")
			return false
		}
		p.host(netip.AddrFrom4([4]byte(b[4:8])))
		return true
	}
	switch b[0] {
	case IGMPQuery:
		p.str("igmp query")
		if length >= 12 {
			p.str(" v3")
			if !p.igmp3Query(b, length) {
				return
			}
			break
		}
		if len(b) < 2 {
			p.trunc("igmp")
			return
		}
		if b[1] != 0 {
			p.str(" v2")
			if b[1] != 100 {
				p.str(" [max resp time ")
				p.uint(uint64(b[1]))
				p.str("]")
			}
		} else {
			p.str(" v1")
		}
		if len(b) < 8 {
			p.trunc("igmp")
			return
		}
		if binary.BigEndian.Uint32(b[4:]) != 0 {
			p.str(" [gaddr ")
			p.host(netip.AddrFrom4([4]byte(b[4:8])))
			p.str("]")
		}
		if length != 8 {
			p.str(" [len ")
			p.int(length)
			p.str("]")
		}
	case IGMPv1Report:
		p.str("igmp v1 report ")
		if !group() {
			return
		}
		if length != 8 {
			p.str(" [len ")
			p.int(length)
			p.str("]")
		}
	case IGMPv2Report:
		p.str("igmp v2 report ")
		if !group() {
			return
		}
	case IGMPLeave:
		p.str("igmp leave ")
		if !group() {
			return
		}
	case IGMPv3Report:
		p.str("igmp v3 report")
		if !p.igmp3Report(b, length) {
			return
		}
	default:
		p.str("igmp-")
		p.uint(uint64(b[0]))
	}
	if p.opt.Verbose > 0 && length >= 4 && len(b) >= length {
		if checksum(b[:length], 0) != 0 {
			p.str(" bad igmp cksum ")
			p.hex(uint64(binary.BigEndian.Uint16(b[2:])), 0)
			p.str("!")
		}
	}
}

func (p *Printer) igmp3Query(b []byte, length int) bool {
	if len(b) < 12 {
		p.trunc("igmp")
		return false
	}
	mrc := int(b[1])
	mrt := mrc
	if mrc >= 128 {
		mrt = (mrc&0x0f | 0x10) << ((mrc&0x70)>>4 + 3)
	}
	if mrc != 100 {
		p.str(" [max resp time ")
		if mrt < 600 {
			p.b = strconv.AppendFloat(p.b, float64(mrt)*0.1, 'f', 1, 64)
			p.str("s")
		} else {
			p.relTime(mrt / 10)
		}
		p.str("]")
	}
	if binary.BigEndian.Uint32(b[4:]) == 0 {
		return true
	}
	p.str(" [gaddr ")
	p.host(netip.AddrFrom4([4]byte(b[4:8])))
	n := int(binary.BigEndian.Uint16(b[10:]))
	if n > 0 {
		switch {
		case length < 12+4*n:
			p.str(" [invalid number of sources]")
		case p.opt.Verbose > 1:
			p.str(" {")
			for i := 0; i < n; i++ {
				off := 12 + 4*i
				if off+4 > len(b) {
					p.trunc("igmp")
					return false
				}
				p.str(" ")
				p.host(netip.AddrFrom4([4]byte(b[off : off+4])))
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

func (p *Printer) igmp3Report(b []byte, length int) bool {
	if length < 8 || length&3 != 0 {
		p.str(" [invalid len ")
		p.int(length)
		p.str("]")
		return true
	}
	if len(b) < 8 {
		p.trunc("igmp")
		return false
	}
	n := int(binary.BigEndian.Uint16(b[6:]))
	p.str(", ")
	p.int(n)
	p.str(" group record(s)")
	if p.opt.Verbose == 0 {
		return true
	}
	return p.groupRecords(b, n, length, 4, "v3-report", "igmp")
}

// groupRecords prints the n group records of an IGMPv3 report (addresses
// of 4 bytes) or an MLDv2 report (16 bytes), which start 8 bytes into b,
// as tcpdump -v does: each record's group and type, then its sources as a
// count (-v) or listed (-vv). length is the message's length on the wire.
func (p *Printer) groupRecords(b []byte, n, length, size int, report, proto string) bool {
	addr := func(b []byte) netip.Addr {
		if size == 4 {
			return netip.AddrFrom4([4]byte(b[:4]))
		}
		return addr16(b)
	}
	head := 4 + size // type, aux length, source count, group
	off := 8
	for i := 0; i < n; i++ {
		if length < off+head {
			p.str(" [invalid number of groups]")
			return true
		}
		if off+head > len(b) {
			p.trunc(proto)
			return false
		}
		p.str(" [gaddr ")
		p.host(addr(b[off+4:]))
		p.str(" ")
		if t := b[off]; int(t) < len(groupRecordTypes) && groupRecordTypes[t] != "" {
			p.str(groupRecordTypes[t])
		} else {
			p.str(" [")
			p.str(report)
			p.str("-#")
			p.uint(uint64(t))
			p.str("]")
		}
		ns := int(binary.BigEndian.Uint16(b[off+2:]))
		if length < off+head+size*ns {
			p.str(" [invalid number of sources ")
			p.int(ns)
			p.str("]")
			return true
		}
		if p.opt.Verbose == 1 {
			p.str(", ")
			p.int(ns)
			p.str(" source(s)")
		} else {
			p.str(" {")
			for j := 0; j < ns; j++ {
				a := off + head + size*j
				if a+size > len(b) {
					p.trunc(proto)
					return false
				}
				p.str(" ")
				p.host(addr(b[a:]))
			}
			p.str(" }")
		}
		p.str("]")
		off += head + size*ns
	}
	return true
}

// relTime prints seconds as tcpdump's unsigned_relts_print: "1h2m3s".
func (p *Printer) relTime(s int) {
	if s == 0 {
		p.str("0s")
		return
	}
	units := [...]struct {
		n    int
		name string
	}{{31536000, "y"}, {604800, "w"}, {86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}}
	for _, u := range units {
		if s >= u.n {
			p.int(s / u.n)
			p.str(u.name)
			s %= u.n
		}
	}
}
