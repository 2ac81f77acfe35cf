package filter

import (
	"fmt"
	"math/bits"
	"sort"

	"golang.org/x/net/bpf"
)

// The optimizer is tcpdump's: the algorithm of libpcap's optimize.c, step
// for step, written anew in Go. Its input is libpcap's unoptimized code
// (see gen.go), so its output is the program "tcpdump -d" prints, and it
// selects the same packets even where optimizing changes what a program
// does: a test the optimizer removes can no longer reject a packet cut
// short by the snapshot length by reading past its end, and tests it
// reorders read in the new order.
//
// In outline, until nothing changes: number the values every instruction
// computes (Cocke-Schwartz value numbering over the DAG of blocks); fold
// constants and remove instructions whose result is already in place or
// never used; redirect each edge past the tests whose outcome the tests
// dominating it already decided; pull tests of the same value together in
// chains of "or" and of "and". Then merge identical blocks.

const (
	nAtoms = memWords + 2 // the scratch cells, A and X
	atomA  = memWords
	atomX  = memWords + 1
	atomAX = nAtoms // A and X both
)

type atomset uint32

func (s atomset) has(atom int) bool { return s&(1<<atom) != 0 }

type bitset []uint32

func (s bitset) has(i int) bool { return s[i/32]&(1<<(i%32)) != 0 }
func (s bitset) insert(i int)   { s[i/32] |= 1 << (i % 32) }
func (s bitset) fill(v uint32) {
	for i := range s {
		s[i] = v
	}
}
func (s bitset) intersect(o bitset) {
	for i := range s {
		s[i] &= o[i]
	}
}

// An edge is a block's true or false branch.
type edge struct {
	id     int
	code   int // the branch's opcode; negated for the false edge
	edom   bitset
	pred   *block
	isTrue bool
	next   *edge // the next edge into the same block
}

func (e *edge) succ() *block {
	if e.isTrue {
		return e.pred.jt
	}
	return e.pred.jf
}

func (e *edge) setSucc(b *block) {
	if e.isTrue {
		e.pred.jt = b
	} else {
		e.pred.jf = b
	}
}

// optInfo is what the optimizer knows about a block.
type optInfo struct {
	id      int
	level   int
	link    *block // next block of the same level; or, when merging, its twin
	mark    int
	dom     bitset // the blocks that dominate this one
	et, ef  edge
	inEdges *edge

	def, kill, inUse, outUse atomset

	val  [nAtoms]uint32 // value numbers on exit (0: unknown)
	oval uint32         // value number of the branch's operand
}

type optError struct{ msg string }

type optimizer struct {
	blocks    []*block
	edges     []*edge
	levels    []*block
	nodeWords int
	edgeWords int
	mark      int

	done  bool
	moved bool // something other than branch movement happened

	values map[[3]uint32]uint32 // (code, v0, v1) → value number
	consts map[uint32]uint32    // value number → constant
	curval uint32
}

func (o *optimizer) fail(msg string) { panic(optError{msg}) }

// optimize optimizes the program rooted at root and returns its new root.
func optimize(root *block) (newRoot *block, err error) {
	defer func() {
		if r := recover(); r != nil {
			oe, ok := r.(optError)
			if !ok {
				panic(r)
			}
			newRoot, err = nil, errorf("%s", oe.msg)
		}
	}()
	o := &optimizer{}
	o.init(root)
	o.loop(&root, false)
	o.loop(&root, true)
	o.intern(root)
	optRoot(&root)
	return root, nil
}

func (o *optimizer) newMark() int { o.mark++; return o.mark }

// init numbers the blocks depth first, true branch first, and makes their
// edges and sets.
func (o *optimizer) init(root *block) {
	m := o.newMark()
	var number func(b *block)
	number = func(b *block) {
		if b == nil || b.opt.mark == m {
			return
		}
		b.opt.mark = m
		b.opt.id = len(o.blocks)
		o.blocks = append(o.blocks, b)
		number(b.jt)
		number(b.jf)
	}
	number(root)
	n := len(o.blocks)
	o.edges = make([]*edge, 2*n)
	o.levels = make([]*block, n)
	o.edgeWords = 2*n/32 + 1
	o.nodeWords = n/32 + 1
	for i, b := range o.blocks {
		b.opt.dom = make(bitset, o.nodeWords)
		b.opt.et = edge{id: i, edom: make(bitset, o.edgeWords), pred: b, isTrue: true}
		b.opt.ef = edge{id: n + i, edom: make(bitset, o.edgeWords), pred: b}
		o.edges[i] = &b.opt.et
		o.edges[n+i] = &b.opt.ef
	}
}

