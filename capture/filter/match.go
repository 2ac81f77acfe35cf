package filter

import (
	"encoding/binary"

	"golang.org/x/net/bpf"
)

// A Matcher runs a classic BPF program over packets in user space, as the
// kernel runs a socket filter and libpcap runs one over a file: a load past
// the end of the packet, or a division by zero, rejects the packet. It
// allocates nothing per packet, and is safe for use by several goroutines.
type Matcher struct {
	prog []insn
}

// insn is an instruction decoded for the interpreter: its opcode turned
// into a small dense number, so that the dispatch compiles to a jump table.
type insn struct {
	op     uint8
	jt, jf uint8
	k      uint32
}

// Interpreter opcodes.
const (
	iLdAbsW uint8 = iota
	iLdAbsH
	iLdAbsB
	iLdIndW
	iLdIndH
	iLdIndB
	iLdLen
	iLdImm
	iLdMem
	iLdxImm
	iLdxMem
	iLdxLen
	iLdxMsh
	iSt
	iStx
	iAddK
	iSubK
	iMulK
	iDivK
	iModK
	iAndK
	iOrK
	iXorK
	iLshK
	iRshK
	iAddX
	iSubX
	iMulX
	iDivX
	iModX
	iAndX
	iOrX
	iXorX
	iLshX
	iRshX
	iNeg
	iJa
	iJeqK
	iJgtK
	iJgeK
	iJsetK
	iJeqX
	iJgtX
	iJgeX
	iJsetX
	iRetK
	iRetA
	iTax
	iTxa
)

var decodeOp = func() map[uint16]uint8 {
	m := map[uint16]uint8{
		clsLD | szW | mdABS: iLdAbsW, clsLD | szH | mdABS: iLdAbsH, clsLD | szB | mdABS: iLdAbsB,
		clsLD | szW | mdIND: iLdIndW, clsLD | szH | mdIND: iLdIndH, clsLD | szB | mdIND: iLdIndB,
		clsLD | szW | mdLEN: iLdLen, clsLD | mdIMM: iLdImm, clsLD | mdMEM: iLdMem,
		clsLDX | mdIMM: iLdxImm, clsLDX | mdMEM: iLdxMem, clsLDX | szW | mdLEN: iLdxLen,
		clsLDX | szB | mdMSH: iLdxMsh, clsST: iSt, clsSTX: iStx,
		clsALU | aluNEG: iNeg, clsJMP | jmpJA: iJa,
		clsJMP | jmpJEQ: iJeqK, clsJMP | jmpJGT: iJgtK, clsJMP | jmpJGE: iJgeK, clsJMP | jmpJSET: iJsetK,
		clsJMP | jmpJEQ | srcX: iJeqX, clsJMP | jmpJGT | srcX: iJgtX, clsJMP | jmpJGE | srcX: iJgeX,
		clsJMP | jmpJSET | srcX: iJsetX,
		clsRET | retK:           iRetK, clsRET | retA: iRetA, clsMISC | miscTAX: iTax, clsMISC | miscTXA: iTxa,
	}
	alu := []uint16{aluADD, aluSUB, aluMUL, aluDIV, aluMOD, aluAND, aluOR, aluXOR, aluLSH, aluRSH}
	for i, op := range alu {
		m[clsALU|op|srcK] = iAddK + uint8(i)
		m[clsALU|op|srcX] = iAddX + uint8(i)
	}
	return m
}()

// NewMatcher prepares prog to run; it must pass Check.
func NewMatcher(raw []bpf.RawInstruction) (*Matcher, error) {
	if err := Check(raw); err != nil {
		return nil, err
	}
	m := &Matcher{prog: make([]insn, len(raw))}
	for i, ri := range raw {
		m.prog[i] = insn{op: decodeOp[ri.Op], jt: ri.Jt, jf: ri.Jf, k: ri.K}
	}
	return m, nil
}

// Match runs the program over a packet's captured bytes; wireLen is its
// length on the wire (what "len", "less" and "greater" test), at least
// len(data). It reports whether the program accepts the packet.
func (m *Matcher) Match(data []byte, wireLen int) bool { return m.Run(data, wireLen) != 0 }

