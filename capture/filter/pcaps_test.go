package filter_test

import (
	"bufio"
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/rawsock/rawsock/capture/filter"
	"github.com/rawsock/rawsock/internal/netlab"
)

// readCapture reads the packets of a pcap or pcapng file, up to the end or
// to the first damage (the malformed samples have some), keeping those of
// the first interface's link type.
func readCapture(path string) (layers.LinkType, []packet, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, nil, err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	magic, err := br.Peek(4)
	if err != nil {
		return 0, nil, err
	}
	type source interface {
		ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
	}
	var src source
	var link layers.LinkType
	var ng *pcapgo.NgReader
	if bytes.Equal(magic, []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		if ng, err = pcapgo.NewNgReader(br, pcapgo.DefaultNgReaderOptions); err != nil {
			return 0, nil, err
		}
		src, link = ng, ng.LinkType()
	} else {
		r, err := pcapgo.NewReader(br)
		if err != nil {
			return 0, nil, err
		}
		src, link = r, r.LinkType()
	}
	var packets []packet
	for len(packets) < 100000 {
		data, ci, err := src.ReadPacketData()
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return link, packets, err
		}
		if ng != nil {
			if in, err := ng.Interface(ci.InterfaceIndex); err != nil || in.LinkType != link {
				continue
			}
		}
		wire := max(ci.Length, len(data))
		packets = append(packets, packet{append([]byte(nil), data...), wire})
	}
	return link, packets, nil
}

// compareCaptures merges the captures under dir by link type and runs
// exprs over them, comparing the selection with tcpdump's. It returns how
// many packets it compared.
func compareCaptures(t *testing.T, dir string, exprs []string) int {
	t.Helper()
	byLink := map[layers.LinkType][]packet{}
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		switch strings.ToLower(filepath.Ext(path)) {
		case ".pcap", ".pcapng", ".cap":
		default:
			return nil
		}
		link, packets, err := readCapture(path)
		if err != nil {
			t.Logf("%s: read %d packets, then: %v", path, len(packets), err)
		}
		if _, err := filter.Compile("", link, 0); err == nil && len(packets) > 0 {
			byLink[link] = append(byLink[link], packets...)
		}
		return nil
	})
	out := t.TempDir()
	n := 0
	for link, packets := range byLink {
		file := writeCapture(t, out, strconv.Itoa(int(link)), link, packets)
		n += len(packets)
		t.Run(strconv.Itoa(int(link)), func(t *testing.T) {
			t.Parallel()
			for _, expr := range exprs {
				compareSelection(t, file, link, packets, expr)
			}
		})
	}
	return n
}

// TestRepositoryCaptures runs the corpus over every capture in the
// repository's pcaps/ directory, when there is one.
func TestRepositoryCaptures(t *testing.T) {
	netlab.RequireTool(t, "tcpdump")
	dir := filepath.Join("..", "..", "pcaps")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("no pcaps/ directory")
	}
	n := compareCaptures(t, dir, corpus)
	t.Logf("compared %d packets from %s", n, dir)
}

// TestCompareCaptures checks compareCaptures itself on a pcapng and a
// damaged pcap.
func TestCompareCaptures(t *testing.T) {
	netlab.RequireTool(t, "tcpdump")
	dir := t.TempDir()
	eth := fixtures(t)[0].packets[:300]

	var ng bytes.Buffer
	w, err := pcapgo.NewNgWriter(&ng, layers.LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range eth {
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(int64(i), 0), CaptureLength: len(p.data), Length: p.wireLen}
		if err := w.WritePacket(ci, p.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "a.pcapng"), ng.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	damaged := writeCapture(t, t.TempDir(), "b", layers.LinkTypeEthernet, eth[:50])
	b, err := os.ReadFile(damaged)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "b.pcap"), b[:len(b)-7], 0o644); err != nil {
		t.Fatal(err)
	}
	if n := compareCaptures(t, dir, corpus[:30]); n != 300+49 {
		t.Errorf("compared %d packets, want %d", n, 300+49)
	}
}