func (o *optimizer) loop(root **block, doStmts bool) {
	count := 0
	for {
		o.done, o.moved = true, false
		o.findLevels(*root)
		o.findDom(*root)
		o.findUD(*root)
		o.findEdom(*root)
		o.blks(*root, doStmts)
		if o.done {
			return
		}
		// Passes that only move branches may cycle forever; as libpcap,
		// give up after 100 of them in a row.
		if o.moved {
			count = 0
		} else if count++; count >= 100 {
			return
		}
	}
}

// findLevels puts each reachable block in the list of its level: 0 for
// the returns, one more than the higher of its successors otherwise.
func (o *optimizer) findLevels(root *block) {
	clear(o.levels)
	m := o.newMark()
	var visit func(b *block)
	visit = func(b *block) {
		if b.opt.mark == m {
			return
		}
		b.opt.mark = m
		b.opt.link = nil
		level := 0
		if b.jt != nil {
			visit(b.jt)
			visit(b.jf)
			level = max(b.jt.opt.level, b.jf.opt.level) + 1
		}
		b.opt.level = level
		b.opt.link = o.levels[level]
		o.levels[level] = b
	}
	visit(root)
}

// down calls fn for the blocks of levels from down to to, in libpcap's
// order; up for levels from up to to.
func (o *optimizer) down(from, to int, fn func(b *block)) {
	for l := from; l >= to; l-- {
		for b := o.levels[l]; b != nil; b = b.opt.link {
			fn(b)
		}
	}
}

func (o *optimizer) up(from, to int, fn func(b *block)) {
	for l := from; l <= to; l++ {
		for b := o.levels[l]; b != nil; b = b.opt.link {
			fn(b)
		}
	}
}

func (o *optimizer) findDom(root *block) {
	for _, b := range o.blocks {
		b.opt.dom.fill(0xffffffff)
	}
	root.opt.dom.fill(0)
	o.down(root.opt.level, 0, func(b *block) {
		b.opt.dom.insert(b.opt.id)
		if b.jt != nil {
			b.jt.opt.dom.intersect(b.opt.dom)
			b.jf.opt.dom.intersect(b.opt.dom)
		}
	})
}

func (o *optimizer) findEdom(root *block) {
	for _, e := range o.edges {
		e.edom.fill(0xffffffff)
	}
	root.opt.et.edom.fill(0)
	root.opt.ef.edom.fill(0)
	prop := func(e *edge) {
		e.edom.insert(e.id)
		if s := e.succ(); s != nil {
			s.opt.et.edom.intersect(e.edom)
			s.opt.ef.edom.intersect(e.edom)
		}
	}
	o.down(root.opt.level, 0, func(b *block) {
		prop(&b.opt.et)
		prop(&b.opt.ef)
	})
}

// atomUse is the register an instruction reads: a scratch cell, atomA,
// atomX, atomAX, or -1.
func atomUse(ri bpf.RawInstruction) int {
	c := ri.Op
	if c == nop {
		return -1
	}
	switch class(c) {
	case clsRET:
		switch c & 0x18 {
		case retA:
			return atomA
		case srcX:
			return atomX
		}
		return -1
	case clsLD, clsLDX:
		switch c & 0xe0 {
		case mdIND:
			return atomX
		case mdMEM:
			return int(ri.K)
		}
		return -1
	case clsST:
		return atomA
	case clsSTX:
		return atomX
	case clsJMP, clsALU:
		if c&srcX != 0 {
			return atomAX
		}
		return atomA
	case clsMISC:
		if c&0xf8 == miscTXA {
			return atomX
		}
		return atomA
	}
	panic("filter: bad opcode")
}

// atomDef is the register an instruction writes, or -1.
func atomDef(ri bpf.RawInstruction) int {
	if ri.Op == nop {
		return -1
	}
	switch class(ri.Op) {
	case clsLD, clsALU:
		return atomA
	case clsLDX:
		return atomX
	case clsST, clsSTX:
		return int(ri.K)
	case clsMISC:
		if ri.Op&0xf8 == miscTAX {
			return atomX
		}
		return atomA
	}
	return -1
}

