package capture

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rawsock/rawsock/internal/netlab"
)

var utc = time.UTC

// flagSets are the tcpdump flags the differential tests print with, and
// the same request as PrintOptions.
var flagSets = []struct {
	flags []string
	opt   PrintOptions
}{
	{[]string{"-n"}, PrintOptions{Numeric: true}},
	{[]string{"-n", "-e"}, PrintOptions{Numeric: true, LinkHeader: true}},
	{[]string{"-n", "-q"}, PrintOptions{Numeric: true, Quiet: true}},
	{[]string{"-n", "-q", "-e"}, PrintOptions{Numeric: true, Quiet: true, LinkHeader: true}},
	{[]string{"-n", "-v"}, PrintOptions{Numeric: true, Verbose: 1}},
	{[]string{"-n", "-vv"}, PrintOptions{Numeric: true, Verbose: 2}},
	{[]string{"-n", "-vvv", "-e"}, PrintOptions{Numeric: true, Verbose: 3, LinkHeader: true}},
	{[]string{"-n", "-x"}, PrintOptions{Numeric: true, Hex: HexPayload}},
	{[]string{"-n", "-xx"}, PrintOptions{Numeric: true, Hex: HexFrame}},
	{[]string{"-n", "-X"}, PrintOptions{Numeric: true, Hex: HexASCIIPayload}},
	{[]string{"-n", "-XX", "-v"}, PrintOptions{Numeric: true, Hex: HexASCIIFrame, Verbose: 1}},
	{[]string{"-n", "-A"}, PrintOptions{Numeric: true, Hex: ASCIIPayload}},
	{[]string{"-n", "-t"}, PrintOptions{Numeric: true, Time: TimeNone}},
	{[]string{"-n", "-tt"}, PrintOptions{Numeric: true, Time: TimeEpoch}},
	{[]string{"-n", "-ttt"}, PrintOptions{Numeric: true, Time: TimeDelta}},
	{[]string{"-n", "-tttt"}, PrintOptions{Numeric: true, Time: TimeDate}},
	{[]string{"-n", "-ttttt"}, PrintOptions{Numeric: true, Time: TimeSinceFirst}},
	{[]string{"-n", "--nano"}, PrintOptions{Numeric: true, Nano: true}},
}

// compareWithTcpdump prints files with rawsock and with tcpdump under every
// flag set and reports each line that differs.
func compareWithTcpdump(t *testing.T, files []string) {
	for _, file := range files {
		for _, fs := range flagSets {
			name := filepath.Base(file) + strings.Join(fs.flags, "")
			t.Run(name, func(t *testing.T) {
				want := tcpdump(t, file, fs.flags...)
				got, _ := rawsockPrint(t, file, fs.opt)
				if got != want {
					t.Errorf("rawsock and tcpdump %s differ:\n%s", strings.Join(fs.flags, " "), lineDiff(want, got))
				}
			})
		}
	}
}

// lineDiff shows the first lines that differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 5; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("  tcpdump: " + wl + "\n  rawsock: " + gl + "\n")
			shown++
		}
	}
	return b.String()
}

// TestPrintFixturesLikeTcpdump: every sample capture prints exactly as
// tcpdump prints it, under every flag set.
func TestPrintFixturesLikeTcpdump(t *testing.T) {
	netlab.RequireTool(t, "tcpdump")
	compareWithTcpdump(t, fixtures(t))
}

