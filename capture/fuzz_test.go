package capture

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/rawsock/rawsock/craft"
)

// seedFiles are the sample and malformed captures, cut to a size the
// fuzzer handles well.
func seedFiles(f *testing.F) [][]byte {
	files, _ := filepath.Glob(filepath.Join(pcapsDir, "*.pcap*"))
	bad, _ := filepath.Glob(filepath.Join(pcapsDir, "malformed", "*.pcap*"))
	var out [][]byte
	for _, name := range append(files, bad...) {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b[:min(len(b), 4096)])
	}
	return out
}

// FuzzReader: no input makes the reader panic, loop or read past its
// stream, and every packet it returns prints with every printer.
func FuzzReader(f *testing.F) {
	for _, b := range seedFiles(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := NewReader(bytes.NewReader(b))
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *FileError", err)
			}
			return
		}
		d := NewDecoder()
		p := NewPrinter(io.Discard, &PrintOptions{Numeric: true, Verbose: 2, Hex: HexASCIIFrame})
		last := r.Offset()
		for n := 0; ; n++ {
			data, ci, err := r.ReadPacket()
			if err != nil {
				var fe *FileError
				if !errors.Is(err, io.EOF) && !errors.As(err, &fe) {
					t.Fatalf("error %v is neither EOF nor a *FileError", err)
				}
				if fe != nil && (fe.Offset < 0 || fe.Offset > int64(len(b))) {
					t.Fatalf("damage reported at byte %d of a %d-byte stream", fe.Offset, len(b))
				}
				return
			}
			if r.Offset() <= last || r.Offset() > int64(len(b)) {
				t.Fatalf("offset went from %d to %d in a %d-byte stream", last, r.Offset(), len(b))
			}
			last = r.Offset()
			if len(data) != ci.CaptureLength || len(data) == 0 || len(data) > MaxSnaplen {
				t.Fatalf("packet of %d bytes, capture length %d", len(data), ci.CaptureLength)
			}
			d.Decode(r.Interface(ci.InterfaceIndex).LinkType, data)
			p.Print(ci, d, data)
		}
	})
}

// fuzzLinks are the link types the decoder fuzzer chooses from.
var fuzzLinks = []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL, layers.LinkTypeLinuxSLL2,
	layers.LinkTypeNull, layers.LinkTypeLoop, layers.LinkTypeRaw, layers.LinkTypeIPv4, layers.LinkTypeIPv6}

// FuzzDecodePrint: any frame of any link type decodes and prints with
// every printer (text at every level, hex, tree, JSON, layer expression)
// without panicking, and the JSON is valid.
func FuzzDecodePrint(f *testing.F) {
	for _, b := range seedFiles(f) {
		pkts, _ := readStream(bytes.NewReader(b))
		for _, p := range pkts {
			for i, l := range fuzzLinks {
				if l == p.link {
					f.Add(uint8(i), p.data)
				}
			}
		}
	}
	var opts []*PrintOptions
	for v := 0; v <= 3; v++ {
		opts = append(opts, &PrintOptions{Numeric: true, Verbose: v, LinkHeader: v%2 == 1, Hex: HexMode(v + 1)})
	}
	opts = append(opts, &PrintOptions{Quiet: true}, &PrintOptions{Numeric: true, Hex: ASCIIPayload})
	f.Fuzz(func(t *testing.T, link uint8, data []byte) {
		lt := fuzzLinks[int(link)%len(fuzzLinks)]
		d := NewDecoder()
		d.Decode(lt, data)
		ci := gopacket.CaptureInfo{CaptureLength: len(data), Length: len(data) + int(link)}
		for _, o := range opts {
			NewPrinter(io.Discard, o).Print(ci, d, data)
		}
		NewTreePrinter(io.Discard, opts[3]).Print(ci, d, data)
		var buf bytes.Buffer
		NewJSONPrinter(&buf, nil).Print(ci, d, data, "eth0")
		if !json.Valid(buf.Bytes()) {
			t.Fatalf("invalid JSON: %s", buf.Bytes())
		}
		first := layers.LayerTypeEthernet
		switch lt {
		case layers.LinkTypeEthernet:
		case layers.LinkTypeIPv6:
			first = layers.LayerTypeIPv6
		default:
			first = layers.LayerTypeIPv4
		}
		craft.Expr(data, first)
	})
}