// localUD computes the registers a block reads before writing them
// (inUse), writes (def), and writes before reading (kill).
func localUD(b *block) {
	var def, use, kill atomset
	uses := func(ri bpf.RawInstruction) {
		switch atom := atomUse(ri); {
		case atom == atomAX:
			if !def.has(atomX) {
				use |= 1 << atomX
			}
			if !def.has(atomA) {
				use |= 1 << atomA
			}
		case atom >= 0:
			if !def.has(atom) {
				use |= 1 << atom
			}
		}
	}
	for _, ri := range b.stmts {
		if ri.Op == nop {
			continue
		}
		uses(ri)
		if atom := atomDef(ri); atom >= 0 {
			if !use.has(atom) {
				kill |= 1 << atom
			}
			def |= 1 << atom
		}
	}
	if class(b.op) == clsJMP {
		uses(bpf.RawInstruction{Op: b.op, K: b.k})
	}
	b.opt.def, b.opt.kill, b.opt.inUse = def, kill, use
}

func (o *optimizer) findUD(root *block) {
	maxLevel := root.opt.level
	o.down(maxLevel, 0, func(b *block) {
		localUD(b)
		b.opt.outUse = 0
	})
	o.up(1, maxLevel, func(b *block) {
		b.opt.outUse |= b.jt.opt.inUse | b.jf.opt.inUse
		b.opt.inUse |= b.opt.outUse &^ b.opt.kill
	})
}

// Value numbering.

func (o *optimizer) initValues() {
	o.values = map[[3]uint32]uint32{}
	o.consts = map[uint32]uint32{}
	o.curval = 0
}

// value returns the number of the value an operation code computes from
// the values (or constants) v0 and v1.
func (o *optimizer) value(code uint16, v0, v1 uint32) uint32 {
	key := [3]uint32{uint32(code), v0, v1}
	if v, ok := o.values[key]; ok {
		return v
	}
	o.curval++
	v := o.curval
	if code&0xe0 == mdIMM && (class(code) == clsLD || class(code) == clsLDX) {
		o.consts[v] = v0
	}
	o.values[key] = v
	return v
}

func (o *optimizer) k(v uint32) uint32 { return o.value(clsLD|mdIMM, v, 0) }

func (o *optimizer) isConst(v uint32) (uint32, bool) {
	k, ok := o.consts[v]
	return k, ok
}

func (o *optimizer) changed() { o.moved, o.done = true, false }

// store records that s sets *dst to v; when altering, an instruction that
// sets a register to the value it already holds is deleted.
func store(s *bpf.RawInstruction, dst *uint32, v uint32, alter bool) {
	if alter && v != 0 && *dst == v {
		s.Op = nop
	} else {
		*dst = v
	}
}

// foldOp makes s load the constant v0 op v1.
func (o *optimizer) foldOp(s *bpf.RawInstruction, v0, v1 uint32) {
	a, _ := o.isConst(v0)
	b, _ := o.isConst(v1)
	op := s.Op & 0xf0
	switch {
	case op == aluDIV && b == 0:
		o.fail("division by zero")
	case op == aluMOD && b == 0:
		o.fail("modulus by zero")
	default:
		a = fold(op, a, b)
	}
	s.K, s.Op = a, clsLD|mdIMM
	o.changed()
}

