package filter

// The parser follows tcpdump's grammar (libpcap's grammar.y) production by
// production, so that it accepts the same expressions and groups them the
// same way: "and" and "or" have equal precedence and group to the left;
// a bare address or number after "and"/"or" takes the qualifiers of the
// primitive before it ("port 80 or 443"); "%" and "^" take everything to
// their right, as yacc resolves them for tcpdump. It builds a syntax tree;
// the code generator walks it left to right, the order in which tcpdump
// generates code (which matters for "vlan").

// Protocol qualifiers (tcpdump's Q_LINK, Q_IP…).
type proto int

const (
	pUndef proto = iota // no qualifiers to inherit (after "tcp", a comparison…)
	pDefault
	pLink
	pIP
	pARP
	pRARP
	pSCTP
	pTCP
	pUDP
	pICMP
	pIGMP
	pIP6
	pICMP6
)

var protoNames = [...]string{pUndef: "?", pDefault: "", pLink: "ether", pIP: "ip", pARP: "arp",
	pRARP: "rarp", pSCTP: "sctp", pTCP: "tcp", pUDP: "udp", pICMP: "icmp", pIGMP: "igmp",
	pIP6: "ip6", pICMP6: "icmp6"}

func (p proto) String() string { return protoNames[p] }

func protoOf(kw keyword) (proto, bool) {
	switch kw {
	case kwLink:
		return pLink, true
	case kwIP:
		return pIP, true
	case kwARP:
		return pARP, true
	case kwRARP:
		return pRARP, true
	case kwSCTP:
		return pSCTP, true
	case kwTCP:
		return pTCP, true
	case kwUDP:
		return pUDP, true
	case kwICMP:
		return pICMP, true
	case kwIGMP:
		return pIGMP, true
	case kwIP6:
		return pIP6, true
	case kwICMP6:
		return pICMP6, true
	}
	return 0, false
}

// Direction qualifiers.
type direction int

const (
	dDefault direction = iota
	dSrc
	dDst
	dOr  // src or dst
	dAnd // src and dst
)

// Address kinds.
type addrKind int

const (
	aDefault addrKind = iota
	aHost
	aNet
	aPort
	aPortrange
	aProto
)

var addrNames = [...]string{aDefault: "host", aHost: "host", aNet: "net", aPort: "port",
	aPortrange: "portrange", aProto: "proto"}

// qual is the qualifiers of a primitive: "ip src host" is {pIP, dSrc, aHost}.
type qual struct {
	proto proto
	dir   direction
	addr  addrKind
}

var qualUndef = qual{proto: pUndef}

// Nodes of the syntax tree.
type (
	node interface{}

	andNode struct{ l, r node }
	orNode  struct{ l, r node }
	notNode struct{ x node }

	// idNode is an address, number or name with its qualifiers: the
	// "1.2.3.4" of "host 1.2.3.4", or the "443" of "port 80 or 443".
	idNode struct {
		q    qual
		kind idKind
		tok  token // the address, number or name
		// For "addr/len" and "addr mask addr": the length or the mask.
		plen  uint32
		extra token
	}

	// abbrevNode is a protocol by itself: "tcp", "ip6", "arp".
	abbrevNode struct {
		p   proto
		tok token
	}

	// relNode compares two arithmetic expressions. op is '=', '>' or
	// opGE; reversed turns it into '!=', '<=' or '<' as tcpdump does.
	relNode struct {
		op       byte
		reversed bool
		a, b     arith
		tok      token
	}

	castNode struct { // [ether|ip|ip6] broadcast|multicast
		p         proto
		multicast bool
		tok       token
	}

	lenNode struct { // less N, greater N
		greater bool
		n       uint32
		tok     token
	}

	vlanNode struct { // vlan [ID]
		hasID bool
		id    uint32
		tok   token
		idTok token
	}
)

type idKind int

const (
	idNum idKind = iota
	idName
	idIPv4
	idIPv4Len  // 10.0.0.0/8
	idIPv4Mask // 10.0.0.0 mask 255.0.0.0
	idIPv6
	idIPv6Len
	idMAC
)

