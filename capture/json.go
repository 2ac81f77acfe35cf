package capture

import (
	"io"
	"net/netip"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/gopacket/gopacket"
)

// A JSONPrinter writes one JSON object per packet, one per line, with
// every decoded field (the schema is in docs/json.md) and tcpdump's
// one-line summary.
type JSONPrinter struct {
	w         io.Writer
	b         []byte
	line      *Printer
	depth     int  // 0 between layers, 1 in a layer, 2 in a list item
	pending   bool // a list is open: the next field belongs to an item
	comma     bool // a layer was written
	listItems int
}

// NewJSONPrinter returns a JSONPrinter writing to w; opt shapes the
// "summary" field as it would the line of a Printer.
func NewJSONPrinter(w io.Writer, opt *PrintOptions) *JSONPrinter {
	o := PrintOptions{}
	if opt != nil {
		o = *opt
	}
	o.Hex, o.Time = HexNone, TimeNone
	return &JSONPrinter{w: w, line: NewPrinter(io.Discard, &o)}
}

// Print writes the object for one decoded frame; ifname names its
// interface when known.
func (j *JSONPrinter) Print(ci gopacket.CaptureInfo, d *Decoder, data []byte, ifname string) error {
	j.b = j.b[:0]
	j.b = append(j.b, `{"time":"`...)
	j.b = ci.Timestamp.UTC().AppendFormat(j.b, time.RFC3339Nano)
	j.b = append(j.b, `","interface":`...)
	j.b = strconv.AppendInt(j.b, int64(ci.InterfaceIndex), 10)
	if ifname != "" {
		j.b = append(j.b, `,"interface_name":`...)
		j.b = appendJSONString(j.b, ifname)
	}
	j.b = append(j.b, `,"link_type":`...)
	j.b = appendJSONString(j.b, LinkTypeName(d.LinkType))
	j.b = append(j.b, `,"caplen":`...)
	j.b = strconv.AppendInt(j.b, int64(len(data)), 10)
	j.b = append(j.b, `,"length":`...)
	j.b = strconv.AppendInt(j.b, int64(max(ci.Length, len(data))), 10)
	j.b = append(j.b, `,"layers":[`...)
	j.depth, j.comma, j.pending = 0, false, false
	describe(d, j)
	j.closeLayer()
	j.b = append(j.b, `],"truncated":`...)
	j.b = strconv.AppendBool(j.b, d.Truncated)
	if d.Err != nil {
		j.b = append(j.b, `,"error":`...)
		j.b = appendJSONString(j.b, d.Err.Error())
	}
	j.line.b = j.line.b[:0]
	j.line.frameLen = max(ci.Length, len(data))
	j.line.frame(d, data, j.line.frameLen)
	j.b = append(j.b, `,"summary":`...)
	j.b = appendJSONString(j.b, string(j.line.b))
	j.b = append(j.b, "}\n"...)
	_, err := j.w.Write(j.b)
	return err
}

func (j *JSONPrinter) closeLayer() {
	if j.depth > 0 {
		j.b = append(j.b, '}')
		j.depth = 0
	}
}

func (j *JSONPrinter) layer(name string) {
	if j.depth > 0 {
		j.closeLayer()
	}
	if j.comma {
		j.b = append(j.b, ',')
	}
	j.comma = true
	j.b = append(j.b, `{"layer":`...)
	j.b = appendJSONString(j.b, name)
	j.depth = 1
}

func (j *JSONPrinter) key(k string) {
	j.b = append(j.b, ',', '"')
	j.b = append(j.b, k...)
	j.b = append(j.b, '"', ':')
}

// field starts a key inside the current item of an open list, or the layer.
func (j *JSONPrinter) field(k string) {
	if j.depth == 2 && j.pending {
		j.b = append(j.b, '"')
		j.b = append(j.b, k...)
		j.b = append(j.b, '"', ':')
		j.pending = false
		return
	}
	j.key(k)
}

func (j *JSONPrinter) str(k, v string) { j.field(k); j.b = appendJSONString(j.b, v) }

func (j *JSONPrinter) num(k string, v uint64) { j.field(k); j.b = strconv.AppendUint(j.b, v, 10) }

func (j *JSONPrinter) flag(k string, v bool) { j.field(k); j.b = strconv.AppendBool(j.b, v) }

func (j *JSONPrinter) bytes(k string, b []byte) {
	j.field(k)
	j.b = append(j.b, '"')
	for _, c := range b {
		j.b = append(j.b, hexDigits[c>>4], hexDigits[c&0xf])
	}
	j.b = append(j.b, '"')
}

func (j *JSONPrinter) addr(k string, a netip.Addr) {
	j.field(k)
	j.b = append(j.b, '"')
	j.b = a.AppendTo(j.b)
	j.b = append(j.b, '"')
}

func (j *JSONPrinter) strs(k string, v []string) {
	j.field(k)
	j.b = append(j.b, '[')
	for i, s := range v {
		if i > 0 {
			j.b = append(j.b, ',')
		}
		j.b = appendJSONString(j.b, s)
	}
	j.b = append(j.b, ']')
}

func (j *JSONPrinter) list(k string) {
	j.field(k)
	j.b = append(j.b, '[')
	j.depth = 2
	j.pending = false
	j.listItems = 0
}

func (j *JSONPrinter) item() {
	if j.listItems > 0 {
		j.b = append(j.b, '}', ',')
	}
	j.listItems++
	j.b = append(j.b, '{')
	j.pending = true
}

func (j *JSONPrinter) end() {
	if j.listItems > 0 {
		j.b = append(j.b, '}')
	}
	j.b = append(j.b, ']')
	j.depth = 1
	j.pending = false
	j.listItems = 0
}

// appendJSONString appends s as a JSON string; bytes that are not UTF-8
// become U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		b = utf8.AppendRune(b, r)
		i += n
	}
	return append(b, '"')
}
