package filter_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"golang.org/x/net/bpf"

	"github.com/rawsock/rawsock/capture/filter"
	"github.com/rawsock/rawsock/internal/netlab"
)

// tcpdumpLinks are the link types the tests compare with tcpdump, by the
// number tcpdump reads from a file header.
var tcpdumpLinks = []layers.LinkType{
	layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL, layers.LinkTypeLinuxSLL2, layers.LinkTypeRaw, 12,
	layers.LinkTypeIPv4, layers.LinkTypeIPv6, layers.LinkTypeNull, layers.LinkTypeLoop,
}

var emptyFiles struct {
	sync.Mutex
	dir   string
	paths map[layers.LinkType]string
}

// emptyCapture returns a pcap file with no packets and the given link
// type: what tcpdump needs to compile for that link type.
func emptyCapture(t *testing.T, link layers.LinkType) string {
	t.Helper()
	emptyFiles.Lock()
	defer emptyFiles.Unlock()
	if emptyFiles.paths == nil {
		dir, err := os.MkdirTemp("", "filter-empty-")
		if err != nil {
			t.Fatal(err)
		}
		emptyFiles.dir, emptyFiles.paths = dir, map[layers.LinkType]string{}
	}
	if p, ok := emptyFiles.paths[link]; ok {
		return p
	}
	p := filepath.Join(emptyFiles.dir, strconv.Itoa(int(link))+".pcap")
	var b bytes.Buffer
	if err := pcapgo.NewWriter(&b).WriteFileHeader(filter.DefaultSnaplen, link); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	emptyFiles.paths[link] = p
	return p
}

// tcpdumpCompile runs tcpdump -d (or -O -d) on expr for link and returns
// the listing, or tcpdump's error message and ok false.
func tcpdumpCompile(t *testing.T, expr string, link layers.LinkType, optimize bool) (string, bool) {
	t.Helper()
	return tcpdumpDump(t, "-d", expr, link, optimize)
}

// tcpdumpDump is tcpdumpCompile with the dump flag: -d, -dd or -ddd.
func tcpdumpDump(t *testing.T, flag, expr string, link layers.LinkType, optimize bool) (string, bool) {
	t.Helper()
	tcpdump := netlab.RequireTool(t, "tcpdump")
	args := []string{flag, "-r", emptyCapture(t, link)}
	if !optimize {
		args = append([]string{"-O"}, args...)
	}
	args = append(args, "--", expr)
	cmd := exec.Command(tcpdump, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if i := strings.LastIndex(msg, "\n"); i >= 0 {
			msg = msg[i+1:]
		}
		return strings.TrimPrefix(msg, "tcpdump: "), false
	}
	return out.String(), true
}