// Arithmetic expressions.
type (
	arith interface{}

	numArith struct {
		v   uint32
		tok token
	}
	lenArith struct{ tok token }
	// loadArith is proto[idx:size].
	loadArith struct {
		p       proto
		idx     arith
		size    uint32
		tok     token // the protocol
		sizeTok token
	}
	binArith struct {
		op   byte // '+', '-', '*', '/', '%', '&', '|', '^', opLSH, opRSH
		a, b arith
		tok  token
	}
	negArith struct {
		a   arith
		tok token
	}
)

type parser struct {
	toks []token
	pos  int
}

// parse turns the tokens of a non-empty expression into a tree.
func parse(toks []token) (node, error) {
	p := &parser{toks: toks}
	n, _, err := p.expr(qualUndef)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.unexpected(t, "'and', 'or' or the end of the expression")
	}
	return n, nil
}

func (p *parser) peek() token { return p.toks[p.pos] }
func (p *parser) peekAt(i int) token {
	if p.pos+i < len(p.toks) {
		return p.toks[p.pos+i]
	}
	return p.toks[len(p.toks)-1]
}
func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tEOF {
		p.pos++
	}
	return t
}

func isKw(t token, kw keyword) bool { return t.kind == tKeyword && t.kw == kw }
func isOp(t token, op byte) bool    { return t.kind == tOp && t.op == op }

func (p *parser) unexpected(t token, want string) error {
	if t.kind == tEOF {
		return errorAt(t.col, "", "the expression ends too early: expected %s", want)
	}
	if t.kind == tKeyword && t.kw == kwUnsupported {
		return errorAt(t.col, t.text, "%q is a tcpdump keyword that rawsock does not support (see docs/filters.md)", t.text)
	}
	return errorAt(t.col, t.text, "unexpected %s: expected %s", describe(t), want)
}

func describe(t token) string {
	switch t.kind {
	case tNum:
		return "number"
	case tName:
		return "name"
	case tIPv4, tIPv6:
		return "address"
	case tMAC:
		return "Ethernet address"
	case tKeyword:
		return "keyword"
	}
	return "'" + t.text + "'"
}

// further returns whichever of two errors was found further into the
// expression: after a failed attempt and a failed alternative, the one that
// got further explains the mistake better.
func further(a, b error) error {
	ea, _ := a.(*Error)
	eb, _ := b.(*Error)
	if ea != nil && eb != nil && eb.Column > ea.Column {
		return b
	}
	return a
}

// expr: term { (and|or) (term|id) }. It returns the qualifiers that a bare
// id after a following "and"/"or" would inherit.
func (p *parser) expr(inherit qual) (node, qual, error) {
	n, q, err := p.term(inherit, false)
	if err != nil {
		return nil, q, err
	}
	for {
		t := p.peek()
		if !isKw(t, kwAnd) && !isKw(t, kwOr) {
			return n, q, nil
		}
		p.next()
		m, q2, err := p.term(q, true)
		if err != nil {
			return nil, q, err
		}
		if t.kw == kwAnd {
			n = &andNode{n, m}
		} else {
			n = &orNode{n, m}
		}
		q = q2
	}
}

// term: not term | rterm, or, where an id is allowed (after and/or), also
// not id | id.
func (p *parser) term(inherit qual, idOK bool) (node, qual, error) {
	if isKw(p.peek(), kwNot) {
		p.next()
		n, q, err := p.term(inherit, idOK)
		if err != nil {
			return nil, q, err
		}
		return &notNode{n}, q, nil
	}
	if !idOK {
		return p.rterm(inherit)
	}
	start := p.pos
	n, q, err := p.rterm(inherit)
	if err == nil {
		return n, q, nil
	}
	p.pos = start
	n, err2 := p.id(inherit)
	if err2 != nil {
		return nil, inherit, further(err2, err)
	}
	return n, inherit, nil
}

