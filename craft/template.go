package craft

import (
	"fmt"
	"math/bits"
	"strings"
)

// A Template is a parsed expression: its layers and the values of the
// fields the user set. It is immutable; make packets from it with
// NewBuilder, as many builders as needed.
type Template struct {
	expr   string
	layers []*tlayer
	count  uint64
}

// tlayer is one layer of a template.
type tlayer struct {
	def    *layerDef
	col    int
	fields []*tfield // in the order the layer defines them
	keep   Keep      // the computed fields the user set
}

// tfield is a field the user set, with its values.
type tfield struct {
	def   *fieldDef
	idx   int // index in def.fields of the layer
	col   int
	items []item
}

func (f *tfield) count() uint64 {
	var n uint64
	for _, it := range f.items {
		n += it.count
	}
	return n
}

// Parse compiles an expression. A mistake is returned as an *Error that
// says where it is.
func Parse(expr string) (*Template, error) {
	nodes, err := parseSyntax(expr)
	if err != nil {
		return nil, err
	}
	t := &Template{expr: expr, count: 1}
	var prev *layerDef
	for _, ln := range nodes {
		def := lookupLayer(ln.name)
		if def == nil {
			e := errAt(ln.col, "unknown layer %q", ln.name)
			if g := suggest(ln.name, layerNames()); g != "" {
				e.Hint = fmt.Sprintf("did you mean %q?", g)
			} else {
				e.Hint = "the layers are " + strings.Join(layerNames(), ", ")
			}
			return nil, e
		}
		switch {
		case prev == nil && def != etherDef && def != ipDef && def != ip6Def:
			e := errAt(ln.col, "an expression starts with ether(), ip() or ip6(), not %s()", def.name)
			e.Hint = fmt.Sprintf("write ip(dst=…)/%s(…)", def.name)
			if def == icmp6Def {
				e.Hint = "write ip6(dst=…)/icmp6(…)"
			}
			return nil, e
		case prev != nil && !contains(prev.carries, def.name):
			e := errAt(ln.col, "cannot carry %s inside %s", def.name, prev.name)
			if len(prev.carries) > 0 {
				e.Hint = fmt.Sprintf("%s carries %s", prev.name, strings.Join(prev.carries, ", "))
			} else {
				e.Hint = prev.name + " carries nothing"
			}
			return nil, e
		}
		l, err := parseLayer(def, ln)
		if err != nil {
			return nil, err
		}
		for _, f := range l.fields {
			hi, lo := bits.Mul64(t.count, f.count())
			if hi != 0 {
				return nil, errAt(f.col, "the expression expands to too many packets: use smaller ranges")
			}
			t.count = lo
		}
		t.layers = append(t.layers, l)
		prev = def
	}
	return t, nil
}

// MustParse is Parse for expressions known to be right; it panics on a
// mistake.
func MustParse(expr string) *Template {
	t, err := Parse(expr)
	if err != nil {
		panic("craft: " + err.Error())
	}
	return t
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func parseLayer(def *layerDef, ln *layerNode) (*tlayer, error) {
	l := &tlayer{def: def, col: ln.col}
	given := map[int]*fieldNode{}
	for _, fn := range ln.fields {
		idx := def.fieldIndex(fn.name)
		if idx < 0 {
			e := errAt(fn.col, "unknown field %q in %s()", fn.name, def.name)
			if g := suggest(fn.name, def.fieldNames()); g != "" {
				e.Hint = fmt.Sprintf("did you mean %q?", g)
			} else {
				e.Hint = fmt.Sprintf("%s has %s", def.name, strings.Join(def.fieldNames(), ", "))
			}
			return nil, e
		}
		if prev, dup := given[idx]; dup {
			return nil, errAt(fn.col, "field %s given twice in %s() (first at column %d)", def.fields[idx].name, def.name, prev.col)
		}
		given[idx] = fn
	}
	c := &parseCtx{def: def, layer: l}
	for idx, fd := range def.fields {
		fn, ok := given[idx]
		if !ok {
			continue
		}
		items, err := parseValues(fd, fn, c)
		if err != nil {
			return nil, err
		}
		l.fields = append(l.fields, &tfield{def: fd, idx: idx, col: fn.col, items: items})
		l.keep |= fd.keep
	}
	if def.check != nil {
		if err := def.check(c); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// parseValues reads a field's value: a list of alternatives (each giving
// its own packets) for an expanding field, or one value.
func parseValues(fd *fieldDef, fn *fieldNode, c *parseCtx) ([]item, error) {
	if !fd.expands || fn.val.kind != nodeList {
		return fd.parse(fn.val, c)
	}
	if len(fn.val.items) == 0 {
		return nil, errAt(fn.val.col, "empty list for %s", c.where(fd.name))
	}
	var out []item
	for _, n := range fn.val.items {
		if n.kind == nodeList {
			return nil, errAt(n.col, "a list inside a list for %s: write one list of values", c.where(fd.name))
		}
		its, err := fd.parse(n, c)
		if err != nil {
			return nil, err
		}
		out = append(out, its...)
	}
	return out, nil
}

func (d *layerDef) fieldIndex(name string) int {
	for i, f := range d.fields {
		if f.name == name || contains(f.aliases, name) {
			return i
		}
	}
	return -1
}

func (d *layerDef) fieldNames() []string {
	out := make([]string, len(d.fields))
	for i, f := range d.fields {
		out[i] = f.name
	}
	return out
}

// String returns the expression the template was parsed from.
func (t *Template) String() string { return t.expr }

// Count is the number of packets the expression expands into: the product
// of the number of values of every range and list.
func (t *Template) Count() uint64 { return t.count }

// First names the outermost layer: "ether", "ip" or "ip6". It decides how
// the packets are sent (AF_PACKET, or a raw IPv4 or IPv6 socket) and the
// link type of a capture file.
func (t *Template) First() string { return t.layers[0].def.name }

// Given lists the fields the expression sets in its layer-th layer
// (counted from 0, outermost first), in the layer's order.
func (t *Template) Given(layer int) []string {
	if layer < 0 || layer >= len(t.layers) {
		return nil
	}
	var out []string
	for _, f := range t.layers[layer].fields {
		out = append(out, f.def.name)
	}
	return out
}
