package craft

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// An optSyntax is one option name of ip() or tcp() options: how many
// numeric or address arguments it takes and how it encodes them.
type optSyntax struct {
	name string
	args string // "", "n" one number, "n?" an optional number, "nn" two, "n*" any even count, "a*" addresses
	max  uint64
	enc  func(nums []uint64, addrs []netip.Addr) []byte
}

var ipOptSyntax = []optSyntax{
	{name: "nop", enc: func([]uint64, []netip.Addr) []byte { return IPOptNOP() }},
	{name: "eol", enc: func([]uint64, []netip.Addr) []byte { return IPOptEOL() }},
	{name: "ra", args: "n?", max: 0xffff, enc: func(n []uint64, _ []netip.Addr) []byte {
		b := IPOptRouterAlert()
		if len(n) > 0 {
			binary.BigEndian.PutUint16(b[2:], uint16(n[0]))
		}
		return b
	}},
	{name: "rr", args: "n?", max: 9, enc: func(n []uint64, _ []netip.Addr) []byte { return IPOptRecordRoute(int(first(n, 9))) }},
	{name: "ts", args: "n?", max: 9, enc: func(n []uint64, _ []netip.Addr) []byte { return IPOptTimestamp(int(first(n, 9))) }},
	{name: "lsrr", args: "a*", enc: func(_ []uint64, a []netip.Addr) []byte { return IPOptLSRR(a...) }},
	{name: "ssrr", args: "a*", enc: func(_ []uint64, a []netip.Addr) []byte { return IPOptSSRR(a...) }},
}

var tcpOptSyntax = []optSyntax{
	{name: "nop", enc: func([]uint64, []netip.Addr) []byte { return TCPOptNOP() }},
	{name: "eol", enc: func([]uint64, []netip.Addr) []byte { return TCPOptEOL() }},
	{name: "mss", args: "n", max: 0xffff, enc: func(n []uint64, _ []netip.Addr) []byte { return TCPOptMSS(uint16(n[0])) }},
	{name: "wscale", args: "n", max: 0xff, enc: func(n []uint64, _ []netip.Addr) []byte { return TCPOptWScale(uint8(n[0])) }},
	{name: "sackok", enc: func([]uint64, []netip.Addr) []byte { return TCPOptSAckOK() }},
	{name: "ts", args: "nn", max: 0xffffffff, enc: func(n []uint64, _ []netip.Addr) []byte {
		return TCPOptTimestamp(uint32(n[0]), uint32(n[1]))
	}},
	{name: "sack", args: "n*", max: 0xffffffff, enc: func(n []uint64, _ []netip.Addr) []byte {
		e := make([]uint32, len(n))
		for i, v := range n {
			e[i] = uint32(v)
		}
		return TCPOptSAck(e...)
	}},
}

func first(n []uint64, d uint64) uint64 {
	if len(n) > 0 {
		return n[0]
	}
	return d
}

func optNames(syn []optSyntax) []string {
	out := make([]string, len(syn))
	for i, s := range syn {
		out[i] = s.name
	}
	return append(out, "hex:…")
}

func ipOptionsField() *fieldDef {
	return optionsField("options", ipOptSyntax, "[option, …]",
		func(l any) *[]byte { return &l.(*IPv4).Options }, showIPOptions).
		withHelp("nop, eol, ra, rr, rr(n), ts, ts(n), lsrr(addr, …), ssrr(addr, …), hex:…")
}

func tcpOptionsField() *fieldDef {
	return optionsField("options", tcpOptSyntax, "[option, …]",
		func(l any) *[]byte { return &l.(*TCP).Options }, showTCPOptions).
		withHelp("mss(n), sackok, ts(val, ecr), nop, wscale(n), sack(left, right, …), eol, hex:…")
}

// optionsField is an options list encoded into bytes; the brackets are the
// value. At most 40 bytes fit in an IPv4 or TCP header.
func optionsField(name string, syn []optSyntax, typ string, acc func(l any) *[]byte, show func([]byte) string) *fieldDef {
	f := &fieldDef{name: name, typ: typ}
	f.parse = func(n *node, c *parseCtx) ([]item, error) {
		w := c.where(name)
		var b []byte
		for _, e := range listOf(n) {
			o, err := parseOption(e, w, syn)
			if err != nil {
				return nil, err
			}
			b = append(b, o...)
		}
		if len(b) > 40 {
			return nil, errAt(n.col, "%s take %d bytes, more than the 40 a header has room for", w, len(b))
		}
		return []item{{v: value{b: b}, count: 1}}, nil
	}
	f.set = func(l any, v *value) { *acc(l) = v.b }
	f.get = func(l any) value { return value{b: *acc(l)} }
	f.show = func(v value, _ any) string { return show(v.b) }
	return f
}

