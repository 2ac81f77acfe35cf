package filter

import "golang.org/x/net/bpf"

// Comparisons of arithmetic expressions: "tcp[13] & 2 != 0", "len > 100".
//
// Each expression carries the protocol checks that guard its loads (tcp[…]
// needs an IPv4 packet carrying TCP, and its first fragment), combined as
// libpcap combines them: a load adds its protocol's checks after those of
// its index; a binary operation keeps only those of its left operand (so
// "1 + tcp[0] = 5" checks nothing, as in tcpdump); a comparison requires
// both sides' checks, then compares.
//
// The code is libpcap's: each intermediate result goes through a scratch
// cell, and the optimizer folds it down as tcpdump's does. A tree of the
// values is kept alongside, to reject at once what tcpdump's optimizer
// would reject later (a division by a constant 0) with the column of the
// operator.

// An arithVal is an arithmetic expression after code generation.
type arithVal struct {
	cond *cond // the protocol checks; nil if none

	// libpcap's statements, which leave the value in scratch cell reg.
	stmts []bpf.RawInstruction
	reg   int

	// The value as a tree, for its constants.
	v *val
}

type valKind int

const (
	vConst valKind = iota
	vLen
	vLoad
	vBin
	vNeg
)

// A val is a value computed from the packet, as far as constants go: a
// constant, or an operation on values, or something read from the packet.
type val struct {
	kind valKind
	k    uint32 // vConst: the value
	op   uint16 // vBin: the ALU operation
	a, b *val   // vBin operands; vNeg operand
}

func (v *val) isConst() bool { return v.kind == vConst }

var aluOps = map[byte]uint16{
	'+': aluADD, '-': aluSUB, '*': aluMUL, '/': aluDIV, '%': aluMOD,
	'&': aluAND, '|': aluOR, '^': aluXOR, opLSH: aluLSH, opRSH: aluRSH,
}

// fold computes a op b as libpcap does, 32 bits unsigned; a shift by 32
// or more leaves 0.
func fold(op uint16, a, b uint32) uint32 {
	switch op {
	case aluADD:
		return a + b
	case aluSUB:
		return a - b
	case aluMUL:
		return a * b
	case aluDIV:
		return a / b
	case aluMOD:
		return a % b
	case aluAND:
		return a & b
	case aluOR:
		return a | b
	case aluXOR:
		return a ^ b
	case aluLSH:
		if b >= 32 {
			return 0
		}
		return a << b
	case aluRSH:
		if b >= 32 {
			return 0
		}
		return a >> b
	}
	panic("filter: bad ALU operation")
}

// simplify makes the value a op b, folding constants and, as tcpdump's
// optimizer does, the operations with 0 whose result does not depend on
// the other operand (whose loads then disappear: "ip[0] * 0" reads
// nothing).
func simplify(op uint16, a, b *val) *val {
	zero := &val{kind: vConst}
	switch {
	case a.isConst() && b.isConst():
		return &val{kind: vConst, k: fold(op, a.k, b.k)}
	case b.isConst() && b.k == 0:
		switch op {
		case aluADD, aluLSH, aluRSH, aluOR, aluXOR:
			return a
		case aluMUL, aluAND:
			return zero
		}
	case a.isConst() && a.k == 0:
		switch op {
		case aluADD, aluOR, aluXOR:
			return b
		case aluMUL, aluDIV, aluMOD, aluAND, aluLSH, aluRSH:
			return zero
		}
	}
	return &val{kind: vBin, op: op, a: a, b: b}
}

func (c *compiler) allocReg(t token) (int, error) {
	for range memWords {
		if !c.regUsed[c.curReg] {
			c.regUsed[c.curReg] = true
			return c.curReg, nil
		}
		c.curReg = (c.curReg + 1) % memWords
	}
	return 0, errorTok(t, "the expression needs more than %d scratch cells: simplify it", memWords)
}

func (c *compiler) freeReg(r int) { c.regUsed[r] = false }

