package craft

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// An Error is a mistake in an expression, with the column (counted in
// characters from 1) where it is.
type Error struct {
	// Column is where the mistake starts, 1 for the first character.
	Column int
	// Msg says what is wrong.
	Msg string
	// Hint says what may have been meant ("did you mean …"), or is empty.
	Hint string
}

// Error returns the message, the column and the hint in one line.
func (e *Error) Error() string {
	s := fmt.Sprintf("%s at column %d", e.Msg, e.Column)
	if e.Hint != "" {
		s += "; " + e.Hint
	}
	return s
}

func errAt(col int, format string, args ...any) *Error {
	return &Error{Column: col, Msg: fmt.Sprintf(format, args...)}
}

// The expression syntax tree: layers of fields whose values are nodes.
type (
	layerNode struct {
		name   string
		col    int
		fields []*fieldNode
	}
	fieldNode struct {
		name string
		col  int
		val  *node
	}
	node struct {
		kind   nodeKind
		col    int
		text   string       // word or string contents; the name of a call
		items  []*node      // list items, call arguments
		fields []*fieldNode // record fields
	}
	nodeKind int
)

const (
	nodeWord   nodeKind = iota // 20, echo-request, 198.51.100.1, hex:00ff, @file
	nodeString                 // "text" or 'text'
	nodeList                   // [a, b]
	nodeCall                   // lsrr(a, b)
	nodeRecord                 // {rtype=4, maddr=…}
)

// String names the node in messages: a word as written, a string
// quoted, a bracket with an ellipsis.
func (n *node) String() string {
	switch n.kind {
	case nodeString:
		return fmt.Sprintf("%q", n.text)
	case nodeList:
		return "[…]"
	case nodeCall:
		return n.text + "(…)"
	case nodeRecord:
		return "{…}"
	}
	return n.text
}

type token struct {
	kind byte // 'w' word, 's' string, 'e' end, or the punctuation itself
	text string
	col  int
}

// lexer splits an expression into tokens. A "/" separates layers only
// outside brackets, so that a path in @file may contain slashes.
type lexer struct {
	src   string
	pos   int // byte offset
	col   int // column of pos
	depth int
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (l *lexer) advance(n int) {
	l.col += utf8.RuneCountInString(l.src[l.pos : l.pos+n])
	l.pos += n
}

func (l *lexer) next() (token, error) {
	for l.pos < len(l.src) && isSpace(l.src[l.pos]) {
		l.advance(1)
	}
	if l.pos >= len(l.src) {
		return token{kind: 'e', col: l.col}, nil
	}
	c, col := l.src[l.pos], l.col
	switch c {
	case '(', '[', '{':
		l.depth++
		l.advance(1)
		return token{kind: c, col: col}, nil
	case ')', ']', '}':
		l.depth--
		l.advance(1)
		return token{kind: c, col: col}, nil
	case ',', '=':
		l.advance(1)
		return token{kind: c, col: col}, nil
	case '"', '\'':
		s, err := l.str(c)
		return token{kind: 's', text: s, col: col}, err
	case '/':
		if l.depth <= 0 {
			l.advance(1)
			return token{kind: '/', col: col}, nil
		}
	}
	start := l.pos
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		if isSpace(c) || strings.IndexByte("()[]{},=\"'", c) >= 0 || c == '/' && l.depth <= 0 {
			break
		}
		l.pos++
	}
	w := l.src[start:l.pos]
	l.col += utf8.RuneCountInString(w)
	return token{kind: 'w', text: w, col: col}, nil
}

// str reads a quoted string with backslash escapes: \\ \" \' \n \r \t \0
// and \xHH.
func (l *lexer) str(q byte) (string, error) {
	col := l.col
	l.advance(1)
	var b strings.Builder
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == q:
			l.advance(1)
			return b.String(), nil
		case c == '\\' && l.pos+1 < len(l.src):
			e := l.src[l.pos+1]
			switch e {
			case '\\', '"', '\'':
				b.WriteByte(e)
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case '0':
				b.WriteByte(0)
			case 'x':
				if l.pos+3 < len(l.src) {
					if v, ok := unhex2(l.src[l.pos+2], l.src[l.pos+3]); ok {
						b.WriteByte(v)
						l.advance(4)
						continue
					}
				}
				return "", errAt(l.col, `bad escape in string: \x takes two hex digits`)
			default:
				shown := `\` + string(e)
				if e < ' ' || e >= 0x7f {
					// A control character would break the one-line message, and
					// a byte of a UTF-8 sequence means nothing alone.
					shown = fmt.Sprintf(`\x%02x`, e)
				}
				return "", errAt(l.col, `unknown escape %s in string: use \\ \" \' \n \r \t \0 or \xHH`, shown)
			}
			l.advance(2)
		default:
			_, n := utf8.DecodeRuneInString(l.src[l.pos:])
			b.WriteString(l.src[l.pos : l.pos+n])
			l.advance(n)
		}
	}
	return "", errAt(col, "string not closed: add the closing %c", q)
}

