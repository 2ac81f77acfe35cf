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
	tcpdump := netlab.RequireTool(t, "tcpdump")
	args := []string{"-d", "-r", emptyCapture(t, link)}
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

func dumpString(t *testing.T, prog []bpf.Instruction, f filter.Format) string {
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
