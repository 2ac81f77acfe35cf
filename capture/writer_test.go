package capture

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/rawsock/rawsock/internal/netlab"
)

var writerCases = []struct {
	name   string
	format Format
	order  binary.ByteOrder
	ext    string
}{
	{"pcap", Pcap, nil, ".pcap"},
	{"pcap-nano", PcapNano, nil, ".pcap"},
	{"pcap-big-endian", Pcap, binary.BigEndian, ".pcap"},
	{"pcapng", Pcapng, nil, ".pcapng"},
	{"pcapng-big-endian", Pcapng, binary.BigEndian, ".pcapng"},
}

// writeFixture writes the packets of a sample capture in a format.
func writeFixture(t *testing.T, src string, format Format, order binary.ByteOrder, snaplen int) ([]packet, []byte) {
	t.Helper()
	pkts, err := readAll(t, src)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := NewWriter(&buf, format, pkts[0].link, &WriterConfig{
		Snaplen: snaplen, ByteOrder: order, Interfaces: []Interface{{Name: "eth0", LinkType: pkts[0].link}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pkts {
		if err := w.WritePacket(p.ci, p.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := w.Written(); got != int64(buf.Len()) {
		t.Errorf("Written: got %d, want %d", got, buf.Len())
	}
	return pkts, buf.Bytes()
}

func TestWriterRoundTrip(t *testing.T) {
	for _, tc := range writerCases {
		t.Run(tc.name, func(t *testing.T) {
			want, b := writeFixture(t, filepath.Join(pcapsDir, "ipv6.pcap"), tc.format, tc.order, 0)
			got, err := readStream(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("got %d packets, want %d", len(got), len(want))
			}
			for i := range got {
				ts := want[i].ci.Timestamp
				if tc.format == Pcap {
					ts = ts.Truncate(time.Microsecond)
				}
				if !bytes.Equal(got[i].data, want[i].data) || !got[i].ci.Timestamp.Equal(ts) || got[i].ci.Length != want[i].ci.Length {
					t.Errorf("packet %d: got %v, want %v", i, got[i].ci, want[i].ci)
				}
			}
		})
	}
}

func TestWriterSnaplen(t *testing.T) {
	want, b := writeFixture(t, filepath.Join(pcapsDir, "tcp.pcap"), Pcapng, nil, 60)
	got, err := readStream(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if len(got[i].data) != min(60, len(want[i].data)) || got[i].ci.Length != want[i].ci.Length {
			t.Errorf("packet %d: got %d of %d bytes, want %d of %d", i, len(got[i].data), got[i].ci.Length, min(60, len(want[i].data)), want[i].ci.Length)
		}
	}
}

func TestWriterErrors(t *testing.T) {
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, Pcap, layers.LinkTypeEthernet, nil)
	if _, err := w.AddInterface(Interface{Name: "x"}); err == nil {
		t.Error("AddInterface on pcap: got no error")
	}
	ng, _ := NewWriter(&buf, Pcapng, layers.LinkTypeEthernet, nil)
	if err := ng.WritePacket(gopacket.CaptureInfo{InterfaceIndex: 3}, []byte{1}); err == nil {
		t.Error("packet of an interface the file does not have: got no error")
	}
	if _, err := NewWriter(&buf, Format(42), layers.LinkTypeEthernet, nil); err == nil {
		t.Error("unknown format: got no error")
	}
}

// TestWriterFlushEach: with FlushEach every packet reaches the file at
// once, as -U promises.
func TestWriterFlushEach(t *testing.T) {
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, Pcap, layers.LinkTypeRaw, &WriterConfig{FlushEach: true})
	if buf.Len() != 24 {
		t.Fatalf("header not written at once: %d bytes", buf.Len())
	}
	w.WritePacket(gopacket.CaptureInfo{Length: 3}, []byte{0x45, 0, 0})
	if buf.Len() != 24+16+3 {
		t.Errorf("packet not written at once: %d bytes", buf.Len())
	}
}

func TestWriterAllocations(t *testing.T) {
	pkts, _ := readAll(t, filepath.Join(pcapsDir, "tcp.pcap"))
	for _, tc := range writerCases {
		w, _ := NewWriter(discard{}, tc.format, layers.LinkTypeEthernet, &WriterConfig{ByteOrder: tc.order})
		i := 0
		allocs := testing.AllocsPerRun(100, func() {
			p := pkts[i%len(pkts)]
			i++
			w.WritePacket(p.ci, p.data)
		})
		if allocs != 0 {
			t.Errorf("%s: %.1f allocations per packet, want 0", tc.name, allocs)
		}
	}
}

// TestWriterTshark: tshark reads every file the writer makes, with the
// same packet count and no malformed packet or expert error.
func TestWriterTshark(t *testing.T) {
	tshark := netlab.RequireTool(t, "tshark")
	dir := t.TempDir()
	for _, tc := range writerCases {
		for _, src := range []string{"tcp.pcap", "dns.pcap", "igmp.pcap", "any.pcap", "null.pcap"} {
			t.Run(tc.name+"/"+src, func(t *testing.T) {
				pkts, b := writeFixture(t, filepath.Join(pcapsDir, src), tc.format, tc.order, 0)
				file := filepath.Join(dir, tc.name+"-"+src+tc.ext)
				os.WriteFile(file, b, 0o644)
				checkTshark(t, tshark, file, len(pkts))
			})
		}
	}
}

func checkTshark(t *testing.T, tshark, file string, want int) {
	t.Helper()
	out, err := exec.Command(tshark, "-r", file, "-q", "-z", "io,stat,0", "-z", "expert,error").CombinedOutput()
	if err != nil {
		t.Fatalf("tshark -r %s: %v\n%s", file, err, out)
	}
	s := string(out)
	if strings.Contains(s, "Malformed") || strings.Contains(s, "Errors (") {
		t.Errorf("tshark finds errors in %s:\n%s", file, s)
	}
	// The io,stat table's one row: "|  0 <> 12 | 34 | 5678 |".
	frames := -1
	for _, line := range strings.Split(s, "\n") {
		if f := strings.Split(line, "|"); len(f) >= 4 && strings.Contains(f[1], "<>") {
			frames, _ = strconv.Atoi(strings.TrimSpace(f[2]))
		}
	}
	if frames != want {
		t.Errorf("tshark counts %d packets in %s, want %d\n%s", frames, file, want, s)
	}
}

// TestFixturesTshark: tshark reads every sample capture, which rawsock
// sniff wrote, with the packet count rawsock reads and no error.
func TestFixturesTshark(t *testing.T) {
	tshark := netlab.RequireTool(t, "tshark")
	files, _ := filepath.Glob(filepath.Join(pcapsDir, "*.pcap*"))
	for _, f := range files {
		pkts, err := readAll(t, f)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(filepath.Base(f), func(t *testing.T) { checkTshark(t, tshark, f, len(pkts)) })
	}
}