// stmt numbers the value instruction s computes, and, when alter is set,
// simplifies it.
func (o *optimizer) stmt(s *bpf.RawInstruction, val *[nAtoms]uint32, alter bool) {
	switch c := s.Op; {
	case c == clsLD|szW|mdABS || c == clsLD|szH|mdABS || c == clsLD|szB|mdABS:
		store(s, &val[atomA], o.value(c, s.K, 0), alter)

	case c == clsLD|szW|mdIND || c == clsLD|szH|mdIND || c == clsLD|szB|mdIND:
		v := val[atomX]
		if kx, ok := o.isConst(v); alter && ok {
			s.Op = clsLD | mdABS | c&0x18
			s.K += kx
			v = o.value(s.Op, s.K, 0)
			o.changed()
		} else {
			v = o.value(c, s.K, v)
		}
		store(s, &val[atomA], v, alter)

	case c == clsLD|szW|mdLEN:
		store(s, &val[atomA], o.value(c, 0, 0), alter)

	case c == clsLD|mdIMM:
		store(s, &val[atomA], o.k(s.K), alter)

	case c == clsLDX|mdIMM:
		store(s, &val[atomX], o.k(s.K), alter)

	case c == clsLDX|szB|mdMSH:
		store(s, &val[atomX], o.value(c, s.K, 0), alter)

	case c == clsALU|aluNEG:
		if ka, ok := o.isConst(val[atomA]); alter && ok {
			s.Op, s.K = clsLD|mdIMM, -ka
			val[atomA] = o.k(s.K)
		} else {
			val[atomA] = o.value(c, val[atomA], 0)
		}

	case class(c) == clsALU && c&srcX == 0:
		op := c & 0xf0
		if alter {
			if s.K == 0 {
				switch op {
				case aluADD, aluLSH, aluRSH, aluOR, aluXOR:
					s.Op = nop
					return
				case aluMUL, aluAND:
					s.Op = clsLD | mdIMM
					val[atomA] = o.k(s.K)
					return
				case aluDIV:
					o.fail("division by zero")
				case aluMOD:
					o.fail("modulus by zero")
				}
			}
			if _, ok := o.isConst(val[atomA]); ok {
				o.foldOp(s, val[atomA], o.k(s.K))
				val[atomA] = o.k(s.K)
				return
			}
		}
		val[atomA] = o.value(c, val[atomA], o.k(s.K))

	case class(c) == clsALU: // with X
		op := c & 0xf0
		if kx, ok := o.isConst(val[atomX]); alter && ok {
			if _, ok := o.isConst(val[atomA]); ok {
				o.foldOp(s, val[atomA], val[atomX])
				val[atomA] = o.k(s.K)
			} else {
				s.Op, s.K = clsALU|srcK|op, kx
				if (op == aluLSH || op == aluRSH) && s.K > 31 {
					o.fail("shift by more than 31 bits")
				}
				o.changed()
				val[atomA] = o.value(s.Op, val[atomA], o.k(s.K))
			}
			return
		}
		// Something done to an A known to be 0.
		if ka, ok := o.isConst(val[atomA]); alter && ok && ka == 0 {
			switch op {
			case aluADD, aluOR, aluXOR:
				s.Op = clsMISC | miscTXA
				store(s, &val[atomA], val[atomX], alter)
				return
			case aluMUL, aluDIV, aluMOD, aluAND, aluLSH, aluRSH:
				s.Op, s.K = clsLD|mdIMM, 0
				store(s, &val[atomA], o.k(s.K), alter)
				return
			}
		}
		val[atomA] = o.value(c, val[atomA], val[atomX])

	case c == clsMISC|miscTXA:
		store(s, &val[atomA], val[atomX], alter)

	case c == clsLD|mdMEM:
		v := val[s.K]
		if kv, ok := o.isConst(v); alter && ok {
			s.Op, s.K = clsLD|mdIMM, kv
			o.changed()
		}
		store(s, &val[atomA], v, alter)

	case c == clsMISC|miscTAX:
		store(s, &val[atomX], val[atomA], alter)

	case c == clsLDX|mdMEM:
		v := val[s.K]
		if kv, ok := o.isConst(v); alter && ok {
			s.Op, s.K = clsLDX|mdIMM, kv
			o.changed()
		}
		store(s, &val[atomX], v, alter)

	case c == clsST:
		store(s, &val[s.K], val[atomA], alter)

	case c == clsSTX:
		store(s, &val[s.K], val[atomX], alter)
	}
}

// nextOp is the index of the first instruction from i on that is not
// deleted, or -1.
func nextOp(stmts []bpf.RawInstruction, i int) int {
	for ; i < len(stmts); i++ {
		if stmts[i].Op != nop {
			return i
		}
	}
	return -1
}

