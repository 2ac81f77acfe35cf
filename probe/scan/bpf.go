package scan

import (
	"encoding/binary"
	"net/netip"

	"golang.org/x/net/bpf"
)

// The receive sockets of a raw scan carry classic BPF programs, so that only
// answers that can be ours reach the process, however busy the host. The
// codec then checks each answer fully. What the kernel hands a program is
// what the socket receives: an IPv4 packet from its header on, an IPv6
// packet from the transport header on (raw(7), ipv6(7)).

// snapLen is how much of an accepted packet the programs keep: the longest
// IPv4 header twice (an ICMP error quotes one), the ICMP header and 64 bytes
// of transport, which covers every header the codec reads.
const snapLen = 60 + 8 + 60 + 64

// program collects instructions that jump to one shared "drop" at the end.
type program struct {
	ins   []bpf.Instruction
	drops []int // indexes of jumps whose false branch drops
}

func (p *program) add(ins ...bpf.Instruction) { p.ins = append(p.ins, ins...) }

// require drops the packet unless the value in A is val.
func (p *program) require(val uint32) {
	p.drops = append(p.drops, len(p.ins))
	p.ins = append(p.ins, bpf.JumpIf{Cond: bpf.JumpEqual, Val: val})
}

// requireAny drops the packet unless A is one of vals.
func (p *program) requireAny(vals ...uint32) {
	for i, v := range vals[:len(vals)-1] {
		// On a match, skip the remaining comparisons.
		p.ins = append(p.ins, bpf.JumpIf{Cond: bpf.JumpEqual, Val: v, SkipTrue: uint8(len(vals) - 1 - i)})
	}
	p.require(vals[len(vals)-1])
}

// requireAddr drops the packet unless the address at off (from X when
// indirect) is a.
func (p *program) requireAddr(off uint32, a netip.Addr, indirect bool) {
	b := a.AsSlice()
	for i := 0; i < len(b); i += 4 {
		if indirect {
			p.add(bpf.LoadIndirect{Off: off + uint32(i), Size: 4})
		} else {
			p.add(bpf.LoadAbsolute{Off: off + uint32(i), Size: 4})
		}
		p.require(binary.BigEndian.Uint32(b[i:]))
	}
}

// assemble ends the program with "accept snapLen bytes" and "drop", and
// points every dropping jump at the latter.
func (p *program) assemble() []bpf.RawInstruction {
	p.add(bpf.RetConstant{Val: snapLen}, bpf.RetConstant{Val: 0})
	drop := len(p.ins) - 1
	for _, i := range p.drops {
		j := p.ins[i].(bpf.JumpIf)
		j.SkipFalse = uint8(drop - i - 1)
		p.ins[i] = j
	}
	raw, err := bpf.Assemble(p.ins)
	if err != nil {
		panic("scan: bad BPF program: " + err.Error()) // programs are built from constants
	}
	return raw
}

// replyFilter passes the TCP or UDP packets (proto) that the target sends to
// our source port sport.
func replyFilter(target netip.Addr, proto uint8, sport uint16) []bpf.RawInstruction {
	var p program
	if target.Is4() {
		p.add(bpf.LoadAbsolute{Off: 9, Size: 1})
		p.require(uint32(proto))
		p.requireAddr(12, target, false)
		// Only a first fragment (offset 0) starts with a transport header.
		p.add(bpf.LoadAbsolute{Off: 6, Size: 2}, bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0x1fff})
		p.require(0)
		p.add(bpf.LoadMemShift{Off: 0})
		p.add(bpf.LoadIndirect{Off: 2, Size: 2})
	} else {
		// The source address is not in what an IPv6 raw socket sees; the
		// codec checks it from recvmsg's address.
		p.add(bpf.LoadAbsolute{Off: 2, Size: 2})
	}
	p.require(uint32(sport))
	return p.assemble()
}

// icmpFilter passes the ICMP (ICMPv6) destination unreachable and time
// exceeded messages that quote a packet of proto sent to the target, from
// whichever host sends them.
func icmpFilter(target netip.Addr, proto uint8) []bpf.RawInstruction {
	var p program
	if target.Is4() {
		p.add(bpf.LoadMemShift{Off: 0})
		p.add(bpf.LoadIndirect{Off: 0, Size: 1})
		p.requireAny(3, 11)
		p.add(bpf.LoadIndirect{Off: 8 + 9, Size: 1})
		p.require(uint32(proto))
		p.requireAddr(8+16, target, true)
	} else {
		p.add(bpf.LoadAbsolute{Off: 0, Size: 1})
		p.requireAny(1, 3)
		p.add(bpf.LoadAbsolute{Off: 8 + 6, Size: 1})
		p.require(uint32(proto))
		p.requireAddr(8+24, target, false)
	}
	return p.assemble()
}
