package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/gopacket/gopacket/layers"
)

// TestReadDerivedFormats: the files derive.go rewrote in other formats hold
// the same packets as the captures they came from.
func TestReadDerivedFormats(t *testing.T) {
	tests := []struct {
		derived, source string
		format          Format
	}{
		{"be-nano.pcap", "tcp.pcap", PcapNano},
		{"be.pcapng", "udp.pcap", Pcapng},
	}
	for _, tt := range tests {
		t.Run(tt.derived, func(t *testing.T) {
			got, err := readAll(t, filepath.Join(pcapsDir, tt.derived))
			if err != nil {
				t.Fatal(err)
			}
			want, err := readAll(t, filepath.Join(pcapsDir, tt.source))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) || len(got) == 0 {
				t.Fatalf("got %d packets, want %d", len(got), len(want))
			}
			for i := range got {
				if !bytes.Equal(got[i].data, want[i].data) || !got[i].ci.Timestamp.Equal(want[i].ci.Timestamp) ||
					got[i].ci.Length != want[i].ci.Length || got[i].link != want[i].link {
					t.Errorf("packet %d differs: got %v %d bytes, want %v %d bytes", i, got[i].ci, len(got[i].data), want[i].ci, len(want[i].data))
				}
			}
			f, _ := os.Open(filepath.Join(pcapsDir, tt.derived))
			defer f.Close()
			r, err := NewReader(f)
			if err != nil {
				t.Fatal(err)
			}
			if r.Format() != tt.format {
				t.Errorf("format: got %v, want %v", r.Format(), tt.format)
			}
		})
	}
}

func TestReadMultipleInterfaces(t *testing.T) {
	pkts, err := readAll(t, filepath.Join(pcapsDir, "mixed.pcapng"))
	if err != nil {
		t.Fatal(err)
	}
	icmp, _ := readAll(t, filepath.Join(pcapsDir, "icmp.pcap"))
	anyp, _ := readAll(t, filepath.Join(pcapsDir, "any.pcap"))
	if len(pkts) != len(icmp)+len(anyp) {
		t.Fatalf("got %d packets, want %d", len(pkts), len(icmp)+len(anyp))
	}
	seen := map[layers.LinkType]int{}
	for _, p := range pkts {
		seen[p.link]++
		if p.link != []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL2}[p.ci.InterfaceIndex] {
			t.Errorf("packet on interface %d has link type %v", p.ci.InterfaceIndex, p.link)
		}
	}
	if seen[layers.LinkTypeEthernet] != len(icmp) || seen[layers.LinkTypeLinuxSLL2] != len(anyp) {
		t.Errorf("link types: got %v, want %d Ethernet and %d SLL2", seen, len(icmp), len(anyp))
	}
	f, _ := os.Open(filepath.Join(pcapsDir, "multi.pcapng"))
	defer f.Close()
	r, err := NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, _, err := r.ReadPacket(); err != nil {
			break
		}
	}
	ifs := r.Interfaces()
	if len(ifs) != 2 || ifs[0].Name != "client-eth0" || ifs[1].Name != "server-lo" {
		t.Errorf("interfaces: got %+v, want client-eth0 and server-lo", ifs)
	}
}

// TestReadStdin: a stream that cannot seek and comes a byte at a time
// reads the same as the file.
func TestReadStdin(t *testing.T) {
	for _, name := range []string{"icmp.pcap", "be.pcapng"} {
		b, err := os.ReadFile(filepath.Join(pcapsDir, name))
		if err != nil {
			t.Fatal(err)
		}
		want, _ := readAll(t, filepath.Join(pcapsDir, name))
		got, err := readStream(iotest.OneByteReader(bytes.NewReader(b)))
		if err != nil || len(got) != len(want) {
			t.Errorf("%s one byte at a time: got %d packets and %v, want %d", name, len(got), err, len(want))
		}
	}
}

// TestReadMalformed: each file of pcaps/malformed gives its good packets,
// then one error naming what was wrong and where.
func TestReadMalformed(t *testing.T) {
	tests := []struct {
		file   string
		good   int
		what   string
		offset int64
	}{
		{"bad-magic.pcap", 0, "not a pcap or pcapng file (its magic number is 0x47494638)", 0},
		{"truncated-header.pcap", 0, "truncated pcap file header: 10 of 24 bytes", 0},
		{"truncated-record-header.pcap", 2, "truncated record header: 7 of 16 bytes", 140},
		{"truncated-record.pcap", 2, "truncated record: 42 of 100 bytes of packet data", 140},
		{"caplen-over-snaplen.pcap", 2, "captured length 1500 exceeds the file's snapshot length 64", 140},
		{"caplen-zero.pcap", 2, "record with a captured length of 0", 140},
		{"caplen-2g.pcap", 2, "absurd captured length 2147483648 (the most is 262144)", 140},
		{"pcapng-length-lies.pcapng", 2, "pcapng block length lies: 76 at the start, 84 at the end", 200},
		{"pcapng-length-short.pcapng", 2, "pcapng block length lies: 40 bytes cannot hold a packet of 42", 200},
		{"pcapng-length-huge.pcapng", 2, "absurd pcapng block length 2147483632 (the most is 16777216)", 200},
		{"ipv4-ihl-under-5.pcap", 3, "", 0},
		{"tcp-offset-past-end.pcap", 4, "", 0},
		{"igmpv3-source-count.pcap", 4, "", 0},
		{"dns-compression-loop.pcap", 4, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			pkts, err := readAll(t, filepath.Join(pcapsDir, "malformed", tt.file))
			if len(pkts) != tt.good {
				t.Errorf("got %d good packets, want %d", len(pkts), tt.good)
			}
			if tt.what == "" {
				if err != nil {
					t.Errorf("got %v, want no error: the file is sound", err)
				}
				return
			}
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("got error %v, want a *FileError", err)
			}
			if fe.What != tt.what || fe.Offset != tt.offset {
				t.Errorf("got %q at byte %d, want %q at byte %d", fe.What, fe.Offset, tt.what, tt.offset)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q is more than one line", err)
			}
		})
	}
}