// TestPrintCraftedLikeTcpdump does the same for unusual packets that scapy
// builds into files (nothing is sent): every ICMP and ICMPv6 type, TCP and
// IP options, DNS record types, and packets cut short by the capture.
func TestPrintCraftedLikeTcpdump(t *testing.T) {
	netlab.RequireTool(t, "tcpdump")
	py := netlab.Python(t)
	if err := exec.Command(py, "-c", "import scapy").Run(); err != nil {
		t.Skip("needs python3-scapy to build the packets (make test installs it)")
	}
	dir := t.TempDir()
	cmd := exec.Command(py, "testdata/crafted.py", dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("crafted.py: %v\n%s", err, out)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.pcap"))
	if len(files) < 7 {
		t.Fatalf("crafted.py wrote %d files", len(files))
	}
	compareWithTcpdump(t, files)
}

// TestPrintDamagedPacketsLikeTcpdump: damage inside packets is a note on
// the packet's line, as tcpdump writes it, and every packet is printed.
func TestPrintDamagedPacketsLikeTcpdump(t *testing.T) {
	netlab.RequireTool(t, "tcpdump")
	var files []string
	for _, f := range []string{"ipv4-ihl-under-5", "tcp-offset-past-end", "igmpv3-source-count", "dns-compression-loop"} {
		files = append(files, filepath.Join(pcapsDir, "malformed", f+".pcap"))
	}
	compareWithTcpdump(t, files)
}

// TestPrintWithoutNames: without -n, names come only from the hosts and
// services files given, never from DNS.
func TestPrintWithoutNames(t *testing.T) {
	dir := t.TempDir()
	hosts := filepath.Join(dir, "hosts")
	services := filepath.Join(dir, "services")
	os.WriteFile(hosts, []byte("203.0.113.2 server.example # the lab's server\n2001:db8:2::2 server6\n"), 0o644)
	os.WriteFile(services, []byte("lab-echo 7777/tcp\nlab-udp 7777/udp\n"), 0o644)
	n := loadNames(hosts, services)
	p := NewPrinter(&bytes.Buffer{}, &PrintOptions{})
	p.names = n
	pkts, err := readAll(t, filepath.Join(pcapsDir, "tcp.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	d := NewDecoder()
	d.Decode(pkts[0].link, pkts[0].data)
	got := p.Line(d, pkts[0].data)
	if !strings.Contains(got, " > server.example.lab-echo: Flags [S]") {
		t.Errorf("got %q, want the server's name and the port's name from the files", got)
	}
	frag := findLine(t, filepath.Join(pcapsDir, "icmp.pcap"), func(l string) bool { return strings.HasSuffix(l, ": ip-proto-1") })
	p = NewPrinter(&bytes.Buffer{}, &PrintOptions{})
	p.names = n
	d.Decode(frag.link, frag.data)
	if got := p.Line(d, frag.data); !strings.HasSuffix(got, ": icmp") {
		t.Errorf("later fragment without -n: got %q, want the protocol's keyword", got)
	}
}

func findLine(t *testing.T, file string, match func(string) bool) packet {
	t.Helper()
	pkts, err := readAll(t, file)
	if err != nil {
		t.Fatal(err)
	}
	p := NewPrinter(&bytes.Buffer{}, &PrintOptions{Numeric: true})
	d := NewDecoder()
	for _, pk := range pkts {
		d.Decode(pk.link, pk.data)
		if match(p.Line(d, pk.data)) {
			return pk
		}
	}
	t.Fatalf("no packet of %s matches", file)
	return packet{}
}

// TestPrintAllocations: printing the packets of the sample captures
// allocates nothing once the printer has seen them.
func TestPrintAllocations(t *testing.T) {
	for _, file := range fixtures(t) {
		pkts, err := readAll(t, file)
		if err != nil {
			t.Fatal(err)
		}
		p := NewPrinter(discard{}, &PrintOptions{Numeric: true, Verbose: 1})
		d := NewDecoder()
		for _, pk := range pkts {
			d.Decode(pk.link, pk.data)
			p.Print(pk.ci, d, pk.data)
		}
		i := 0
		allocs := testing.AllocsPerRun(200, func() {
			pk := pkts[i%len(pkts)]
			i++
			d.Decode(pk.link, pk.data)
			p.Print(pk.ci, d, pk.data)
		})
		if allocs != 0 {
			t.Errorf("%s: %.1f allocations per packet, want 0", filepath.Base(file), allocs)
		}
	}
}

type discard struct{}

func (discard) Write(b []byte) (int, error) { return len(b), nil }

func TestHexDump(t *testing.T) {
	// tcpdump -X of the first 18 bytes of an ICMP echo request.
	b := []byte{0x45, 0x00, 0x00, 0x54, 0xb6, 0x15, 0x40, 0x00, 0x40, 0x01, 0x6b, 0x60, 0xc6, 0x33, 0x64, 0x02, 0xc6, 0x33}
	want := "\t0x0000:  4500 0054 b615 4000 4001 6b60 c633 6402  E..T..@.@.k`.3d.\n" +
		"\t0x0010:  c633                                     .3\n"
	if got := HexDump(b); got != want {
		t.Errorf("HexDump:\ngot  %q\nwant %q", got, want)
	}
	if got, want := string(AppendHex(nil, b[:3], "|")), "|0x0000:  4500 00"; got != want {
		t.Errorf("AppendHex: got %q, want %q", got, want)
	}
	if got, want := string(AppendASCII(nil, []byte("GET /\r\nx\r\x01\x02"))), "\nGET /\nx..."; got != want {
		t.Errorf("AppendASCII: got %q, want %q", got, want)
	}
	if HexDump(nil) != "" {
		t.Errorf("HexDump of nothing is not empty")
	}
}
