package filter

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// Check reports whether the kernel would accept prog as a socket filter
// (SO_ATTACH_FILTER, socket(7)): 1 to 4096 instructions of known opcodes,
// jumps only forward and inside the program, no division by a constant 0
// or shift by a constant of 32 or more, scratch cells 0 to 15 each written
// on every path before it is read, and a return at the end of every path.
// It also refuses loads of the kernel's ancillary data (negative offsets),
// which only a live socket has. A Matcher runs only programs that pass.
func Check(prog []bpf.RawInstruction) error {
	n := len(prog)
	if n == 0 || n > MaxInstructions {
		return fmt.Errorf("filter: program of %d instructions: a program has 1 to %d", n, MaxInstructions)
	}
	bad := func(pc int, format string, args ...any) error {
		return fmt.Errorf("filter: instruction %d (%s): %s", pc, instructionString(prog[pc], pc), fmt.Sprintf(format, args...))
	}
	for pc, ri := range prog {
		if !validOp(ri.Op) {
			return bad(pc, "unknown opcode 0x%x", ri.Op)
		}
		switch class(ri.Op) {
		case clsLD, clsLDX:
			if ri.Op&0xe0 == mdMEM && ri.K >= memWords {
				return bad(pc, "scratch cell %d does not exist", ri.K)
			}
			if m := ri.Op & 0xe0; class(ri.Op) == clsLD && (m == mdABS || m == mdIND) && ri.K >= 1<<31 {
				// Negative offsets load the kernel's ancillary data
				// (SKF_AD_OFF…), which a packet in a file does not have.
				return bad(pc, "loads ancillary data (a negative offset), which only a live socket has")
			}
		case clsST, clsSTX:
			if ri.K >= memWords {
				return bad(pc, "scratch cell %d does not exist", ri.K)
			}
		case clsALU:
			op := ri.Op & 0xf0
			if ri.Op&srcX == 0 {
				if (op == aluDIV || op == aluMOD) && ri.K == 0 {
					return bad(pc, "division by zero")
				}
				if (op == aluLSH || op == aluRSH) && ri.K >= 32 {
					return bad(pc, "shift by 32 or more")
				}
			}
		case clsJMP:
			if ri.Op&0xf0 == jmpJA {
				if uint64(ri.K) >= uint64(n-pc-1) {
					return bad(pc, "jumps past the end")
				}
			} else if pc+1+int(ri.Jt) >= n || pc+1+int(ri.Jf) >= n {
				return bad(pc, "jumps past the end")
			}
		}
	}
	if class(prog[n-1].Op) != clsRET {
		return bad(n-1, "the program does not end with a return")
	}
	return checkMemory(prog)
}

// validOp says whether op is one of the instructions the kernel's classic
// BPF accepts (without the ancillary-data loads).
func validOp(op uint16) bool {
	switch class(op) {
	case clsLD:
		size, mode := op&0x18, op&0xe0
		switch mode {
		case mdABS, mdIND:
			return size != 0x18 && op&^0xf8 == 0
		case mdIMM, mdMEM, mdLEN:
			return op == clsLD|mode
		}
	case clsLDX:
		return op == clsLDX|mdIMM || op == clsLDX|mdMEM || op == clsLDX|szW|mdLEN || op == clsLDX|szB|mdMSH
	case clsST, clsSTX:
		return op == clsST || op == clsSTX
	case clsALU:
		if op == clsALU|aluNEG {
			return true
		}
		return aluNames[op&0xf0] != "" && op&^(0xf0|srcX) == clsALU
	case clsJMP:
		if op == clsJMP|jmpJA {
			return true
		}
		return jumpNames[op&0xf0] != "" && op&^(0xf0|srcX) == clsJMP
	case clsRET:
		return op == clsRET|retK || op == clsRET|retA
	case clsMISC:
		return op == clsMISC|miscTAX || op == clsMISC|miscTXA
	}
	return false
}

// checkMemory verifies, as the kernel's check_load_and_stores does, that no
// path reads a scratch cell it has not written. Jumps go forward only, so
// one pass in program order sees every predecessor first.
func checkMemory(prog []bpf.RawInstruction) error {
	written := make([]uint16, len(prog)) // cells written on every path to pc
	reached := make([]bool, len(prog))
	reached[0] = true
	flow := func(to int, mask uint16) {
		if !reached[to] {
			reached[to], written[to] = true, mask
		} else {
			written[to] &= mask
		}
	}
	for pc, ri := range prog {
		if !reached[pc] {
			continue
		}
		mask := written[pc]
		switch {
		case (class(ri.Op) == clsLD || class(ri.Op) == clsLDX) && ri.Op&0xe0 == mdMEM:
			if mask&(1<<ri.K) == 0 {
				return fmt.Errorf("filter: instruction %d (%s): reads scratch cell %d before any write", pc, instructionString(ri, pc), ri.K)
			}
		case class(ri.Op) == clsST || class(ri.Op) == clsSTX:
			mask |= 1 << ri.K
		}
		switch {
		case class(ri.Op) == clsRET:
		case ri.Op == clsJMP|jmpJA:
			flow(pc+1+int(ri.K), mask)
		case class(ri.Op) == clsJMP:
			flow(pc+1+int(ri.Jt), mask)
			flow(pc+1+int(ri.Jf), mask)
		default:
			flow(pc+1, mask)
		}
	}
	return nil
}
