package filter

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"golang.org/x/net/bpf"
)

// A Format is one of the ways tcpdump prints a program.
type Format int

const (
	// Assembly is tcpdump -d: "(000) ldh      [12]".
	Assembly Format = iota + 1
	// CArray is tcpdump -dd: "{ 0x28, 0, 0, 0x0000000c },", a C array
	// initializer.
	CArray
	// Decimal is tcpdump -ddd: the instruction count, then "40 0 0 12",
	// one instruction per line; Compile reads it back.
	Decimal
)

// Dump prints prog to w in the given format, exactly as tcpdump does.
func Dump(w io.Writer, raw []bpf.RawInstruction, f Format) error {
	bw := bufio.NewWriter(w)
	switch f {
	case Assembly:
		for i, ri := range raw {
			fmt.Fprintln(bw, instructionString(ri, i))
		}
	case CArray:
		for _, ri := range raw {
			fmt.Fprintf(bw, "{ 0x%x, %d, %d, 0x%08x },\n", ri.Op, ri.Jt, ri.Jf, ri.K)
		}
	case Decimal:
		fmt.Fprintf(bw, "%d\n", len(raw))
		for _, ri := range raw {
			fmt.Fprintf(bw, "%d %d %d %d\n", ri.Op, ri.Jt, ri.Jf, ri.K)
		}
	default:
		return fmt.Errorf("filter: unknown dump format %d", int(f))
	}
	return bw.Flush()
}

// instructionString is libpcap's bpf_image: instruction n as tcpdump -d
// prints it.
func instructionString(ri bpf.RawInstruction, n int) string {
	// libpcap prints k with %d, so as a signed number, and with %x.
	k := int32(ri.K)
	var op, operand string
	hex := func() string { return fmt.Sprintf("#0x%x", ri.K) }
	dec := func() string { return fmt.Sprintf("#%d", k) }
	sizes := map[uint16]string{szW: "ld", szH: "ldh", szB: "ldb"}
	switch code := ri.Op; {
	case code == clsRET|retK:
		op, operand = "ret", dec()
	case code == clsRET|retA:
		op = "ret"
	case class(code) == clsLD && code&0xe0 == mdABS && sizes[code&0x18] != "":
		op, operand = sizes[code&0x18], fmt.Sprintf("[%d]", k)
	case class(code) == clsLD && code&0xe0 == mdIND && sizes[code&0x18] != "":
		op, operand = sizes[code&0x18], fmt.Sprintf("[x + %d]", k)
	case code == clsLD|szW|mdLEN:
		op, operand = "ld", "#pktlen"
	case code == clsLD|mdIMM:
		op, operand = "ld", hex()
	case code == clsLDX|mdIMM:
		op, operand = "ldx", hex()
	case code == clsLDX|szB|mdMSH:
		op, operand = "ldxb", fmt.Sprintf("4*([%d]&0xf)", k)
	case code == clsLD|mdMEM:
		op, operand = "ld", fmt.Sprintf("M[%d]", k)
	case code == clsLDX|mdMEM:
		op, operand = "ldx", fmt.Sprintf("M[%d]", k)
	case code == clsLDX|szW|mdLEN:
		op, operand = "ldx", "#pktlen"
	case code == clsST:
		op, operand = "st", fmt.Sprintf("M[%d]", k)
	case code == clsSTX:
		op, operand = "stx", fmt.Sprintf("M[%d]", k)
	case code == clsJMP|jmpJA:
		op, operand = "ja", strconv.Itoa(n+1+int(k))
	case class(code) == clsJMP && jumpNames[code&0xf0] != "":
		op = jumpNames[code&0xf0]
		if code&srcX != 0 {
			operand = "x"
		} else {
			operand = hex()
		}
	case code == clsALU|aluNEG:
		op = "neg"
	case class(code) == clsALU && aluNames[code&0xf0] != "":
		op = aluNames[code&0xf0]
		switch {
		case code&srcX != 0:
			operand = "x"
		case code&0xf0 == aluAND || code&0xf0 == aluOR || code&0xf0 == aluXOR:
			operand = hex()
		default:
			operand = dec()
		}
	case code == clsMISC|miscTAX:
		op = "tax"
	case code == clsMISC|miscTXA:
		op = "txa"
	default:
		op, operand = "unimp", fmt.Sprintf("0x%x", code)
	}
	if class(ri.Op) == clsJMP && ri.Op != clsJMP|jmpJA {
		return fmt.Sprintf("(%03d) %-8s %-16s jt %d\tjf %d", n, op, operand, n+1+int(ri.Jt), n+1+int(ri.Jf))
	}
	return fmt.Sprintf("(%03d) %-8s %s", n, op, operand)
}

var jumpNames = map[uint16]string{jmpJEQ: "jeq", jmpJGT: "jgt", jmpJGE: "jge", jmpJSET: "jset"}

var aluNames = map[uint16]string{aluADD: "add", aluSUB: "sub", aluMUL: "mul", aluDIV: "div",
	aluMOD: "mod", aluAND: "and", aluOR: "or", aluXOR: "xor", aluLSH: "lsh", aluRSH: "rsh"}

// looksDecimal says whether src is shaped like a program in tcpdump's -ddd
// form rather than a filter expression: only digits, blanks, newlines and
// commas, with more than one number. No filter expression is both.
func looksDecimal(src string) bool {
	fields := 0
	inNum := false
	for i := 0; i < len(src); i++ {
		switch c := src[i]; {
		case '0' <= c && c <= '9':
			if !inNum {
				fields++
			}
			inNum = true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',':
			inNum = false
		default:
			return false
		}
	}
	return fields > 1
}

// ParseDecimal reads a program in tcpdump's -ddd form: the number of
// instructions, then one "code jt jf k" line per instruction, in decimal.
// Lines may also be separated by commas, as iptables' bpf match writes
// them. The program must pass Check.
func ParseDecimal(src string) ([]bpf.RawInstruction, error) { return parseDecimal(src) }

func parseDecimal(src string) ([]bpf.RawInstruction, error) {
	lines := strings.FieldsFunc(src, func(r rune) bool { return r == '\n' || r == ',' || r == '\r' })
	if len(lines) == 0 {
		return nil, errorf("empty program: expected a count, then one \"code jt jf k\" line per instruction")
	}
	n, err := strconv.ParseUint(strings.TrimSpace(lines[0]), 10, 32)
	if err != nil {
		return nil, errorf("program line 1: %q is not an instruction count", strings.TrimSpace(lines[0]))
	}
	if n == 0 || n > MaxInstructions {
		return nil, errorf("program line 1: %d instructions: a program has 1 to %d", n, MaxInstructions)
	}
	if uint64(len(lines)-1) != n {
		return nil, errorf("program says %d instructions but has %d lines after the count", n, len(lines)-1)
	}
	raw := make([]bpf.RawInstruction, 0, n)
	for i, line := range lines[1:] {
		f := strings.Fields(line)
		var v [4]uint64
		ok := len(f) == 4
		for j := 0; ok && j < 4; j++ {
			bitSize := []int{16, 8, 8, 32}[j]
			v[j], err = strconv.ParseUint(f[j], 10, bitSize)
			ok = err == nil
		}
		if !ok {
			return nil, errorf("program line %d: %q is not \"code jt jf k\" in decimal (code < 65536, jt and jf < 256)", i+2, strings.TrimSpace(line))
		}
		raw = append(raw, bpf.RawInstruction{Op: uint16(v[0]), Jt: uint8(v[1]), Jf: uint8(v[2]), K: uint32(v[3])})
	}
	if err := Check(raw); err != nil {
		return nil, err
	}
	return raw, nil
}