// arith generates an arithmetic expression.
func (c *compiler) arith(a arith) (*arithVal, error) {
	switch a := a.(type) {
	case *numArith:
		return c.constVal(a.v, a.tok)
	case *lenArith:
		x := &arithVal{v: &val{kind: vLen}}
		{
			r, err := c.allocReg(a.tok)
			if err != nil {
				return nil, err
			}
			x.reg, x.stmts = r, []bpf.RawInstruction{stmt(clsLD|szW|mdLEN, 0), stmt(clsST, uint32(r))}
		}
		return x, nil
	case *loadArith:
		return c.load(a)
	case *negArith:
		x, err := c.arith(a.a)
		if err != nil {
			return nil, err
		}
		x.stmts = append(x.stmts, stmt(clsLD|mdMEM, uint32(x.reg)), stmt(clsALU|aluNEG, 0), stmt(clsST, uint32(x.reg)))
		if x.v.isConst() {
			x.v = &val{kind: vConst, k: -x.v.k}
		} else {
			x.v = &val{kind: vNeg, a: x.v}
		}
		return x, nil
	case *binArith:
		return c.binary(a)
	}
	panic("filter: unknown arithmetic node")
}

func (c *compiler) constVal(k uint32, t token) (*arithVal, error) {
	x := &arithVal{v: &val{kind: vConst, k: k}}
	{
		r, err := c.allocReg(t)
		if err != nil {
			return nil, err
		}
		x.reg, x.stmts = r, []bpf.RawInstruction{stmt(clsLD|mdIMM, k), stmt(clsST, uint32(r))}
	}
	return x, nil
}

// constant reports the value of an expression that is a constant.
func (x *arithVal) constant() (uint32, bool) { return x.v.k, x.v.isConst() }

func (c *compiler) binary(n *binArith) (*arithVal, error) {
	a, err := c.arith(n.a)
	if err != nil {
		return nil, err
	}
	b, err := c.arith(n.b)
	if err != nil {
		return nil, err
	}
	op := aluOps[n.op]
	if k, ok := b.constant(); ok {
		switch {
		case (op == aluDIV || op == aluMOD) && k == 0:
			return nil, errorTok(n.tok, "division by zero")
		case (op == aluLSH || op == aluRSH) && k > 31:
			return nil, errorTok(n.tok, "shift by %d: shifts go from 0 to 31 bits", k)
		}
	}
	// tcpdump checks the first instruction of the right operand rather
	// than its value, and so refuses "len / ip[0]" (which starts by
	// loading the offset 0); rawsock accepts the same expressions.
	if first := b.stmts[0]; first.Op == clsLD|mdIMM {
		switch {
		case (op == aluDIV || op == aluMOD) && first.K == 0:
			return nil, errorTok(n.tok, "tcpdump refuses this as a division by zero: the right operand starts with the constant 0 (an offset, or 0 itself)")
		case (op == aluLSH || op == aluRSH) && first.K > 31:
			return nil, errorTok(n.tok, "tcpdump refuses this as a shift by more than 31 bits: the right operand starts with the constant %d", first.K)
		}
	}
	x := &arithVal{cond: a.cond, v: simplify(op, a.v, b.v)}
	{
		s := append(a.stmts, b.stmts...)
		s = append(s, stmt(clsLDX|mdMEM, uint32(b.reg)), stmt(clsLD|mdMEM, uint32(a.reg)), stmt(clsALU|op|srcX, 0))
		c.freeReg(a.reg)
		c.freeReg(b.reg)
		r, err := c.allocReg(n.tok)
		if err != nil {
			return nil, err
		}
		x.stmts, x.reg = append(s, stmt(clsST, uint32(r))), r
	}
	return x, nil
}