func parseOption(n *node, w where, syn []optSyntax) ([]byte, error) {
	name := n.text
	if n.kind == nodeWord && strings.HasPrefix(name, "hex:") {
		b, err := hexBytes(name[4:])
		if err != nil {
			return nil, errAt(n.col+4, "bad hex in %s: %v", w, err)
		}
		return b, nil
	}
	if n.kind != nodeWord && n.kind != nodeCall {
		return nil, errAt(n.col, "%s takes option names such as %s, not %s", w, optNames(syn)[0], n)
	}
	var s *optSyntax
	for i := range syn {
		if strings.EqualFold(syn[i].name, name) {
			s = &syn[i]
		}
	}
	if s == nil {
		e := errAt(n.col, "unknown option %q in %s", name, w)
		if g := suggest(name, optNames(syn)); g != "" {
			e.Hint = fmt.Sprintf("did you mean %q?", g)
		} else {
			e.Hint = "the options are " + strings.Join(optNames(syn), ", ")
		}
		return nil, e
	}
	var nums []uint64
	var addrs []netip.Addr
	for _, a := range n.items {
		if s.args == "a*" {
			its, err := addrItems(a, where{field: name + "()", layer: w.layer}, false)
			if err != nil {
				return nil, err
			}
			if its[0].count != 1 {
				return nil, errAt(a.col, "%s() takes single addresses, not ranges", name)
			}
			addrs = append(addrs, its[0].v.a)
			continue
		}
		if a.kind != nodeWord {
			return nil, errAt(a.col, "%s() takes numbers, not %s", name, a)
		}
		v, ok := parseUint(a.text)
		if !ok {
			return nil, errAt(a.col, "bad number %q in %s()", a.text, name)
		}
		if v > s.max {
			return nil, errAt(a.col, "%s in %s() is out of range 0-%d", a.text, name, s.max)
		}
		nums = append(nums, v)
	}
	k := len(n.items)
	var bad string
	switch s.args {
	case "":
		if n.kind == nodeCall {
			bad = "takes no arguments: write " + name
		}
	case "n":
		if k != 1 {
			bad = "takes one number: write " + name + "(n)"
		}
	case "n?":
		if k > 1 {
			bad = "takes at most one number"
		}
	case "nn":
		if k != 2 {
			bad = "takes two numbers"
		}
	case "n*":
		if k == 0 || k%2 == 1 || k > 8 {
			bad = "takes pairs of left and right edges, at most four"
		}
	case "a*":
		if k == 0 || k > 9 {
			bad = "takes one to nine addresses"
		}
	}
	if bad != "" {
		return nil, errAt(n.col, "%s() in %s %s", name, w, bad)
	}
	return s.enc(nums, addrs), nil
}

// splitOptions cuts encoded options into single options, treating EOL and
// NOP as one byte; ok is false when a length runs past the end.
func splitOptions(b []byte) (opts [][]byte, ok bool) {
	for len(b) > 0 {
		if b[0] == 0 || b[0] == 1 {
			opts = append(opts, b[:1])
			b = b[1:]
			continue
		}
		if len(b) < 2 || b[1] < 2 || int(b[1]) > len(b) {
			return nil, false
		}
		opts = append(opts, b[:b[1]])
		b = b[b[1]:]
	}
	return opts, true
}

// showOptions writes options in the expression syntax, each through name,
// falling back to hex:… for the whole list when the names would not
// rebuild the same bytes.
func showOptions(b []byte, syn []optSyntax, name func(o []byte) string) string {
	if len(b) == 0 {
		return "[]"
	}
	opts, ok := splitOptions(b)
	// Zeros at the end that only pad to a multiple of 4 come back by
	// themselves.
	n := len(b)
	for ok && len(opts) > 0 && len(opts[len(opts)-1]) == 1 && opts[len(opts)-1][0] == 0 && (n-1+3)&^3 == (len(b)+3)&^3 {
		opts = opts[:len(opts)-1]
		n--
	}
	if ok {
		var parts []string
		for _, o := range opts {
			parts = append(parts, name(o))
		}
		s := "[" + strings.Join(parts, ", ") + "]"
		if rebuilt, err := reparseOptions(s, syn); err == nil && bytes.Equal(padded(rebuilt), padded(b)) && len(padded(rebuilt)) == len(padded(b)) {
			return s
		}
	}
	return fmt.Sprintf("[hex:%x]", b)
}

