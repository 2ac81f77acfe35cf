package filter_test

import (
	"testing"

	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"

	"github.com/rawsock/rawsock/capture/filter"
)

var benchExprs = []struct{ name, expr string }{
	{"port", "tcp port 80"},
	{"hosts", "host 198.51.100.2 and (port 80 or port 443) and not net 10.0.0.0/8"},
	{"flags", "tcp[tcpflags] & (tcp-syn|tcp-ack) = tcp-syn or icmp[icmptype] = icmp-echo"},
	{"payload", "ip[2:2] - ((ip[0]&0xf)<<2) - ((tcp[12]&0xf0)>>2) > 0"},
}

func BenchmarkCompile(b *testing.B) {
	for _, e := range benchExprs {
		b.Run(e.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := filter.Compile(e.expr, layers.LinkTypeEthernet, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMatch runs filters over the Ethernet fixtures, one packet per
// operation: the cost of filtering a file, per packet.
func BenchmarkMatch(b *testing.B) {
	packets := fixtures(b)[0].packets
	for _, e := range benchExprs {
		prog, err := filter.Compile(e.expr, layers.LinkTypeEthernet, 0)
		if err != nil {
			b.Fatal(err)
		}
		m, err := filter.NewMatcher(prog)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(e.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				p := &packets[i%len(packets)]
				m.Match(p.data, p.wireLen)
			}
		})
	}
}

// BenchmarkMatchXNet is BenchmarkMatch with golang.org/x/net/bpf's VM, for
// comparison.
func BenchmarkMatchXNet(b *testing.B) {
	packets := fixtures(b)[0].packets
	for _, e := range benchExprs[:3] {
		prog, err := filter.Compile(e.expr, layers.LinkTypeEthernet, 0)
		if err != nil {
			b.Fatal(err)
		}
		typed := make([]bpf.Instruction, len(prog))
		for i, ri := range prog {
			typed[i] = ri.Disassemble()
		}
		vm, err := bpf.NewVM(typed)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(e.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				vm.Run(packets[i%len(packets)].data)
			}
		})
	}
}
