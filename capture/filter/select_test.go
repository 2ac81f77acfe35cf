package filter_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"golang.org/x/net/bpf"

	"github.com/rawsock/rawsock/capture/filter"
	"github.com/rawsock/rawsock/internal/netlab"
)

// writeCapture writes packets to a pcap file whose packet i has the
// timestamp i seconds, so that tcpdump's output tells which it selected.
func writeCapture(t testing.TB, dir, name string, link layers.LinkType, packets []packet) string {
	t.Helper()
	var b bytes.Buffer
	w := pcapgo.NewWriter(&b)
	if err := w.WriteFileHeader(filter.DefaultSnaplen, link); err != nil {
		t.Fatal(err)
	}
	for i, p := range packets {
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(int64(i), 0), CaptureLength: len(p.data), Length: p.wireLen}
		if err := w.WritePacket(ci, p.data); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, name+".pcap")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// tcpdumpSelect returns the indices of the packets "tcpdump -r file expr"
// (or "tcpdump -O -r file expr") selects, or tcpdump's error.
func tcpdumpSelect(t testing.TB, file, expr string, noOptimize bool) ([]int, error) {
	t.Helper()
	tcpdump := netlab.RequireTool(t, "tcpdump")
	args := []string{"-r", file, "-w", "-", "--", expr}
	if noOptimize {
		args = append([]string{"-O"}, args...)
	}
	cmd := exec.Command(tcpdump, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
		return nil, errors.New(strings.TrimPrefix(lines[len(lines)-1], "tcpdump: "))
	}
	r, err := pcapgo.NewReader(&out)
	if err != nil {
		t.Fatalf("tcpdump -w - %q: %v", expr, err)
	}
	var idx []int
	for {
		_, ci, err := r.ReadPacketData()
		if err == io.EOF {
			return idx, nil
		}
		if err != nil {
			t.Fatalf("tcpdump -w - %q: %v", expr, err)
		}
		idx = append(idx, int(ci.Timestamp.Unix()))
	}
}

func matcherSelect(t testing.TB, prog []bpf.RawInstruction, packets []packet) []int {
	t.Helper()
	m, err := filter.NewMatcher(prog)
	if err != nil {
		t.Fatal(err)
	}
	var idx []int
	for i, p := range packets {
		if m.Match(p.data, p.wireLen) {
			idx = append(idx, i)
		}
	}
	return idx
}

// compareSelection checks that expr selects from packets, in file, what
// tcpdump selects, with the optimizer and without (against tcpdump -O).
func compareSelection(t *testing.T, file string, link layers.LinkType, packets []packet, expr string) {
	t.Helper()
	for _, noOpt := range []bool{false, true} {
		want, terr := tcpdumpSelect(t, file, expr, noOpt)
		prog, err := filter.CompileOptions(expr, link, 0, &filter.Options{NoOptimize: noOpt})
		switch {
		case terr != nil && strings.Contains(terr.Error(), "rejects all packets"):
			// tcpdump refuses a filter that can match nothing; rawsock
			// compiles it, and it must indeed match nothing.
			if err != nil {
				t.Errorf("%q: %v", expr, err)
			} else if got := matcherSelect(t, prog, packets); len(got) != 0 {
				t.Errorf("%q: tcpdump says it rejects all packets, rawsock selects %v", expr, got)
			}
		case terr != nil:
			if err == nil {
				t.Errorf("%q: tcpdump fails (%v), rawsock compiles it", expr, terr)
			}
		case err != nil:
			if !stricter[expr] {
				t.Errorf("%q: tcpdump selects %d packets, rawsock fails: %v", expr, len(want), err)
			}
		default:
			if got := matcherSelect(t, prog, packets); !slices.Equal(got, want) {
				t.Errorf("%q (optimizer off: %v): selects %d packets, tcpdump %d\nonly rawsock: %v\nonly tcpdump: %v",
					expr, noOpt, len(got), len(want), minus(got, want), minus(want, got))
			}
		}
	}
}

func minus(a, b []int) []int {
	var d []int
	for _, v := range a {
		if !slices.Contains(b, v) {
			d = append(d, v)
		}
	}
	return d
}

// TestSelectsLikeTcpdump runs every corpus expression over capture files
// of every link type and compares the packets selected with tcpdump's.
func TestSelectsLikeTcpdump(t *testing.T) {
	netlab.RequireTool(t, "tcpdump")
	dir := t.TempDir()
	for _, f := range fixtures(t) {
		file := writeCapture(t, dir, f.name, f.link, f.packets)
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			for _, expr := range corpus {
				compareSelection(t, file, f.link, f.packets, expr)
			}
		})
	}
}
