package craft

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
)

// A value is one parsed field value. Which part is used depends on the
// field: n for numbers, names, flags and MAC addresses, a for addresses, b
// for bytes and encoded options, addrs and recs for list-valued fields.
type value struct {
	n     uint64
	a     netip.Addr
	b     []byte
	addrs []netip.Addr
	recs  []IGMPRecord
}

// An item is one element of a field's values: a value, or a range of count
// values starting at it (numbers and IPv4 addresses), kept as a range so
// that sport=1-65535 costs nothing until it is iterated.
type item struct {
	v     value
	count uint64 // 1 for a single value
}

// at returns the k-th value of the item.
func (it *item) at(k uint64, out *value) {
	*out = it.v
	if k == 0 {
		return
	}
	if it.v.a.Is4() {
		b := it.v.a.As4()
		binary.BigEndian.PutUint32(b[:], binary.BigEndian.Uint32(b[:])+uint32(k))
		out.a = netip.AddrFrom4(b)
		return
	}
	out.n = it.v.n + k
}

// A nameTable maps names to numbers; the first name of a number is the one
// Expr and "rawsock layers" print.
type nameTable []struct {
	name string
	n    uint64
}

func (t nameTable) lookup(s string) (uint64, bool) {
	for _, e := range t {
		if strings.EqualFold(e.name, s) {
			return e.n, true
		}
	}
	return 0, false
}

func (t nameTable) name(n uint64) (string, bool) {
	for _, e := range t {
		if e.n == n {
			return e.name, true
		}
	}
	return "", false
}

func (t nameTable) names() []string {
	out := make([]string, len(t))
	for i, e := range t {
		out[i] = e.name
	}
	return out
}

// where names a field for messages: "ttl in ip()".
type where struct {
	field, layer string
}

// String is "field in layer()".
func (w where) String() string { return w.field + " in " + w.layer + "()" }

// parseUint reads a decimal or 0x-prefixed hexadecimal number.
func parseUint(s string) (uint64, bool) {
	if len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X") {
		v, err := strconv.ParseUint(s[2:], 16, 64)
		return v, err == nil
	}
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, false
	}
	v, err := strconv.ParseUint(s, 10, 64)
	return v, err == nil
}

// numItems reads a number, a name from names, or a range a-b of numbers,
// each at most max.
func numItems(n *node, w where, max uint64, names nameTable) ([]item, error) {
	if n.kind != nodeWord {
		return nil, errAt(n.col, "%s takes a number, not %s", w, n)
	}
	s := n.text
	if v, ok := names.lookup(s); ok {
		return []item{{v: value{n: v}, count: 1}}, nil
	}
	if v, ok := parseUint(s); ok {
		if v > max {
			return nil, errAt(n.col, "%s=%s in %s() is out of range 0-%d", w.field, s, w.layer, max)
		}
		return []item{{v: value{n: v}, count: 1}}, nil
	}
	if i := strings.IndexByte(s[1:], '-') + 1; i > 0 {
		lo, ok1 := parseUint(s[:i])
		hi, ok2 := parseUint(s[i+1:])
		if ok1 && ok2 {
			switch {
			case hi > max:
				return nil, errAt(n.col, "%s=%s in %s() is out of range 0-%d", w.field, s, w.layer, max)
			case lo > hi:
				return nil, errAt(n.col, "range %s for %s runs backwards: write %d-%d", s, w, hi, lo)
			}
			return []item{{v: value{n: lo}, count: hi - lo + 1}}, nil
		}
	}
	e := errAt(n.col, "bad value %q for %s: want a number 0-%d", s, w, max)
	if len(names) > 0 {
		e.Msg = fmt.Sprintf("unknown value %q for %s", s, w)
		if g := suggest(s, names.names()); g != "" {
			e.Hint = fmt.Sprintf("did you mean %q?", g)
		} else {
			e.Hint = "run 'rawsock layers " + w.layer + "' for the names"
		}
	}
	return nil, e
}

