package capture

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// benchPackets are the packets of the sample captures.
func benchPackets(b *testing.B) []packet {
	var all []packet
	for _, f := range []string{"tcp.pcap", "udp.pcap", "icmp.pcap", "dns.pcap", "ipv6.pcap"} {
		p, err := readAll(b, filepath.Join(pcapsDir, f))
		if err != nil {
			b.Fatal(err)
		}
		all = append(all, p...)
	}
	return all
}

func BenchmarkRead(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(pcapsDir, "icmp.pcap"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	n := 0
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, _, err := r.ReadPacket(); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "pkts/s")
}

func BenchmarkDecode(b *testing.B) {
	pkts := benchPackets(b)
	d := NewDecoder()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		p := pkts[i%len(pkts)]
		i++
		d.Decode(p.link, p.data)
	}
}

func BenchmarkPrint(b *testing.B) {
	pkts := benchPackets(b)
	d := NewDecoder()
	p := NewPrinter(io.Discard, &PrintOptions{Numeric: true})
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		pk := pkts[i%len(pkts)]
		i++
		d.Decode(pk.link, pk.data)
		p.Print(pk.ci, d, pk.data)
	}
}

func BenchmarkJSON(b *testing.B) {
	pkts := benchPackets(b)
	d := NewDecoder()
	j := NewJSONPrinter(io.Discard, &PrintOptions{Numeric: true})
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		pk := pkts[i%len(pkts)]
		i++
		d.Decode(pk.link, pk.data)
		j.Print(pk.ci, d, pk.data, "")
	}
}