func padded(b []byte) []byte {
	n := (len(b) + 3) &^ 3
	out := make([]byte, n)
	copy(out, b)
	return out
}

func reparseOptions(s string, syn []optSyntax) ([]byte, error) {
	p := &parser{lex: lexer{src: s, col: 1, depth: 1}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	n, err := p.value()
	if err != nil {
		return nil, err
	}
	var b []byte
	for _, e := range listOf(n) {
		o, err := parseOption(e, where{"options", "expr"}, syn)
		if err != nil {
			return nil, err
		}
		b = append(b, o...)
	}
	return b, nil
}

func showIPOptions(b []byte) string {
	return showOptions(b, ipOptSyntax, func(o []byte) string {
		switch o[0] {
		case ipOptNOP:
			return "nop"
		case ipOptEOL:
			return "eol"
		case ipOptRA:
			if len(o) == 4 {
				if v := binary.BigEndian.Uint16(o[2:]); v != 0 {
					return fmt.Sprintf("ra(%d)", v)
				}
				return "ra"
			}
		case ipOptRR:
			if len(o) >= 3 && (len(o)-3)%4 == 0 && o[2] == 4 && allZero(o[3:]) && len(o) > 3 {
				return fmt.Sprintf("rr(%d)", (len(o)-3)/4)
			}
		case ipOptTS:
			if len(o) >= 4 && (len(o)-4)%4 == 0 && o[2] == 5 && allZero(o[3:]) && len(o) > 4 {
				return fmt.Sprintf("ts(%d)", (len(o)-4)/4)
			}
		case ipOptLSRR, ipOptSSRR:
			if len(o) >= 7 && (len(o)-3)%4 == 0 && o[2] == 4 {
				var as []string
				for i := 3; i < len(o); i += 4 {
					as = append(as, netip.AddrFrom4([4]byte(o[i:i+4])).String())
				}
				n := "lsrr"
				if o[0] == ipOptSSRR {
					n = "ssrr"
				}
				return n + "(" + strings.Join(as, ", ") + ")"
			}
		}
		return fmt.Sprintf("hex:%x", o)
	})
}

func showTCPOptions(b []byte) string {
	return showOptions(b, tcpOptSyntax, func(o []byte) string {
		switch {
		case o[0] == tcpOptNOP:
			return "nop"
		case o[0] == tcpOptEOL:
			return "eol"
		case o[0] == tcpOptMSS && len(o) == 4:
			return fmt.Sprintf("mss(%d)", binary.BigEndian.Uint16(o[2:]))
		case o[0] == tcpOptWScale && len(o) == 3:
			return fmt.Sprintf("wscale(%d)", o[2])
		case o[0] == tcpOptSAckOK && len(o) == 2:
			return "sackok"
		case o[0] == tcpOptTS && len(o) == 10:
			return fmt.Sprintf("ts(%d, %d)", binary.BigEndian.Uint32(o[2:]), binary.BigEndian.Uint32(o[6:]))
		case o[0] == tcpOptSAck && len(o) >= 10 && (len(o)-2)%8 == 0:
			var e []string
			for i := 2; i < len(o); i += 4 {
				e = append(e, strconv.FormatUint(uint64(binary.BigEndian.Uint32(o[i:])), 10))
			}
			return "sack(" + strings.Join(e, ", ") + ")"
		}
		return fmt.Sprintf("hex:%x", o)
	})
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// IGMPv3 group record types (RFC 3376 section 4.2.12).
var recordTypeNames = nameTable{
	{"mode-is-include", 1}, {"mode-is-exclude", 2}, {"change-to-include", 3},
	{"change-to-exclude", 4}, {"allow-new-sources", 5}, {"block-old-sources", 6},
}

// recordsField is the group records of an IGMPv3 report, written
// [{rtype=4, maddr=239.1.2.3}, {rtype=1, maddr=…, srcaddrs=[…]}].
func recordsField() *fieldDef {
	f := &fieldDef{name: "records", typ: "[{record}, …]", dflt: "[]"}
	f.parse = func(n *node, c *parseCtx) ([]item, error) {
		var v value
		for _, e := range listOf(n) {
			if e.kind != nodeRecord {
				return nil, errAt(e.col, "records in igmp() are written {rtype=…, maddr=…}, not %s", e)
			}
			r, err := parseRecord(e)
			if err != nil {
				return nil, err
			}
			v.recs = append(v.recs, r)
		}
		return []item{{v: v, count: 1}}, nil
	}
	f.set = func(l any, v *value) { l.(*IGMP).Records = v.recs }
	f.get = func(l any) value { return value{recs: l.(*IGMP).Records} }
	f.show = func(v value, _ any) string { return showRecords(v.recs) }
	return f
}

var recordFields = []string{"rtype", "auxdlen", "numsrc", "maddr", "srcaddrs", "auxdata"}

func parseRecord(n *node) (IGMPRecord, error) {
	r := IGMPRecord{Type: 1}
	seen := map[string]bool{}
	for _, f := range n.fields {
		w := where{field: f.name, layer: "igmp"}
		if seen[f.name] {
			return r, errAt(f.col, "field %s given twice in a group record", f.name)
		}
		seen[f.name] = true
		var its []item
		var err error
		switch f.name {
		case "rtype":
			its, err = numItems(f.val, w, 255, recordTypeNames)
			if err == nil {
				r.Type = uint8(its[0].v.n)
			}
		case "auxdlen":
			its, err = numItems(f.val, w, 255, nil)
			if err == nil {
				r.AuxDataLen, r.Keep = uint8(its[0].v.n), r.Keep|KeepLength
			}
		case "numsrc":
			its, err = numItems(f.val, w, 0xffff, nil)
			if err == nil {
				r.NumSources, r.Keep = uint16(its[0].v.n), r.Keep|KeepCount
			}
		case "maddr":
			its, err = addrItems(f.val, w, false)
			if err == nil {
				r.Multicast = its[0].v.a
			}
		case "srcaddrs":
			for _, e := range listOf(f.val) {
				its, err = addrItems(e, w, false)
				if err != nil {
					break
				}
				if its[0].count != 1 {
					return r, errAt(e.col, "srcaddrs in a group record takes single addresses, not ranges")
				}
				r.Sources = append(r.Sources, its[0].v.a)
			}
			its = []item{{count: 1}}
		case "auxdata":
			var v value
			v, err = bytesValue(f.val, w)
			r.AuxData = v.b
			its = []item{{count: 1}}
		default:
			e := errAt(f.col, "unknown field %q in an igmp group record", f.name)
			if g := suggest(f.name, recordFields); g != "" {
				e.Hint = fmt.Sprintf("did you mean %q?", g)
			} else {
				e.Hint = "a record has " + strings.Join(recordFields, ", ")
			}
			return r, e
		}
		if err != nil {
			return r, err
		}
		if len(its) > 0 && its[0].count != 1 {
			return r, errAt(f.val.col, "a group record takes single values, not ranges")
		}
	}
	return r, nil
}

func showRecords(rs []IGMPRecord) string {
	var parts []string
	for _, r := range rs {
		t, ok := recordTypeNames.name(uint64(r.Type))
		if !ok {
			t = strconv.Itoa(int(r.Type))
		}
		s := "{rtype=" + t
		if r.Keep&KeepLength != 0 && int(r.AuxDataLen) != (len(r.AuxData)+3)/4 {
			s += fmt.Sprintf(", auxdlen=%d", r.AuxDataLen)
		}
		if r.Keep&KeepCount != 0 && int(r.NumSources) != len(r.Sources) {
			s += fmt.Sprintf(", numsrc=%d", r.NumSources)
		}
		s += ", maddr=" + showAddr(r.Multicast, false)
		if len(r.Sources) > 0 {
			s += ", srcaddrs=" + showAddrs(r.Sources)
		}
		if len(r.AuxData) > 0 {
			s += fmt.Sprintf(", auxdata=hex:%x", r.AuxData)
		}
		parts = append(parts, s+"}")
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
