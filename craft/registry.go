package craft

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/gopacket/gopacket"
)

// A layerDef describes one layer of the expression language.
type layerDef struct {
	name    string
	summary string
	fields  []*fieldDef
	// new returns the layer with every static default set.
	new func() gopacket.SerializableLayer
	// carries lists the layers that may follow this one.
	carries []string
	// check validates a parsed layer as a whole (fields that go together).
	check func(c *parseCtx) error
}

// A fieldDef describes one field of a layer: how to parse, set, read back
// and print it, and what its default is.
type fieldDef struct {
	name    string
	aliases []string
	typ     string // what the field takes, as "rawsock layers" prints it
	dflt    string // its default, as "rawsock layers" prints it
	help    string
	// keep is the computed field that a value given by the user overrides.
	keep Keep
	// dynamic says Expr always writes the field out: its default depends on
	// the packet or the host (random, time, route), or it says too much
	// about the packet to leave out (a type, TCP flags).
	dynamic bool
	// expands says brackets give one packet per value; for list-valued
	// fields they are the value itself.
	expands bool
	// maxN is the largest value of a number field.
	maxN uint64
	// parse reads one value (not a list of alternatives) into items.
	parse func(n *node, c *parseCtx) ([]item, error)
	set   func(l any, v *value)
	get   func(l any) value
	// show writes v in the expression syntax; l is the layer it is in.
	show func(v value, l any) string
	// auto fills the field when the user did not set it and its default
	// depends on the packet: it runs for every packet built.
	auto func(c *fillCtx)
	// applies reports whether the field is part of the layer as it stands
	// (ICMP fields that depend on the type); nil means always.
	applies func(l any) bool
}

func (f *fieldDef) withDefault(d string) *fieldDef      { f.dflt = d; return f }
func (f *fieldDef) withHelp(h string) *fieldDef         { f.help = h; return f }
func (f *fieldDef) keeps(k Keep) *fieldDef              { f.keep = k; return f }
func (f *fieldDef) withAuto(a func(*fillCtx)) *fieldDef { f.auto = a; return f }
func (f *fieldDef) only(a func(l any) bool) *fieldDef   { f.applies = a; return f }
func (f *fieldDef) alias(names ...string) *fieldDef     { f.aliases = names; return f }

// random marks a field whose default is drawn at random for each packet.
func (f *fieldDef) random(a func(*fillCtx)) *fieldDef {
	f.auto, f.dynamic = a, true
	return f
}

// hex makes a number print in hexadecimal (checksums, tos).
func (f *fieldDef) hex() *fieldDef {
	f.show = func(v value, _ any) string { return "0x" + strconv.FormatUint(v.n, 16) }
	return f
}

// named lets a number be written by name, the names depending on the
// layer being parsed (ICMP codes depend on the type) when tableFor is set.
func (f *fieldDef) named(t nameTable, tableFor func(l any) nameTable) *fieldDef {
	max := f.maxN
	f.typ = "name or " + f.typ
	if f.help == "" && t != nil {
		f.help = strings.Join(t.names(), ", ")
	}
	f.parse = func(n *node, c *parseCtx) ([]item, error) {
		tab := t
		if tableFor != nil {
			tab = nil
			for _, l := range c.scratch() {
				tab = append(tab, tableFor(l)...)
			}
		}
		return numItems(n, c.where(f.name), max, tab)
	}
	f.show = func(v value, l any) string {
		tab := t
		if tableFor != nil {
			tab = tableFor(l)
		}
		if s, ok := tab.name(v.n); ok {
			return s
		}
		return strconv.FormatUint(v.n, 10)
	}
	return f
}

// numField is an unsigned field of bits bits held in the layer at acc.
func numField[T uint8 | uint16 | uint32](name string, bits int, acc func(l any) *T) *fieldDef {
	max := uint64(1)<<bits - 1
	f := &fieldDef{name: name, typ: fmt.Sprintf("0-%d", max), expands: true, maxN: max}
	f.parse = func(n *node, c *parseCtx) ([]item, error) { return numItems(n, c.where(name), max, nil) }
	f.set = func(l any, v *value) { *acc(l) = T(v.n) }
	f.get = func(l any) value { return value{n: uint64(*acc(l))} }
	f.show = func(v value, _ any) string { return strconv.FormatUint(v.n, 10) }
	return f
}

// addrField is an address field held in the layer at acc.
func addrField(name string, v6 bool, acc func(l any) *netip.Addr) *fieldDef {
	f := &fieldDef{name: name, typ: "IPv4 address, range or /prefix", expands: true}
	if v6 {
		f.typ = "IPv6 address"
	}
	f.parse = func(n *node, c *parseCtx) ([]item, error) { return addrItems(n, c.where(name), v6) }
	f.set = func(l any, v *value) { *acc(l) = v.a }
	f.get = func(l any) value {
		a := *acc(l)
		switch {
		case a.IsValid():
		case v6:
			a = netip.IPv6Unspecified()
		default:
			a = netip.IPv4Unspecified()
		}
		return value{a: a}
	}
	f.show = func(v value, _ any) string { return showAddr(v.a, v6) }
	return f
}