// addrItems reads an IPv4 address, a range of them (198.51.100.1-9 or
// 198.51.100.1-198.51.100.9) or a prefix (198.51.100.0/30); or, when v6,
// one IPv6 address.
func addrItems(n *node, w where, v6 bool) ([]item, error) {
	if n.kind != nodeWord {
		return nil, errAt(n.col, "%s takes an address, not %s", w, n)
	}
	s := n.text
	family := "IPv4"
	if v6 {
		family = "IPv6"
	}
	if a, err := netip.ParseAddr(s); err == nil {
		if a.Is4() == v6 || a.Zone() != "" {
			return nil, errAt(n.col, "%s takes an %s address, not %s", w, family, s)
		}
		return []item{{v: value{a: a}, count: 1}}, nil
	}
	if !v6 {
		if p, err := netip.ParsePrefix(s); err == nil && p.Addr().Is4() {
			if p.Bits() < 16 {
				return nil, errAt(n.col, "prefix %s for %s is too big: at most /16 (65536 addresses)", s, w)
			}
			return []item{{v: value{a: p.Masked().Addr()}, count: 1 << (32 - p.Bits())}}, nil
		}
		if i := strings.IndexByte(s, '-'); i > 0 {
			lo, err := netip.ParseAddr(s[:i])
			if err == nil && lo.Is4() {
				l4 := lo.As4()
				hi, err := netip.ParseAddr(s[i+1:])
				if err != nil {
					if last, ok := parseUint(s[i+1:]); ok && last <= 255 {
						hi = netip.AddrFrom4([4]byte{l4[0], l4[1], l4[2], byte(last)})
						err = nil
					}
				}
				if err == nil && hi.Is4() {
					h4 := hi.As4()
					a, b := binary.BigEndian.Uint32(l4[:]), binary.BigEndian.Uint32(h4[:])
					switch {
					case b < a:
						return nil, errAt(n.col, "range %s for %s runs backwards", s, w)
					case b-a >= 1<<16:
						return nil, errAt(n.col, "range %s for %s is too big: at most 65536 addresses", s, w)
					}
					return []item{{v: value{a: lo}, count: uint64(b-a) + 1}}, nil
				}
			}
		}
	}
	return nil, errAt(n.col, "bad %s address %q for %s", family, s, w)
}

// macValue reads a MAC address written with colons or dashes.
func macValue(n *node, w where) (value, error) {
	if n.kind == nodeWord {
		if hw, err := net.ParseMAC(n.text); err == nil && len(hw) == 6 {
			var b [8]byte
			copy(b[2:], hw)
			return value{n: binary.BigEndian.Uint64(b[:])}, nil
		}
	}
	return value{}, errAt(n.col, "bad MAC address %s for %s: write it as 02:00:00:00:00:01", n, w)
}

// bytesValue reads a string, hex:…, @file, or a bare word taken as text.
func bytesValue(n *node, w where) (value, error) {
	switch n.kind {
	case nodeString:
		return value{b: []byte(n.text)}, nil
	case nodeWord:
		s := n.text
		switch {
		case strings.HasPrefix(s, "hex:"):
			b, err := hexBytes(s[4:])
			if err != nil {
				return value{}, errAt(n.col+4, "bad hex for %s: %v", w, err)
			}
			return value{b: b}, nil
		case strings.HasPrefix(s, "@"):
			b, err := readLoad(s[1:])
			if err != nil {
				return value{}, errAt(n.col, "cannot read %s for %s: %v", s[1:], w, err)
			}
			return value{b: b}, nil
		}
		return value{b: []byte(s)}, nil
	}
	return value{}, errAt(n.col, "%s takes a string, hex:… or @file, not %s", w, n)
}

// hexBytes decodes hex digits, allowing ":" "." and "_" between bytes.
func hexBytes(s string) ([]byte, error) {
	s = strings.NewReplacer(":", "", ".", "", "_", "").Replace(s)
	if len(s)%2 == 1 {
		return nil, fmt.Errorf("odd number of hex digits")
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("not a hex digit in %q", s)
	}
	return b, nil
}

// readLoad reads a payload file of at most 65535 bytes, the most an IP
// packet can carry.
func readLoad(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, unwrapPath(err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 0x10000))
	if err != nil {
		return nil, unwrapPath(err)
	}
	if len(b) > 0xffff {
		return nil, fmt.Errorf("more than 65535 bytes")
	}
	return b, nil
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// listOf returns the nodes of a list-valued field: a list's items, or a
// single value as a list of one.
func listOf(n *node) []*node {
	if n.kind == nodeList {
		return n.items
	}
	return []*node{n}
}