func dumpString(t testing.TB, prog []bpf.RawInstruction, f filter.Format) string {
	t.Helper()
	var b bytes.Buffer
	if err := filter.Dump(&b, prog, f); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// stricter are expressions tcpdump accepts and rawsock rejects on purpose
// (docs/filters.md): they never select anything, or mean less than they
// seem to.
var stricter = map[string]bool{}

// TestProgramsAreTcpdumps compares the program of every corpus expression
// with tcpdump's on every link type: compiled without the optimizer with
// "tcpdump -O -d", compiled with it with "tcpdump -d". The instructions
// must be the same, in the same order, or both must fail (except where
// tcpdump refuses a filter that rejects every packet: rawsock compiles it
// to "ret #0").
func TestProgramsAreTcpdumps(t *testing.T) {
	netlab.RequireTool(t, "tcpdump")
	for _, link := range tcpdumpLinks {
		t.Run(strconv.Itoa(int(link)), func(t *testing.T) {
			t.Parallel()
			for _, expr := range corpus {
				for _, optimize := range []bool{false, true} {
					want, ok := tcpdumpCompile(t, expr, link, optimize)
					prog, err := filter.CompileOptions(expr, link, 0, &filter.Options{NoOptimize: !optimize})
					switch {
					case !ok && want == "expression rejects all packets":
						if err != nil {
							t.Errorf("%q: %v", expr, err)
						} else if got := dumpString(t, prog, filter.Assembly); got != "(000) ret      #0\n" {
							t.Errorf("%q: tcpdump says it rejects every packet; rawsock compiles\n%s", expr, got)
						}
					case !ok && err == nil:
						t.Errorf("%q (optimize %v): tcpdump fails (%s), rawsock compiles it", expr, optimize, want)
					case ok && err != nil && !stricter[expr]:
						t.Errorf("%q (optimize %v): tcpdump compiles it, rawsock fails: %v", expr, optimize, err)
					case ok && err == nil:
						if got := dumpString(t, prog, filter.Assembly); got != want {
							t.Errorf("%q (optimize %v): got\n%swant (tcpdump)\n%s", expr, optimize, got, want)
						}
					}
				}
			}
		})
	}
}

// TestDumpFormatsAreTcpdumps compares -dd and -ddd output with tcpdump's,
// and reads tcpdump's -ddd output back.
func TestDumpFormatsAreTcpdumps(t *testing.T) {
	netlab.RequireTool(t, "tcpdump")
	for _, expr := range []string{"tcp port 80", "ip6 and udp", "less 64", "tcp[13] & 2 != 0",
		"ip[2:2] - ((ip[0]&0xf)<<2) - ((tcp[12]&0xf0)>>2) > 0", "vlan 10 and host 198.51.100.2", ""} {
		prog, err := filter.Compile(expr, layers.LinkTypeEthernet, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []struct {
			flag   string
			format filter.Format
		}{{"-d", filter.Assembly}, {"-dd", filter.CArray}, {"-ddd", filter.Decimal}} {
			want, ok := tcpdumpDump(t, f.flag, expr, layers.LinkTypeEthernet, true)
			if !ok {
				t.Fatalf("tcpdump %s %q: %s", f.flag, expr, want)
			}
			if got := dumpString(t, prog, f.format); got != want {
				t.Errorf("%s %q: got\n%swant\n%s", f.flag, expr, got, want)
			}
			if f.format == filter.Decimal {
				back, err := filter.ParseDecimal(want)
				if err != nil {
					t.Errorf("reading tcpdump -ddd %q: %v", expr, err)
				} else if dumpString(t, back, filter.Decimal) != want {
					t.Errorf("tcpdump -ddd %q does not read back", expr)
				}
			}
		}
	}
}

// TestLongProgramsAreTcpdumps compares programs long enough to need
// unconditional jumps (a conditional one reaches 255 instructions ahead).
func TestLongProgramsAreTcpdumps(t *testing.T) {
	netlab.RequireTool(t, "tcpdump")
	var ports, hosts []string
	for i := 1; i <= 100; i++ {
		ports = append(ports, strconv.Itoa(i))
		hosts = append(hosts, "192.0.2."+strconv.Itoa(i))
	}
	for _, expr := range []string{
		"port " + strings.Join(ports[:60], " or "),
		"not host " + strings.Join(hosts[:60], " and not ") + " and tcp",
		"(tcp[13] & 2 != 0 and dst port (" + strings.Join(ports[:40], " or ") + ")) or icmp",
	} {
		for _, optimize := range []bool{false, true} {
			want, ok := tcpdumpCompile(t, expr, layers.LinkTypeEthernet, optimize)
			if !ok {
				t.Fatalf("tcpdump: %s", want)
			}
			prog, err := filter.CompileOptions(expr, layers.LinkTypeEthernet, 0, &filter.Options{NoOptimize: !optimize})
			if err != nil {
				t.Fatal(err)
			}
			got := dumpString(t, prog, filter.Assembly)
			if got != want {
				t.Errorf("%.40q… (optimize %v): %d instructions, tcpdump %d, and they differ", expr, optimize, len(prog), strings.Count(want, "\n"))
			}
			if !optimize && !strings.Contains(got, " ja ") {
				t.Errorf("%.40q… (optimize %v): no long jump", expr, optimize)
			}
		}
	}
}