// peep makes local improvements.
func (o *optimizer) peep(b *block) {
	st := b.stmts
	if len(st) == 0 {
		return
	}
	last := 0
	for s := 0; ; {
		if s = nextOp(st, s); s < 0 {
			break
		}
		next := nextOp(st, s+1)
		if next < 0 {
			break
		}
		last = next
		// st M[k]; ldx M[k] → st M[k]; tax
		if st[s].Op == clsST && st[next].Op == clsLDX|mdMEM && st[s].K == st[next].K {
			o.changed()
			st[next].Op = clsMISC | miscTAX
		}
		// ld #k; tax → ldx #k; txa
		if st[s].Op == clsLD|mdIMM && st[next].Op == clsMISC|miscTAX {
			st[s].Op = clsLDX | mdIMM
			st[next].Op = clsMISC | miscTXA
			o.changed()
		}
		// ld #k; [ldxb msh;] add x; tax; ld[x + j] → [ldxb msh;] ld[x + j+k]:
		// tcp[k] with a constant k.
		if st[s].Op == clsLD|mdIMM && !b.opt.outUse.has(atomX) {
			add := next
			if st[next].Op == clsLDX|szB|mdMSH {
				add = nextOp(st, next+1)
			}
			if add >= 0 && st[add].Op == clsALU|aluADD|srcX {
				if tax := nextOp(st, add+1); tax >= 0 && st[tax].Op == clsMISC|miscTAX {
					if ild := nextOp(st, tax+1); ild >= 0 && class(st[ild].Op) == clsLD && st[ild].Op&0xe0 == mdIND {
						st[ild].K += st[s].K
						st[s].Op, st[add].Op, st[tax].Op = nop, nop, nop
						o.changed()
					}
				}
			}
		}
		s = next
	}
	// A comparison with a constant whose A nobody needs afterwards can
	// absorb the operation before it.
	if b.op == clsJMP|jmpJEQ|srcK && !b.opt.outUse.has(atomA) {
		switch l := &st[last]; {
		case l.Op == clsALU|aluSUB|srcX:
			if kx, ok := o.isConst(b.opt.val[atomX]); ok {
				// sub x; jeq #y → jeq #(x+y)
				b.k += kx
				l.Op = nop
				o.changed()
			} else if b.k == 0 {
				// sub x; jeq #0 → jeq x
				l.Op = nop
				b.op = clsJMP | jmpJEQ | srcX
				o.changed()
			}
		case l.Op == clsALU|aluSUB|srcK:
			// sub #x; jeq #y → jeq #(x+y)
			l.Op = nop
			b.k += l.K
			o.changed()
		case l.Op == clsALU|aluAND|srcK && b.k == 0:
			// and #k; jeq #0 → jset #k, branches swapped
			b.k, b.op = l.K, clsJMP|jmpJSET|srcK
			l.Op = nop
			o.changed()
			b.jt, b.jf = b.jf, b.jt
		}
	}
	if b.op == clsJMP|jmpJSET|srcK {
		if b.k == 0 {
			b.jt = b.jf
		}
		if b.k == 0xffffffff {
			b.jf = b.jt
		}
	}
	// A comparison with an X known to be constant is one with the
	// constant.
	if kx, ok := o.isConst(b.opt.val[atomX]); ok && b.op&srcX != 0 {
		b.op &^= srcX
		b.k = kx
	}
	// A comparison of a constant A has a known outcome.
	if ka, ok := o.isConst(b.opt.val[atomA]); ok && b.op&srcX == 0 {
		var taken bool
		switch b.op & 0xf0 {
		case jmpJEQ:
			taken = ka == b.k
		case jmpJGT:
			taken = ka > b.k
		case jmpJGE:
			taken = ka >= b.k
		case jmpJSET:
			taken = ka&b.k != 0
		}
		if b.jf != b.jt {
			o.changed()
		}
		if taken {
			b.jf = b.jt
		} else {
			b.jt = b.jf
		}
	}
}

// deadStores deletes the instructions whose result is overwritten before
// any use, or never used.
func (o *optimizer) deadStores(b *block) {
	var last [nAtoms]*bpf.RawInstruction
	dead := func(s *bpf.RawInstruction) {
		switch atom := atomUse(*s); {
		case atom == atomAX:
			last[atomX], last[atomA] = nil, nil
		case atom >= 0:
			last[atom] = nil
		}
		if atom := atomDef(*s); atom >= 0 {
			if last[atom] != nil {
				o.changed()
				last[atom].Op = nop
			}
			last[atom] = s
		}
	}
	for i := range b.stmts {
		dead(&b.stmts[i])
	}
	branch := bpf.RawInstruction{Op: b.op, K: b.k}
	dead(&branch)
	for atom, s := range last {
		if s != nil && !b.opt.outUse.has(atom) {
			s.Op = nop
			b.opt.val[atom] = 0
			o.changed()
		}
	}
}