// TestReadBoundedMemory: a header asking for 4 GiB packets and a block of
// 16 MiB do not make the reader allocate them.
func TestReadBoundedMemory(t *testing.T) {
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr, 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 0xffffffff)
	binary.LittleEndian.PutUint32(hdr[20:], 1)
	rec := make([]byte, 16)
	binary.LittleEndian.PutUint32(rec[8:], MaxSnaplen+1)
	allocs := testing.AllocsPerRun(20, func() {
		r, err := NewReader(bytes.NewReader(append(hdr, rec...)))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := r.ReadPacket(); err == nil {
			t.Fatal("a record longer than MaxSnaplen was accepted")
		}
	})
	// The reader's own buffer and a few small values, never the 4 GiB.
	if allocs > 16 {
		t.Errorf("%.0f allocations to refuse the record", allocs)
	}
}

// TestReadAllocations: reading a packet allocates nothing.
func TestReadAllocations(t *testing.T) {
	for _, name := range []string{"tcp.pcap", "be.pcapng"} {
		b, _ := os.ReadFile(filepath.Join(pcapsDir, name))
		br := bytes.NewReader(b)
		r, err := NewReader(br)
		if err != nil {
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(100, func() {
			if _, _, err := r.ReadPacket(); errors.Is(err, io.EOF) {
				br.Reset(b)
				r.br.Reset(br)
				r.off, r.err = 0, nil
				if name == "tcp.pcap" {
					r.discard(24)
				} else if err := r.nextBlock(); err != nil {
					t.Fatal(err)
				}
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %.1f allocations per packet, want 0", name, allocs)
		}
	}
}

// TestReadPcapngBlocks reads the blocks no sample holds: a simple packet
// block, an obsolete packet block, a name resolution block to skip, a
// second section in the other byte order, and nanosecond and power-of-two
// timestamp resolutions.
func TestReadPcapngBlocks(t *testing.T) {
	type blk struct {
		typ  uint32
		body []byte
	}
	build := func(order byteOrder, blocks ...blk) []byte {
		var out []byte
		for _, b := range blocks {
			body := b.body
			for len(body)%4 != 0 {
				body = append(body, 0)
			}
			n := uint32(12 + len(body))
			out = order.AppendUint32(out, b.typ)
			out = order.AppendUint32(out, n)
			out = append(out, body...)
			out = order.AppendUint32(out, n)
		}
		return out
	}
	shb := func(order byteOrder) blk {
		b := order.AppendUint32(nil, 0x1a2b3c4d)
		b = order.AppendUint16(b, 1)
		b = order.AppendUint16(b, 0)
		return blk{0x0a0d0d0a, order.AppendUint64(b, ^uint64(0))}
	}
	idb := func(order byteOrder, link uint16, snaplen uint32, tsresol byte) blk {
		b := order.AppendUint16(nil, link)
		b = order.AppendUint16(b, 0)
		b = order.AppendUint32(b, snaplen)
		b = order.AppendUint16(b, 9) // if_tsresol
		b = order.AppendUint16(b, 1)
		b = append(b, tsresol, 0, 0, 0)
		return blk{1, append(b, 0, 0, 0, 0)}
	}
	frame := bytes.Repeat([]byte{0xab}, 60)
	le, be := binary.LittleEndian, binary.BigEndian
	spb := blk{3, append(le.AppendUint32(nil, 100), frame...)} // the wire had 100 bytes
	pb := func(ts uint64) blk {
		b := le.AppendUint16(nil, 0)
		b = le.AppendUint16(b, 0)
		b = le.AppendUint32(b, uint32(ts>>32))
		b = le.AppendUint32(b, uint32(ts))
		b = le.AppendUint32(b, 60)
		b = le.AppendUint32(b, 60)
		return blk{2, append(b, frame...)}
	}
	epb := func(order byteOrder, ifc uint32, ts uint64) blk {
		b := order.AppendUint32(nil, ifc)
		b = order.AppendUint32(b, uint32(ts>>32))
		b = order.AppendUint32(b, uint32(ts))
		b = order.AppendUint32(b, 60)
		b = order.AppendUint32(b, 60)
		return blk{6, append(b, frame...)}
	}
	nrb := blk{4, []byte{1, 0, 8, 0, 192, 0, 2, 1, 'x', '.', 'y', 0, 0, 0, 0, 0}}
	file := build(le, shb(le), idb(le, 1, 64, 9), nrb, spb, pb(2500000000))
	file = append(file, build(be, shb(be), idb(be, 113, 0, 0x80|10), epb(be, 0, 3<<10|512))...)
	pkts, err := readStream(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if len(pkts) != 3 {
		t.Fatalf("got %d packets, want 3", len(pkts))
	}
	if len(pkts[0].data) != 60 || pkts[0].ci.Length != 100 {
		t.Errorf("simple packet block: got %d of %d bytes, want 60 of 100", len(pkts[0].data), pkts[0].ci.Length)
	}
	if got := pkts[1].ci.Timestamp.UnixNano(); got != 2500000000 {
		t.Errorf("packet block in nanoseconds: got %d ns, want 2500000000", got)
	}
	if pkts[2].link != 113 || pkts[2].ci.Timestamp.UnixNano() != 3500000000 {
		t.Errorf("big-endian section: got link %d at %v, want 113 at 3.5s (1/1024 s units)", pkts[2].link, pkts[2].ci.Timestamp)
	}
}