// rterm: head id | ( expr ) | pname | arith relop arith | other.
func (p *parser) rterm(inherit qual) (node, qual, error) {
	t := p.peek()
	switch t.kind {
	case tKeyword:
		switch t.kw {
		case kwSrc, kwDst, kwHost, kwNet, kwPort, kwPortrange, kwProto:
			return p.headID(pDefault)
		case kwBroadcast, kwMulticast:
			p.next()
			return &castNode{p: pDefault, multicast: t.kw == kwMulticast, tok: t}, qualUndef, nil
		case kwLess, kwGreater:
			p.next()
			nt := p.next()
			if nt.kind != tNum {
				return nil, qualUndef, p.unexpected(nt, "a number after '"+t.text+"'")
			}
			return &lenNode{greater: t.kw == kwGreater, n: nt.num, tok: t}, qualUndef, nil
		case kwVLAN:
			p.next()
			v := &vlanNode{tok: t}
			if nt := p.peek(); nt.kind == tNum || isOp(nt, '(') {
				id, idTok, err := p.pnum()
				if err != nil {
					return nil, qualUndef, err
				}
				v.hasID, v.id, v.idTok = true, id, idTok
			}
			return v, qualUndef, nil
		case kwLen:
			return p.relation()
		}
		if pr, ok := protoOf(t.kw); ok {
			nt := p.peekAt(1)
			switch {
			case isOp(nt, '['):
				return p.relation()
			case nt.kind == tKeyword && (nt.kw == kwSrc || nt.kw == kwDst || nt.kw == kwHost ||
				nt.kw == kwNet || nt.kw == kwPort || nt.kw == kwPortrange || nt.kw == kwProto):
				p.next()
				return p.headID(pr)
			case isKw(nt, kwBroadcast) || isKw(nt, kwMulticast):
				p.next()
				p.next()
				return &castNode{p: pr, multicast: nt.kw == kwMulticast, tok: t}, qualUndef, nil
			}
			p.next()
			return &abbrevNode{p: pr, tok: t}, qualUndef, nil
		}
	case tNum:
		return p.relation()
	case tOp:
		switch t.op {
		case '-':
			return p.relation()
		case '(':
			start := p.pos
			p.next()
			n, _, err := p.expr(inherit)
			if err == nil {
				if c := p.next(); isOp(c, ')') {
					return n, inherit, nil
				} else {
					err = p.unexpected(c, "')'")
				}
			}
			p.pos = start
			n, _, err2 := p.relation()
			if err2 != nil {
				return nil, inherit, further(err, err2)
			}
			return n, qualUndef, nil
		}
	}
	return nil, qualUndef, p.unexpected(t, "a primitive such as 'host', 'port', 'tcp' or a comparison")
}

// headID: [pname] [dqual] [aqual] id, or [pname] proto id. The protocol, if
// any, has been read.
func (p *parser) headID(pr proto) (node, qual, error) {
	q := qual{proto: pr}
	t := p.peek()
	if isKw(t, kwProto) {
		p.next()
		q.addr = aProto
		n, err := p.id(q)
		return n, q, err
	}
	if isKw(t, kwSrc) || isKw(t, kwDst) {
		p.next()
		q.dir = dSrc
		if t.kw == kwDst {
			q.dir = dDst
		}
		// "src or dst", "dst and src"…
		if c := p.peek(); isKw(c, kwAnd) || isKw(c, kwOr) {
			if o := p.peekAt(1); o.kind == tKeyword && (o.kw == kwSrc || o.kw == kwDst) && o.kw != t.kw {
				p.next()
				p.next()
				q.dir = dOr
				if c.kw == kwAnd {
					q.dir = dAnd
				}
			}
		}
	}
	switch t := p.peek(); {
	case isKw(t, kwHost):
		q.addr = aHost
	case isKw(t, kwNet):
		q.addr = aNet
	case isKw(t, kwPort):
		q.addr = aPort
	case isKw(t, kwPortrange):
		q.addr = aPortrange
	}
	if q.addr != aDefault {
		p.next()
	}
	n, err := p.id(q)
	return n, q, err
}