// Run runs the program over a packet and returns what the program returns:
// 0 to reject the packet, otherwise how many of its bytes to keep.
func (m *Matcher) Run(data []byte, wireLen int) uint32 {
	var a, x uint32
	var mem [memWords]uint32
	n := uint64(len(data))
	prog := m.prog
	for pc := 0; pc < len(prog); pc++ {
		in := &prog[pc]
		switch in.op {
		case iLdAbsW:
			if uint64(in.k)+4 > n {
				return 0
			}
			a = binary.BigEndian.Uint32(data[in.k:])
		case iLdAbsH:
			if uint64(in.k)+2 > n {
				return 0
			}
			a = uint32(binary.BigEndian.Uint16(data[in.k:]))
		case iLdAbsB:
			if uint64(in.k) >= n {
				return 0
			}
			a = uint32(data[in.k])
		case iLdIndW:
			off := uint64(x) + uint64(in.k)
			if off+4 > n {
				return 0
			}
			a = binary.BigEndian.Uint32(data[off:])
		case iLdIndH:
			off := uint64(x) + uint64(in.k)
			if off+2 > n {
				return 0
			}
			a = uint32(binary.BigEndian.Uint16(data[off:]))
		case iLdIndB:
			off := uint64(x) + uint64(in.k)
			if off >= n {
				return 0
			}
			a = uint32(data[off])
		case iLdLen:
			a = uint32(wireLen)
		case iLdImm:
			a = in.k
		case iLdMem:
			a = mem[in.k&(memWords-1)]
		case iLdxImm:
			x = in.k
		case iLdxMem:
			x = mem[in.k&(memWords-1)]
		case iLdxLen:
			x = uint32(wireLen)
		case iLdxMsh:
			if uint64(in.k) >= n {
				return 0
			}
			x = uint32(data[in.k]&0xf) << 2
		case iSt:
			mem[in.k&(memWords-1)] = a
		case iStx:
			mem[in.k&(memWords-1)] = x
		case iAddK:
			a += in.k
		case iSubK:
			a -= in.k
		case iMulK:
			a *= in.k
		case iDivK:
			a /= in.k
		case iModK:
			a %= in.k
		case iAndK:
			a &= in.k
		case iOrK:
			a |= in.k
		case iXorK:
			a ^= in.k
		case iLshK:
			a <<= in.k // Check allows only 0 to 31
		case iRshK:
			a >>= in.k
		case iAddX:
			a += x
		case iSubX:
			a -= x
		case iMulX:
			a *= x
		case iDivX:
			if x == 0 {
				return 0
			}
			a /= x
		case iModX:
			if x == 0 {
				return 0
			}
			a %= x
		case iAndX:
			a &= x
		case iOrX:
			a |= x
		case iXorX:
			a ^= x
		case iLshX:
			// As libpcap: a shift by 32 or more leaves 0 (the kernel's
			// JIT would shift by x mod 32).
			if x >= 32 {
				a = 0
			} else {
				a <<= x
			}
		case iRshX:
			if x >= 32 {
				a = 0
			} else {
				a >>= x
			}
		case iNeg:
			a = -a
		case iJa:
			pc += int(in.k)
		case iJeqK:
			pc += branch(a == in.k, in)
		case iJgtK:
			pc += branch(a > in.k, in)
		case iJgeK:
			pc += branch(a >= in.k, in)
		case iJsetK:
			pc += branch(a&in.k != 0, in)
		case iJeqX:
			pc += branch(a == x, in)
		case iJgtX:
			pc += branch(a > x, in)
		case iJgeX:
			pc += branch(a >= x, in)
		case iJsetX:
			pc += branch(a&x != 0, in)
		case iRetK:
			return in.k
		case iRetA:
			return a
		case iTax:
			x = a
		case iTxa:
			a = x
		}
	}
	return 0
}

func branch(cond bool, in *insn) int {
	if cond {
		return int(in.jt)
	}
	return int(in.jf)
}