func (o *optimizer) blk(b *block, doStmts bool) {
	// Values on entry: those all predecessors agree on.
	if p := b.opt.inEdges; p == nil {
		b.opt.val = [nAtoms]uint32{}
	} else {
		b.opt.val = p.pred.opt.val
		for p = p.next; p != nil; p = p.next {
			for i := range b.opt.val {
				if b.opt.val[i] != p.pred.opt.val[i] {
					b.opt.val[i] = 0
				}
			}
		}
	}
	aval, xval := b.opt.val[atomA], b.opt.val[atomX]
	for i := range b.stmts {
		o.stmt(&b.stmts[i], &b.opt.val, doStmts)
	}
	// A block that leaves A and X as they were and whose values nobody
	// uses, or a return, needs no instructions.
	if doStmts && ((b.opt.outUse == 0 && aval != 0 && b.opt.val[atomA] == aval &&
		xval != 0 && b.opt.val[atomX] == xval) || b.isRet()) {
		if len(b.stmts) > 0 {
			b.stmts = nil
			o.changed()
		}
	} else {
		o.peep(b)
		o.deadStores(b)
	}
	if b.op&srcX == 0 {
		b.opt.oval = o.k(b.k)
	} else {
		b.opt.oval = b.opt.val[atomX]
	}
	b.opt.et.code = int(b.op)
	b.opt.ef.code = -int(b.op)
}

// useConflict says whether a register used after succ holds there a value
// different from the one it holds after b.
func useConflict(b, succ *block) bool {
	use := succ.opt.outUse
	if use == 0 {
		return false
	}
	for atom := 0; atom < nAtoms; atom++ {
		if use.has(atom) && b.opt.val[atom] != succ.opt.val[atom] {
			return true
		}
	}
	return false
}

// foldEdge returns the successor of child that follows when the test of
// the edge e, which dominates the way to child, has the outcome e stands
// for; or nil when that does not decide child's test.
func foldEdge(child *block, e *edge) *block {
	code, sense := e.code, true
	if code < 0 {
		code, sense = -code, false
	}
	if int(child.op) != code || child.opt.val[atomA] != e.pred.opt.val[atomA] {
		return nil
	}
	if child.opt.oval == e.pred.opt.oval {
		if sense {
			return child.jt
		}
		return child.jf
	}
	if sense && code == clsJMP|jmpJEQ|srcK {
		// A equals another constant: this equality fails.
		return child.jf
	}
	return nil
}

// jump moves edge e past tests whose outcome is known.
func (o *optimizer) jump(e *edge) {
	succ := e.succ()
	if succ.jt == nil {
		return
	}
	if succ.jt == succ.jf && !useConflict(e.pred, succ.jt) {
		o.changed()
		e.setSucc(succ.jt)
	}
top:
	for i := 0; i < o.edgeWords; i++ {
		for x := e.edom[i]; x != 0; {
			k := bits.TrailingZeros32(x)
			x &^= 1 << k
			target := foldEdge(e.succ(), o.edges[k+32*i])
			if target != nil && !useConflict(e.pred, target) {
				o.done = false
				e.setSucc(target)
				if target.jt != nil {
					goto top
				}
				return
			}
		}
	}
}

// orPullup brings together, in a chain of "or" tests (each false branch
// leading to the next, all true branches to the same block), the tests of
// the value the block's predecessors leave in A. andPullup does the same
// for chains of "and" (trueChain).
func (o *optimizer) pullup(b *block, trueChain bool) {
	ep := b.opt.inEdges
	if ep == nil {
		return
	}
	val := ep.pred.opt.val[atomA]
	for e := ep.next; e != nil; e = e.next {
		if e.pred.opt.val[atomA] != val {
			return
		}
	}
	// along is the branch that continues the chain; other must be the
	// same for every block of it.
	along := func(p *block) **block {
		if trueChain {
			return &p.jt
		}
		return &p.jf
	}
	other := func(p *block) *block {
		if trueChain {
			return p.jf
		}
		return p.jt
	}
	var diffp **block
	if ep.pred.jt == b {
		diffp = &ep.pred.jt
	} else {
		diffp = &ep.pred.jf
	}
	atTop := true
	for {
		if *diffp == nil || other(*diffp) != other(b) || !(*diffp).opt.dom.has(b.opt.id) {
			return
		}
		if (*diffp).opt.val[atomA] != val {
			break
		}
		diffp = along(*diffp)
		atTop = false
	}
	samep := along(*diffp)
	for {
		if *samep == nil || other(*samep) != other(b) || !(*samep).opt.dom.has(b.opt.id) {
			return
		}
		if (*samep).opt.val[atomA] == val {
			break
		}
		samep = along(*samep)
	}
	pull := *samep
	*samep = *along(pull)
	*along(pull) = *diffp
	if atTop {
		for e := b.opt.inEdges; e != nil; e = e.next {
			if e.pred.jt == b {
				e.pred.jt = pull
			} else {
				e.pred.jf = pull
			}
		}
	} else {
		*diffp = pull
	}
	// Later libpcaps recompute the dominators here; tcpdump 4.99 with
	// libpcap 1.10 does not, and the programs are the same either way on
	// everything the tests compare, at a tenth of the time.
	o.done = false
}