// Where proto[…] counts from.
func (c *compiler) load(n *loadArith) (*arithVal, error) {
	var size uint16
	switch n.size {
	case 1:
		size = szB
	case 2:
		size = szH
	case 4:
		size = szW
	default:
		t := n.sizeTok
		return nil, errorTok(t, "size %d: a load is 1, 2 or 4 bytes", n.size)
	}
	idx, err := c.arith(n.idx)
	if err != nil {
		return nil, err
	}
	limit := uint32(65535)
	if n.p == pLink {
		limit = DefaultSnaplen
	}
	if k, ok := idx.constant(); ok && (k > limit || k+n.size > limit) {
		t := n.tok
		if num, ok := n.idx.(*numArith); ok {
			t = num.tok
		}
		return nil, errorTok(t, "offset %d is past the end of any packet (%s[] reaches at most %d bytes)", k, n.p, limit)
	}

	var base uint32
	tran := false
	switch n.p {
	case pLink:
		// Counted from the start of the packet; no checks.
	case pIP, pARP, pRARP, pIP6:
		base = c.offLinkPL
		b, err := c.protoAbbrev(n.p, n.tok)
		if err != nil {
			return nil, err
		}
		if idx.cond != nil {
			b = and(idx.cond, b)
		}
		idx.cond = b
	case pSCTP, pTCP, pUDP, pICMP, pIGMP:
		// After an IPv4 header of any length, in the first fragment.
		base, tran = c.offLinkPL, true
		p, err := c.protoAbbrev(n.p, n.tok)
		if err != nil {
			return nil, err
		}
		b := and(p, c.ipFrag())
		if idx.cond != nil {
			b = and(idx.cond, b)
		}
		ip, _ := c.protoAbbrev(pIP, n.tok)
		idx.cond = and(ip, b)
	case pICMP6:
		base = c.offLinkPL + 40
		b, _ := c.protoAbbrev(pIP6, n.tok)
		if idx.cond != nil {
			b = and(idx.cond, b)
		}
		idx.cond = and(b, c.cmp(orLinkPL, 6, szB, ipProtoICMPv6))
	}

	x := &arithVal{cond: idx.cond, v: &val{kind: vLoad}}
	{
		r, err := c.allocReg(n.tok)
		if err != nil {
			return nil, err
		}
		c.freeReg(idx.reg)
		var s []bpf.RawInstruction
		if tran {
			s = []bpf.RawInstruction{c.loadIPHdrLen(), stmt(clsLD|mdMEM, uint32(idx.reg)),
				stmt(clsALU|aluADD|srcX, 0), stmt(clsMISC|miscTAX, 0)}
		} else {
			s = []bpf.RawInstruction{stmt(clsLDX|mdMEM, uint32(idx.reg))}
		}
		s = append(s, stmt(clsLD|size|mdIND, base), stmt(clsST, uint32(r)))
		x.stmts, x.reg = append(idx.stmts, s...), r
	}
	return x, nil
}

// relation generates a comparison.
func (c *compiler) relation(n *relNode) (*cond, error) {
	a, err := c.arith(n.a)
	if err != nil {
		return nil, err
	}
	b, err := c.arith(n.b)
	if err != nil {
		return nil, err
	}
	jop := map[byte]uint16{'=': jmpJEQ, '>': jmpJGT, opGE: jmpJGE}[n.op]
	s := append(a.stmts, b.stmts...)
	s = append(s, stmt(clsLDX|mdMEM, uint32(b.reg)), stmt(clsLD|mdMEM, uint32(a.reg)))
	var test *cond
	if jop == jmpJEQ {
		s = append(s, stmt(clsALU|aluSUB|srcX, 0))
		test = leaf(s, jmpJEQ, 0)
	} else {
		test = leaf(s, jop|srcX, 0)
	}
	c.freeReg(a.reg)
	c.freeReg(b.reg)
	if n.reversed {
		test = not(test)
	}
	guard := a.cond
	if b.cond != nil {
		if guard != nil {
			guard = and(guard, b.cond)
		} else {
			guard = b.cond
		}
	}
	if guard != nil {
		test = and(guard, test)
	}
	return test, nil
}
