package capture

import (
	"io"
	"net/netip"
	"strconv"

	"github.com/gopacket/gopacket"
)

// A TreePrinter writes tcpdump's line for each packet and then every field
// of every layer, one per line, indented under its layer: what -V shows.
type TreePrinter struct {
	w      io.Writer
	line   *Printer
	b      []byte
	indent string
	items  int
}

// NewTreePrinter returns a TreePrinter writing to w; opt shapes the line
// above each tree as it would for a Printer.
func NewTreePrinter(w io.Writer, opt *PrintOptions) *TreePrinter {
	return &TreePrinter{w: w, line: NewPrinter(io.Discard, opt)}
}

// Print writes the line and the tree of one decoded frame.
func (t *TreePrinter) Print(ci gopacket.CaptureInfo, d *Decoder, data []byte) error {
	p := t.line
	p.b = p.b[:0]
	p.frameLen = max(ci.Length, len(data))
	p.cut = false
	p.timestamp(ci.Timestamp)
	netOff := p.frame(d, data, p.frameLen)
	t.b = append(t.b[:0], p.b...)
	t.b = append(t.b, "\n  frame: "...)
	t.b = strconv.AppendInt(t.b, int64(len(data)), 10)
	t.b = append(t.b, " of "...)
	t.b = strconv.AppendInt(t.b, int64(p.frameLen), 10)
	t.b = append(t.b, " bytes, link type "...)
	t.b = append(t.b, LinkTypeName(d.LinkType)...)
	t.b = append(t.b, ", interface "...)
	t.b = strconv.AppendInt(t.b, int64(ci.InterfaceIndex), 10)
	describe(d, t)
	if d.Truncated {
		t.b = append(t.b, "\n  (the capture holds less of the packet than its headers say)"...)
	}
	if d.Err != nil {
		t.b = append(t.b, "\n  decoding stopped: "...)
		t.b = append(t.b, d.Err.Error()...)
	}
	p.b = p.b[:0]
	p.dump(data, netOff)
	t.b = append(t.b, p.b...)
	t.b = append(t.b, '\n')
	_, err := t.w.Write(t.b)
	return err
}

func (t *TreePrinter) layer(name string) {
	t.b = append(t.b, "\n  "...)
	t.b = append(t.b, name...)
	t.indent = "\n    "
}

func (t *TreePrinter) key(k string) {
	t.b = append(t.b, t.indent...)
	t.b = append(t.b, k...)
	t.b = append(t.b, ": "...)
}

func (t *TreePrinter) str(k, v string) { t.key(k); t.b = append(t.b, v...) }

func (t *TreePrinter) num(k string, v uint64) { t.key(k); t.b = strconv.AppendUint(t.b, v, 10) }

func (t *TreePrinter) flag(k string, v bool) { t.key(k); t.b = strconv.AppendBool(t.b, v) }

func (t *TreePrinter) bytes(k string, b []byte) {
	t.key(k)
	if len(b) == 0 {
		t.b = append(t.b, "(none)"...)
		return
	}
	for _, c := range b {
		t.b = append(t.b, hexDigits[c>>4], hexDigits[c&0xf])
	}
}

func (t *TreePrinter) addr(k string, a netip.Addr) { t.key(k); t.b = a.AppendTo(t.b) }

func (t *TreePrinter) strs(k string, v []string) {
	t.key(k)
	if len(v) == 0 {
		t.b = append(t.b, "(none)"...)
	}
	for i, s := range v {
		if i > 0 {
			t.b = append(t.b, ' ')
		}
		t.b = append(t.b, s...)
	}
}

func (t *TreePrinter) list(k string) {
	t.b = append(t.b, t.indent...)
	t.b = append(t.b, k...)
	t.b = append(t.b, ':')
	t.items = 0
}

func (t *TreePrinter) item() {
	t.items++
	t.b = append(t.b, "\n      ["...)
	t.b = strconv.AppendInt(t.b, int64(t.items-1), 10)
	t.b = append(t.b, ']')
	t.indent = "\n        "
}

func (t *TreePrinter) end() {
	if t.items == 0 {
		t.b = append(t.b, " (none)"...)
	}
	t.indent = "\n    "
}