func showAddr(a netip.Addr, v6 bool) string {
	switch {
	case !a.IsValid() && v6:
		return "::"
	case !a.IsValid():
		return "0.0.0.0"
	}
	return a.String()
}

// macField is a MAC address field held in the layer at acc.
func macField(name string, acc func(l any) *[6]byte) *fieldDef {
	f := &fieldDef{name: name, typ: "MAC address", expands: true}
	f.parse = func(n *node, c *parseCtx) ([]item, error) {
		v, err := macValue(n, c.where(name))
		return []item{{v: v, count: 1}}, err
	}
	f.set = func(l any, v *value) {
		m := acc(l)
		for i := range m {
			m[i] = byte(v.n >> (8 * (5 - i)))
		}
	}
	f.get = func(l any) value {
		var n uint64
		for _, b := range acc(l) {
			n = n<<8 | uint64(b)
		}
		return value{n: n}
	}
	f.show = func(v value, _ any) string {
		var m [6]byte
		for i := range m {
			m[i] = byte(v.n >> (8 * (5 - i)))
		}
		return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5])
	}
	return f
}

// bytesField is a byte-string field held in the layer at acc.
func bytesField(name string, acc func(l any) *[]byte) *fieldDef {
	f := &fieldDef{name: name, typ: `"string", hex:… or @file`, expands: true}
	f.parse = func(n *node, c *parseCtx) ([]item, error) {
		v, err := bytesValue(n, c.where(name))
		return []item{{v: v, count: 1}}, err
	}
	f.set = func(l any, v *value) { *acc(l) = v.b }
	f.get = func(l any) value { return value{b: *acc(l)} }
	f.show = func(v value, _ any) string { return showBytes(v.b) }
	return f
}

// showBytes writes b as a quoted string when it is printable text, and as
// hex:… otherwise.
func showBytes(b []byte) string {
	if len(b) == 0 {
		return `""`
	}
	for _, c := range b {
		if (c < 0x20 || c > 0x7e) && c != '\n' && c != '\r' && c != '\t' {
			return fmt.Sprintf("hex:%x", b)
		}
	}
	return strconv.Quote(string(b))
}

// addrListField is a list of IPv4 addresses held in the layer at acc (the
// brackets are the value).
func addrListField(name string, acc func(l any) *[]netip.Addr) *fieldDef {
	f := &fieldDef{name: name, typ: "[IPv4 address, …]", dflt: "[]"}
	f.parse = func(n *node, c *parseCtx) ([]item, error) {
		var v value
		for _, e := range listOf(n) {
			its, err := addrItems(e, c.where(name), false)
			if err != nil {
				return nil, err
			}
			if its[0].count != 1 {
				return nil, errAt(e.col, "%s takes single addresses, not ranges", c.where(name))
			}
			v.addrs = append(v.addrs, its[0].v.a)
		}
		return []item{{v: v, count: 1}}, nil
	}
	f.set = func(l any, v *value) { *acc(l) = v.addrs }
	f.get = func(l any) value { return value{addrs: *acc(l)} }
	f.show = func(v value, _ any) string { return showAddrs(v.addrs) }
	return f
}

func showAddrs(as []netip.Addr) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = showAddr(a, false)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// parseCtx is what a field parser sees: the layer being parsed and the
// fields already read, in the order the layer defines them.
type parseCtx struct {
	def   *layerDef
	layer *tlayer
}

func (c *parseCtx) where(field string) where { return where{field: field, layer: c.def.name} }

// scratch returns one instance of the layer per value of the fields parsed
// so far, for parsers whose meaning depends on them (ICMP codes on the
// type); with no such field it returns the layer with its defaults.
func (c *parseCtx) scratch() []any {
	var out []any
	var typ *tfield
	for _, f := range c.layer.fields {
		if f.def.name == "type" {
			typ = f
		}
	}
	if typ == nil {
		return []any{c.def.new()}
	}
	for i := range typ.items {
		it := &typ.items[i]
		for k := uint64(0); k < it.count && k < 256; k++ {
			l := c.def.new()
			var v value
			it.at(k, &v)
			typ.def.set(l, &v)
			out = append(out, l)
		}
	}
	return out
}

// fillCtx is what an auto default sees while a packet is built.
type fillCtx struct {
	b          *Builder
	i          int
	l          any
	prev, next gopacket.SerializableLayer
}