// id: nid | pnum | ( pid ), where nid is an address or name, or not id.
func (p *parser) id(q qual) (node, error) {
	t := p.peek()
	switch {
	case isKw(t, kwNot):
		p.next()
		n, err := p.id(q)
		if err != nil {
			return nil, err
		}
		return &notNode{n}, nil
	case t.kind == tNum:
		p.next()
		return &idNode{q: q, kind: idNum, tok: t}, nil
	case isOp(t, '('):
		start := p.pos
		v, vt, err := p.pnum()
		if err == nil {
			return &idNode{q: q, kind: idNum, tok: withNum(vt, v)}, nil
		}
		p.pos = start
		p.next()
		n, err2 := p.pid(q)
		if err2 != nil {
			return nil, further(err, err2)
		}
		if c := p.next(); !isOp(c, ')') {
			return nil, further(err, p.unexpected(c, "')'"))
		}
		return n, nil
	}
	return p.nid(q)
}

func withNum(t token, v uint32) token {
	t.kind, t.num = tNum, v
	return t
}

// pid: nid | qid and id | qid or id, where qid is pnum or pid: inside
// parentheses after a qualifier, "port (80 or 443)".
func (p *parser) pid(q qual) (node, error) {
	var n node
	t := p.peek()
	if t.kind == tNum || isOp(t, '(') {
		v, vt, err := p.pnum()
		if err != nil {
			return nil, err
		}
		n = &idNode{q: q, kind: idNum, tok: withNum(vt, v)}
		if c := p.peek(); !isKw(c, kwAnd) && !isKw(c, kwOr) {
			return nil, p.unexpected(c, "'and' or 'or'")
		}
	} else {
		var err error
		if n, err = p.nid(q); err != nil {
			return nil, err
		}
	}
	for {
		c := p.peek()
		if !isKw(c, kwAnd) && !isKw(c, kwOr) {
			return n, nil
		}
		p.next()
		m, err := p.id(q)
		if err != nil {
			return nil, err
		}
		if c.kw == kwAnd {
			n = &andNode{n, m}
		} else {
			n = &orNode{n, m}
		}
	}
}

// nid: name | address [/len | mask address] | Ethernet address | not id.
func (p *parser) nid(q qual) (node, error) {
	t := p.next()
	switch t.kind {
	case tKeyword:
		if t.kw == kwNot {
			n, err := p.id(q)
			if err != nil {
				return nil, err
			}
			return &notNode{n}, nil
		}
	case tName:
		return &idNode{q: q, kind: idName, tok: t}, nil
	case tMAC:
		return &idNode{q: q, kind: idMAC, tok: t}, nil
	case tIPv4, tIPv6:
		n := &idNode{q: q, kind: idIPv4, tok: t}
		if t.kind == tIPv6 {
			n.kind = idIPv6
		}
		if c := p.peek(); isOp(c, '/') {
			p.next()
			l := p.next()
			if l.kind != tNum {
				return nil, p.unexpected(l, "a prefix length after '/'")
			}
			n.kind++ // idIPv4Len, idIPv6Len
			n.plen, n.extra = l.num, l
		} else if isKw(c, kwMask) && t.kind == tIPv4 {
			p.next()
			m := p.next()
			if m.kind != tIPv4 {
				return nil, p.unexpected(m, "a netmask such as 255.255.255.0 after 'mask'")
			}
			n.kind, n.extra = idIPv4Mask, m
		}
		if err := checkAddrUse(q, n); err != nil {
			return nil, err
		}
		return n, nil
	}
	return nil, p.unexpected(t, "an address, a number or 'not'")
}

// checkAddrUse rejects an IP address where the qualifiers want a port or a
// protocol, as tcpdump's grammar does.
func checkAddrUse(q qual, n *idNode) error {
	switch q.addr {
	case aPort, aPortrange, aProto:
		return errorAt(n.tok.col, n.tok.text, "'%s' needs a number, not an IP address", addrNames[q.addr])
	}
	return nil
}

// pnum: NUM | ( pnum ).
func (p *parser) pnum() (uint32, token, error) {
	t := p.next()
	if t.kind == tNum {
		return t.num, t, nil
	}
	if isOp(t, '(') {
		v, vt, err := p.pnum()
		if err != nil {
			return 0, vt, err
		}
		if c := p.next(); !isOp(c, ')') {
			return 0, vt, p.unexpected(c, "')'")
		}
		return v, vt, nil
	}
	return 0, t, p.unexpected(t, "a number")
}