func unhex2(a, b byte) (byte, bool) {
	x, ok1 := unhex(a)
	y, ok2 := unhex(b)
	return x<<4 | y, ok1 && ok2
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// parser reads tokens with one token of lookahead.
type parser struct {
	lex lexer
	tok token
}

func (p *parser) advance() error {
	t, err := p.lex.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func describe(t token) string {
	switch t.kind {
	case 'e':
		return "end of expression"
	case 'w':
		return fmt.Sprintf("%q", t.text)
	case 's':
		return "a string"
	}
	return fmt.Sprintf("%q", string(t.kind))
}

// parseSyntax reads an expression into its layers.
func parseSyntax(src string) ([]*layerNode, error) {
	p := &parser{lex: lexer{src: src, col: 1}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind == 'e' {
		return nil, errAt(p.tok.col, "empty expression: write layers such as ip(dst=…)/icmp()")
	}
	var out []*layerNode
	for {
		l, err := p.layer()
		if err != nil {
			return nil, err
		}
		out = append(out, l)
		switch p.tok.kind {
		case 'e':
			return out, nil
		case '/':
			if err := p.advance(); err != nil {
				return nil, err
			}
		default:
			return nil, errAt(p.tok.col, "unexpected %s after %s(): layers are separated by /", describe(p.tok), l.name)
		}
	}
}

func (p *parser) layer() (*layerNode, error) {
	if p.tok.kind != 'w' {
		return nil, errAt(p.tok.col, "expected a layer name such as ip or tcp, found %s", describe(p.tok))
	}
	l := &layerNode{name: p.tok.text, col: p.tok.col}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind != '(' {
		return l, nil // a bare name: all defaults
	}
	fields, err := p.fields(')', l.name+"()")
	l.fields = fields
	return l, err
}

// fields reads name=value pairs up to the closing bracket, the current
// token being the opening one.
func (p *parser) fields(closing byte, in string) ([]*fieldNode, error) {
	open := p.tok.col
	if err := p.advance(); err != nil {
		return nil, err
	}
	var out []*fieldNode
	for p.tok.kind != closing {
		if p.tok.kind == 'e' {
			return nil, errAt(open, "%s is not closed: add %q", in, string(closing))
		}
		if p.tok.kind != 'w' {
			return nil, errAt(p.tok.col, "expected a field name in %s, found %s", in, describe(p.tok))
		}
		f := &fieldNode{name: p.tok.text, col: p.tok.col}
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.tok.kind != '=' {
			return nil, errAt(p.tok.col, "expected = after field %s in %s, found %s", f.name, in, describe(p.tok))
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		f.val = v
		out = append(out, f)
		if err := p.separator(closing, in, open); err != nil {
			return nil, err
		}
	}
	return out, p.advance()
}

// separator accepts a comma or stops before the closing bracket.
func (p *parser) separator(closing byte, in string, open int) error {
	switch p.tok.kind {
	case ',':
		return p.advance()
	case closing:
		return nil
	case 'e':
		return errAt(open, "%s is not closed: add %q", in, string(closing))
	}
	return errAt(p.tok.col, "expected , or %s in %s, found %s", string(closing), in, describe(p.tok))
}

func (p *parser) value() (*node, error) {
	t := p.tok
	switch t.kind {
	case 's':
		return &node{kind: nodeString, col: t.col, text: t.text}, p.advance()
	case '[':
		items, err := p.values(']', "list")
		return &node{kind: nodeList, col: t.col, items: items}, err
	case '{':
		fields, err := p.fields('}', "record {…}")
		return &node{kind: nodeRecord, col: t.col, fields: fields}, err
	case 'w':
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.tok.kind != '(' || p.tok.col != t.col+utf8.RuneCountInString(t.text) {
			return &node{kind: nodeWord, col: t.col, text: t.text}, nil
		}
		args, err := p.values(')', t.text+"(…)")
		return &node{kind: nodeCall, col: t.col, text: t.text, items: args}, err
	}
	return nil, errAt(t.col, "expected a value, found %s", describe(t))
}

// values reads comma-separated values up to the closing bracket, the
// current token being the opening one.
func (p *parser) values(closing byte, in string) ([]*node, error) {
	open := p.tok.col
	if err := p.advance(); err != nil {
		return nil, err
	}
	var out []*node
	for p.tok.kind != closing {
		if p.tok.kind == 'e' {
			return nil, errAt(open, "%s is not closed: add %q", in, string(closing))
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		if err := p.separator(closing, in, open); err != nil {
			return nil, err
		}
	}
	return out, p.advance()
}

// suggest returns the candidate closest to s when it is close enough to be
// a likely typo, or "".
func suggest(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		d := editDistance(strings.ToLower(s), strings.ToLower(c))
		limit := 2
		if len(c) <= 3 {
			limit = 1
		}
		if d <= limit && d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" && len(s) >= 3 {
		// A name cut short: port-unreach for port-unreachable.
		for _, c := range candidates {
			if strings.HasPrefix(strings.ToLower(c), strings.ToLower(s)) && (best == "" || len(c) < len(best)) {
				best = c
			}
		}
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and swaps of neighbours.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
