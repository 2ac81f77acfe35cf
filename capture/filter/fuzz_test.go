package filter_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"

	"github.com/rawsock/rawsock/capture/filter"
)

var fuzzLinks = []layers.LinkType{
	layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL, layers.LinkTypeLinuxSLL2, layers.LinkTypeRaw,
	layers.LinkTypeIPv4, layers.LinkTypeIPv6, layers.LinkTypeNull, layers.LinkTypeLoop, 14,
}

// FuzzCompile compiles any string for a link type chosen by the packet's
// first byte. It must never panic; every program it returns must pass
// Check, return only the snapshot length or 0, and, run over the packet
// and its prefixes, finish without reading outside them, agreeing with
// x/net/bpf's VM.
func FuzzCompile(f *testing.F) {
	pkt := fixtures(f)[0].packets[3].data
	for _, expr := range corpus {
		f.Add(expr, pkt)
	}
	for _, expr := range []string{"", "(", "not not not ip", "port 80 or (443 or not 22)", "ether[0:4] = 0x1_2",
		"\\", "1.2.3.4.5", "::", "ff:ff:ff:ff:ff:ff:ff", "tcp[tcp[tcp[0]]] = 1", "-(-1) = 1", "ip6 net ::/129",
		"vlan and vlan and vlan and vlan and ip", "len % 0 = 1", "ip[0] ^ 1 ^ 2 ^ 3 = ip[1] % 3 % 4"} {
		f.Add(expr, []byte{1, 0xff, 0, 0x45})
	}
	f.Fuzz(func(t *testing.T, expr string, pkt []byte) {
		link := fuzzLinks[0]
		noOpt := false
		if len(pkt) > 0 {
			link = fuzzLinks[int(pkt[0])%len(fuzzLinks)]
			noOpt = pkt[0] >= 128
		}
		prog, err := filter.CompileOptions(expr, link, 1234, &filter.Options{NoOptimize: noOpt})
		if err != nil {
			var fe *filter.Error
			if !errors.As(err, &fe) {
				t.Fatalf("%q: not a *filter.Error: %v", expr, err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("%q: error of more than one line: %q", expr, err)
			}
			return
		}
		checkProgram(t, expr, prog, 1234)
		m, err := filter.NewMatcher(prog)
		if err != nil {
			t.Fatalf("%q: %v", expr, err)
		}
		vm := newXNetVM(prog)
		for n := 0; n <= len(pkt); n += 1 + len(pkt)/8 {
			got := m.Match(pkt[:n], n)
			m.Match(pkt[:n], n+70000)
			if vm != nil {
				want, err := vm.Run(pkt[:n])
				if err != nil {
					t.Fatalf("%q: x/net/bpf: %v", expr, err)
				}
				if got != (want != 0) {
					t.Fatalf("%q over %x: Matcher %v, x/net/bpf %v", expr, pkt[:n], got, want != 0)
				}
			}
		}
	})
}

// checkProgram checks what Compile promises of every program.
func checkProgram(t *testing.T, expr string, prog []bpf.RawInstruction, snaplen uint32) {
	t.Helper()
	if err := filter.Check(prog); err != nil {
		t.Fatalf("%q: %v", expr, err)
	}
	for i, ri := range prog {
		if ri.Op == 0x06 && ri.K != snaplen && ri.K != 0 { // ret #k
			t.Fatalf("%q: instruction %d returns %d, not the snapshot length or 0", expr, i, ri.K)
		}
		if ri.Op == 0x16 { // ret a
			t.Fatalf("%q: instruction %d returns A", expr, i)
		}
	}
}

// newXNetVM returns x/net/bpf's VM for prog, or nil when it cannot run it
// (it has no "neg").
func newXNetVM(prog []bpf.RawInstruction) *bpf.VM {
	typed := make([]bpf.Instruction, len(prog))
	for i, ri := range prog {
		typed[i] = ri.Disassemble()
		if _, ok := typed[i].(bpf.NegateA); ok {
			return nil
		}
	}
	vm, err := bpf.NewVM(typed)
	if err != nil {
		return nil
	}
	return vm
}

// FuzzParseDecimal reads any string as a -ddd program: no panic, and a
// program it accepts runs.
func FuzzParseDecimal(f *testing.F) {
	for _, expr := range corpus[:40] {
		prog, err := filter.Compile(expr, layers.LinkTypeEthernet, 0)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(dumpString(f, prog, filter.Decimal))
	}
	f.Add("2,40 0 0 12,6 0 0 1")
	f.Add("1\n6 0 0 4294967295\n")
	f.Add("3\n7 0 0 0\n135 0 0 0\n22 0 0 0\n")
	f.Fuzz(func(t *testing.T, src string) {
		prog, err := filter.ParseDecimal(src)
		if err != nil {
			return
		}
		m, err := filter.NewMatcher(prog)
		if err != nil {
			t.Fatalf("%q: parsed but does not run: %v", src, err)
		}
		for _, n := range []int{0, 1, 14, 60} {
			m.Run(make([]byte, n), n)
		}
	})
}