// relation: arith relop arith.
func (p *parser) relation() (node, qual, error) {
	a, err := p.arith()
	if err != nil {
		return nil, qualUndef, err
	}
	t := p.next()
	r := &relNode{a: a, tok: t}
	switch {
	case isOp(t, '>'):
		r.op = '>'
	case isOp(t, opGE):
		r.op = opGE
	case isOp(t, '='):
		r.op = '='
	case isOp(t, opLE):
		r.op, r.reversed = '>', true
	case isOp(t, '<'):
		r.op, r.reversed = opGE, true
	case isOp(t, opNE):
		r.op, r.reversed = '=', true
	default:
		return nil, qualUndef, p.unexpected(t, "a comparison (=, !=, <, <=, >, >=) or an arithmetic operator")
	}
	if r.b, err = p.arith(); err != nil {
		return nil, qualUndef, err
	}
	return r, qualUndef, nil
}

// Binding strength of the binary operators, as in tcpdump's grammar.
// '%' and '^' have none there: yacc then always shifts, so they take
// everything to their right; binPrec gives them 0 and arith handles them.
func binPrec(t token) int {
	if t.kind != tOp {
		return 0
	}
	switch t.op {
	case '|':
		return 1
	case '&':
		return 2
	case opLSH, opRSH:
		return 3
	case '+', '-':
		return 4
	case '*', '/':
		return 5
	}
	return 0
}

const unaryPrec = 6

func (p *parser) arith() (arith, error) { return p.binary(1) }

func (p *parser) binary(min int) (arith, error) {
	a, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		if isOp(t, '%') || isOp(t, '^') {
			p.next()
			b, err := p.binary(1)
			if err != nil {
				return nil, err
			}
			a = &binArith{op: t.op, a: a, b: b, tok: t}
			continue
		}
		prec := binPrec(t)
		if prec == 0 || prec < min {
			return a, nil
		}
		p.next()
		b, err := p.binary(prec + 1)
		if err != nil {
			return nil, err
		}
		a = &binArith{op: t.op, a: a, b: b, tok: t}
	}
}

func (p *parser) unary() (arith, error) {
	t := p.peek()
	if isOp(t, '-') {
		p.next()
		a, err := p.binary(unaryPrec)
		if err != nil {
			return nil, err
		}
		return &negArith{a: a, tok: t}, nil
	}
	return p.primary()
}

// primary: NUM | len | pname [ arith [: NUM] ] | ( arith ).
func (p *parser) primary() (arith, error) {
	t := p.next()
	switch {
	case t.kind == tNum:
		return &numArith{v: t.num, tok: t}, nil
	case isKw(t, kwLen):
		return &lenArith{tok: t}, nil
	case isOp(t, '('):
		a, err := p.arith()
		if err != nil {
			return nil, err
		}
		if c := p.next(); !isOp(c, ')') {
			return nil, p.unexpected(c, "')' or an arithmetic operator")
		}
		return a, nil
	case t.kind == tKeyword:
		pr, ok := protoOf(t.kw)
		if !ok {
			break
		}
		if c := p.next(); !isOp(c, '[') {
			return nil, p.unexpected(c, "'[' after '"+t.text+"' in a comparison")
		}
		idx, err := p.arith()
		if err != nil {
			return nil, err
		}
		l := &loadArith{p: pr, idx: idx, size: 1, tok: t}
		c := p.next()
		if isOp(c, ':') {
			s := p.next()
			if s.kind != tNum {
				return nil, p.unexpected(s, "a size (1, 2 or 4) after ':'")
			}
			l.size, l.sizeTok = s.num, s
			c = p.next()
		}
		if !isOp(c, ']') {
			return nil, p.unexpected(c, "']' or ':SIZE]'")
		}
		return l, nil
	}
	return nil, p.unexpected(t, "a number, 'len' or a protocol and index such as tcp[13]")
}