func (o *optimizer) findInEdges(root *block) {
	for _, b := range o.blocks {
		b.opt.inEdges = nil
	}
	o.down(root.opt.level, 1, func(b *block) {
		b.opt.et.next, b.jt.opt.inEdges = b.jt.opt.inEdges, &b.opt.et
		b.opt.ef.next, b.jf.opt.inEdges = b.jf.opt.inEdges, &b.opt.ef
	})
}

func (o *optimizer) blks(root *block, doStmts bool) {
	o.initValues()
	maxLevel := root.opt.level
	o.findInEdges(root)
	o.down(maxLevel, 0, func(b *block) { o.blk(b, doStmts) })
	if doStmts {
		return
	}
	o.up(1, maxLevel, func(b *block) {
		o.jump(&b.opt.et)
		o.jump(&b.opt.ef)
	})
	o.findInEdges(root)
	o.up(1, maxLevel, func(b *block) {
		o.pullup(b, false)
		o.pullup(b, true)
	})
}

// intern merges blocks with the same instructions and successors.
func (o *optimizer) intern(root *block) {
	for {
		for _, b := range o.blocks {
			b.opt.link = nil
		}
		m := o.newMark()
		var mark func(b *block)
		mark = func(b *block) {
			if b.opt.mark == m {
				return
			}
			b.opt.mark = m
			if !b.isRet() {
				mark(b.jt)
				mark(b.jf)
			}
		}
		mark(root)
		// Each live block becomes a link to the first live block after it
		// that is the same, found by grouping the blocks by what they are
		// (libpcap compares every pair; the result is the same).
		n := len(o.blocks)
		same := map[string][]int{}
		for j, b := range o.blocks {
			if b.opt.mark == m {
				k := blockKey(b)
				same[k] = append(same[k], j)
			}
		}
		for i := n - 2; i >= 0; i-- {
			bi := o.blocks[i]
			if bi.opt.mark != m {
				continue
			}
			twins := same[blockKey(bi)]
			if at := sort.SearchInts(twins, i+1); at < len(twins) {
				bj := o.blocks[twins[at]]
				if bj.opt.link != nil {
					bi.opt.link = bj.opt.link
				} else {
					bi.opt.link = bj
				}
			}
		}
		done := true
		for _, b := range o.blocks {
			if b.jt == nil {
				continue
			}
			if b.jt.opt.link != nil {
				done = false
				b.jt = b.jt.opt.link
			}
			if b.jf.opt.link != nil {
				done = false
				b.jf = b.jf.opt.link
			}
		}
		if done {
			return
		}
	}
}

// blockKey is what makes two blocks the same for merging: their branch,
// successors and instructions (deleted ones aside).
func blockKey(b *block) string {
	key := make([]byte, 0, 32+8*len(b.stmts))
	key = fmt.Appendf(key, "%d %d %p %p", b.op, b.k, b.jt, b.jf)
	for _, ri := range b.stmts {
		if ri.Op != nop {
			key = fmt.Appendf(key, ";%d %d", ri.Op, ri.K)
		}
	}
	return string(key)
}

// optRoot skips root tests that lead to the same block either way,
// keeping their instructions.
func optRoot(root **block) {
	s := (*root).stmts
	(*root).stmts = nil
	for class((*root).op) == clsJMP && (*root).jt == (*root).jf {
		*root = (*root).jt
	}
	if t := (*root).stmts; len(t) > 0 {
		s = append(s, t...)
	}
	(*root).stmts = s
	if (*root).isRet() {
		(*root).stmts = nil
	}
}
