package filter

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// Classic BPF opcode parts (linux/filter.h, bpf(4)).
const (
	clsLD   = 0x00
	clsLDX  = 0x01
	clsST   = 0x02
	clsSTX  = 0x03
	clsALU  = 0x04
	clsJMP  = 0x05
	clsRET  = 0x06
	clsMISC = 0x07

	szW = 0x00
	szH = 0x08
	szB = 0x10

	mdIMM = 0x00
	mdABS = 0x20
	mdIND = 0x40
	mdMEM = 0x60
	mdLEN = 0x80
	mdMSH = 0xa0

	aluADD = 0x00
	aluSUB = 0x10
	aluMUL = 0x20
	aluDIV = 0x30
	aluOR  = 0x40
	aluAND = 0x50
	aluLSH = 0x60
	aluRSH = 0x70
	aluNEG = 0x80
	aluMOD = 0x90
	aluXOR = 0xa0

	jmpJA   = 0x00
	jmpJEQ  = 0x10
	jmpJGT  = 0x20
	jmpJGE  = 0x30
	jmpJSET = 0x40

	srcK = 0x00
	srcX = 0x08

	retK = 0x00
	retA = 0x10

	miscTAX = 0x00
	miscTXA = 0x80

	memWords = 16 // scratch memory cells, M[0] to M[15]
)

func class(op uint16) uint16 { return op & 0x07 }

// stmt makes a non-branching instruction.
func stmt(op uint16, k uint32) bpf.RawInstruction { return bpf.RawInstruction{Op: op, K: k} }

// A block is a run of instructions ending in a conditional jump to jt or jf
// (or a return, for the two final blocks): the unit the code generator
// combines with and, or and not, and the optimizer rewires.
type block struct {
	stmts []bpf.RawInstruction // nop marks an instruction the optimizer deleted
	op    uint16               // the jump (clsJMP|jmp…|srcK/srcX) or return (clsRET|retK)
	k     uint32
	jt    *block
	jf    *block

	// Layout, set by emit.
	mark   int
	offset int
	longJT bool
	longJF bool

	opt optInfo // the optimizer's analyses
}

// nop is a deleted instruction; emit leaves it out.
const nop = 0xffff

func retBlock(k uint32) *block { return &block{op: clsRET | retK, k: k} }

func (b *block) isRet() bool { return class(b.op) == clsRET }

// A cond is a boolean expression under construction: the block where it
// starts and the jumps still to be pointed at whatever follows when it is
// true and when it is false.
type cond struct {
	head *block
	t, f []**block
}

// leaf is a single test: stmts, then jump on op k.
func leaf(stmts []bpf.RawInstruction, op uint16, k uint32) *cond {
	b := &block{stmts: stmts, op: clsJMP | op, k: k}
	return &cond{head: b, t: []**block{&b.jt}, f: []**block{&b.jf}}
}

func patch(exits []**block, to *block) {
	for _, e := range exits {
		*e = to
	}
}

// and evaluates a, then b only if a held.
func and(a, b *cond) *cond {
	patch(a.t, b.head)
	return &cond{head: a.head, t: b.t, f: append(a.f, b.f...)}
}

// or evaluates a, then b only if a failed.
func or(a, b *cond) *cond {
	patch(a.f, b.head)
	return &cond{head: a.head, t: append(a.t, b.t...), f: b.f}
}

func not(a *cond) *cond { return &cond{head: a.head, t: a.f, f: a.t} }

// finish ends the program: accept with the snapshot length when e holds,
// reject otherwise.
func (c *compiler) finish(e *cond) *block {
	patch(e.t, retBlock(c.snaplen))
	patch(e.f, retBlock(0))
	return e.head
}

// emit lays the blocks out as tcpdump does (the root first, each block
// before the blocks it jumps to, the false branch laid out last) and
// resolves the jumps. A conditional jump reaches at most 255 instructions
// ahead; a farther one goes through an unconditional jump placed right
// after it, and the layout is redone until every jump fits.
func emit(root *block) ([]bpf.RawInstruction, error) {
	for pass := 1; ; pass++ {
		var order []*block
		var visit func(b *block)
		visit = func(b *block) {
			if b == nil || b.mark == pass {
				return
			}
			b.mark = pass
			visit(b.jf)
			visit(b.jt)
			order = append(order, b)
		}
		visit(root)
		// order is reversed: the root was appended last.
		n := 0
		for i := len(order) - 1; i >= 0; i-- {
			b := order[i]
			b.offset = n
			n += b.size()
		}
		if n > MaxInstructions {
			return nil, errorf("the program needs %d instructions; the kernel takes at most %d: simplify the expression", n, MaxInstructions)
		}
		prog := make([]bpf.RawInstruction, 0, n)
		retry := false
		for i := len(order) - 1; i >= 0; i-- {
			b := order[i]
			for _, ri := range b.stmts {
				if ri.Op != nop {
					prog = append(prog, ri)
				}
			}
			if b.isRet() {
				prog = append(prog, bpf.RawInstruction{Op: b.op, K: b.k})
				continue
			}
			at := b.offset + b.size() - 1 // index of the jump
			if b.longJT {
				at--
			}
			if b.longJF {
				at--
			}
			jmp := bpf.RawInstruction{Op: b.op, K: b.k}
			var extra []bpf.RawInstruction
			for _, side := range []struct {
				to   *block
				long *bool
				set  *uint8
			}{{b.jt, &b.longJT, &jmp.Jt}, {b.jf, &b.longJF, &jmp.Jf}} {
				off := side.to.offset - at - 1
				if off < 0 {
					return nil, fmt.Errorf("filter: internal error: backward jump")
				}
				if off <= 255 && !*side.long {
					*side.set = uint8(off)
					continue
				}
				if !*side.long {
					*side.long = true
					retry = true
					continue
				}
				// Jump to an unconditional jump right after this one.
				*side.set = uint8(len(extra))
				extra = append(extra, bpf.RawInstruction{Op: clsJMP | jmpJA, K: uint32(off - len(extra) - 1)})
			}
			prog = append(prog, jmp)
			prog = append(prog, extra...)
		}
		if !retry {
			return prog, nil
		}
	}
}

// size is how many instructions the block takes.
func (b *block) size() int {
	n := 1
	for _, ri := range b.stmts {
		if ri.Op != nop {
			n++
		}
	}
	if b.longJT {
		n++
	}
	if b.longJF {
		n++
	}
	return n
}
