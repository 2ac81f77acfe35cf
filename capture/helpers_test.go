package capture

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/rawsock/rawsock/internal/netlab"
)

// pcapsDir is the repository's directory of sample captures.
const pcapsDir = "../pcaps"

// fixtures returns the sample captures tcpdump can read too (not the one
// that mixes link types).
func fixtures(t testing.TB) []string {
	t.Helper()
	var files []string
	for _, pat := range []string{"*.pcap", "*.pcapng"} {
		m, err := filepath.Glob(filepath.Join(pcapsDir, pat))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	sort.Strings(files)
	var out []string
	for _, f := range files {
		if filepath.Base(f) != "mixed.pcapng" {
			out = append(out, f)
		}
	}
	if len(out) < 10 {
		t.Fatalf("only %d captures in %s", len(out), pcapsDir)
	}
	return out
}

type packet struct {
	ci   gopacket.CaptureInfo
	link layers.LinkType
	data []byte
}

// readAll reads every packet of a file, copied, and the error that ended it
// (nil at a clean end).
func readAll(t testing.TB, name string) ([]packet, error) {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return readStream(f)
}

func readStream(in io.Reader) ([]packet, error) {
	r, err := NewReader(in)
	if err != nil {
		return nil, err
	}
	var out []packet
	for {
		data, ci, err := r.ReadPacket()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, packet{ci, r.Interface(ci.InterfaceIndex).LinkType, bytes.Clone(data)})
	}
}

// tcpdump runs tcpdump -r on a file with the given flags, in UTC, and
// returns its standard output.
func tcpdump(t testing.TB, file string, flags ...string) string {
	t.Helper()
	bin := netlab.RequireTool(t, "tcpdump")
	cmd := exec.Command(bin, append(append([]string{}, flags...), "-r", file)...)
	cmd.Env = append(os.Environ(), "TZ=UTC")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil && !strings.Contains(errb.String(), "pcap_loop") {
		t.Fatalf("tcpdump %v -r %s: %v: %s", flags, file, err, errb.String())
	}
	return out.String()
}

// rawsockPrint prints a file the way "rawsock read" does, in UTC, with
// interface names as this host knows them (as tcpdump does).
func rawsockPrint(t testing.TB, file string, opt PrintOptions) (string, error) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := NewReader(f)
	if err != nil {
		return "", err
	}
	var out bytes.Buffer
	opt.Location = utc
	p := NewPrinter(&out, &opt)
	d := NewDecoder()
	for {
		data, ci, err := r.ReadPacket()
		if errors.Is(err, io.EOF) {
			return out.String(), nil
		}
		if err != nil {
			return out.String(), err
		}
		d.Decode(r.Interface(ci.InterfaceIndex).LinkType, data)
		if err := p.Print(ci, d, data); err != nil {
			t.Fatal(err)
		}
	}
}
