package scan

import (
	"net/netip"
	"testing"

	"golang.org/x/net/bpf"
)

// newVM loads a program the way the kernel would receive it: as raw
// instructions, disassembled again for x/net/bpf's interpreter.
func newVM(t testing.TB, raw []bpf.RawInstruction) *bpf.VM {
	t.Helper()
	ins := make([]bpf.Instruction, len(raw))
	for i, r := range raw {
		ins[i] = r.Disassemble()
	}
	vm, err := bpf.NewVM(ins)
	if err != nil {
		t.Fatalf("the kernel would refuse the program: %v", err)
	}
	return vm
}

// TestFilters runs each receive socket's program over the captured answers
// and over packets that are no answer of this scan.
func TestFilters(t *testing.T) {
	other4 := netip.MustParseAddr("198.51.100.9").As4()
	tcp4 := replyFilter(target4, protoTCP, testCodec(SYN, false).sport)
	udp4 := replyFilter(target4, protoUDP, testCodec(UDP, false).sport)
	icmpTCP4, icmpUDP4 := icmpFilter(target4, protoTCP), icmpFilter(target4, protoUDP)
	tcp6 := replyFilter(target6, protoTCP, testCodec(SYN, true).sport)
	udp6 := replyFilter(target6, protoUDP, testCodec(UDP, true).sport)
	icmpTCP6, icmpUDP6 := icmpFilter(target6, protoTCP), icmpFilter(target6, protoUDP)
	tests := []struct {
		name   string
		prog   []bpf.RawInstruction
		pkt    string
		v6     bool
		change func([]byte)
		pass   bool
	}{
		{"syn-ack", tcp4, synAck4from22, false, nil, true},
		{"reset", tcp4, rst4from81, false, nil, true},
		{"syn-ack from another host", tcp4, synAck4from22, false, func(b []byte) { copy(b[12:], other4[:]) }, false},
		{"syn-ack to another port", tcp4, synAck4from22, false, func(b []byte) { b[23]++ }, false},
		{"later fragment", tcp4, synAck4from22, false, func(b []byte) { b[7] = 8 }, false},
		{"first fragment", tcp4, synAck4from22, false, func(b []byte) { b[6] |= 0x20 }, true},
		{"options in the IP header", tcp4, synAck4from22, false, func(b []byte) { b[0] = 0x46 }, false},
		{"udp on the tcp socket", tcp4, udp4from53, false, nil, false},
		{"udp answer", udp4, udp4from53, false, nil, true},
		{"udp answer to another port", udp4, udp4from53, false, func(b []byte) { b[23]++ }, false},
		{"icmp prohibited, tcp", icmpTCP4, prohibited4tcp8443, false, nil, true},
		{"icmp prohibited, udp", icmpUDP4, prohibited4udp5001, false, nil, true},
		{"icmp port unreachable", icmpUDP4, portUnreach4udp54, false, nil, true},
		{"icmp time exceeded", icmpUDP4, portUnreach4udp54, false, func(b []byte) { b[20] = 11 }, true},
		{"icmp quoting udp, tcp scan", icmpTCP4, portUnreach4udp54, false, nil, false},
		{"icmp echo reply", icmpUDP4, portUnreach4udp54, false, func(b []byte) { b[20] = 0 }, false},
		{"icmp about another host", icmpUDP4, portUnreach4udp54, false, func(b []byte) { copy(b[8+20+16:], other4[:]) }, false},
		{"icmp from a router", icmpUDP4, portUnreach4udp54, false, func(b []byte) { copy(b[12:], other4[:]) }, true},
		{"syn-ack6", tcp6, synAck6from22, true, nil, true},
		{"reset6", tcp6, rst6from81, true, nil, true},
		{"syn-ack6 to another port", tcp6, synAck6from22, true, func(b []byte) { b[40+3]++ }, false},
		{"udp6 answer", udp6, udp6from53, true, nil, true},
		{"icmp6 prohibited, tcp", icmpTCP6, prohibited6tcp8443, true, nil, true},
		{"icmp6 port unreachable", icmpUDP6, portUnreach6udp54, true, nil, true},
		{"icmp6 quoting udp, tcp scan", icmpTCP6, portUnreach6udp54, true, nil, false},
		{"icmp6 about another host", icmpUDP6, portUnreach6udp54, true, func(b []byte) { b[40+8+39] = 9 }, false},
		{"icmp6 echo reply", icmpUDP6, portUnreach6udp54, true, func(b []byte) { b[40] = 129 }, false},
		{"icmp6 time exceeded", icmpUDP6, portUnreach6udp54, true, func(b []byte) { b[40] = 3 }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkt := unhex(t, tt.pkt)
			if tt.change != nil {
				tt.change(pkt)
			}
			if tt.v6 {
				pkt = pkt[ipv6Len:] // what a raw IPv6 socket's program sees
			}
			n, err := newVM(t, tt.prog).Run(pkt)
			if err != nil {
				t.Fatal(err)
			}
			if got := n > 0; got != tt.pass {
				t.Errorf("program returned %d, want pass=%v", n, tt.pass)
			}
			if tt.pass && n < min(len(pkt), snapLen) {
				t.Errorf("program kept %d bytes of %d, want all up to %d", n, len(pkt), snapLen)
			}
		})
	}
}

// TestFiltersPassWhatTheCodecTakes checks the programs against the codec on
// every fixture: the kernel must never drop an answer the codec would take.
func TestFiltersPassWhatTheCodecTakes(t *testing.T) {
	for _, pkt := range fixturePackets(t) {
		for _, m := range []Method{SYN, UDP} {
			for _, icmp := range []bool{false, true} {
				checkFilterCovers(t, m, icmp, pkt)
			}
		}
	}
}

// checkFilterCovers fails t when the codec of a method takes pkt (an
// IPv4 or IPv6 packet) but the matching program drops it.
func checkFilterCovers(t testing.TB, m Method, icmp bool, pkt []byte) {
	t.Helper()
	if len(pkt) == 0 {
		return
	}
	v6 := pkt[0]>>4 == 6
	c := testCodec(m, v6)
	rep, ok := recognize(c, pkt[:min(len(pkt), snapLen+ipv6Len)], icmp)
	if !ok {
		return
	}
	proto := uint8(protoTCP)
	if m == UDP {
		proto = protoUDP
	}
	prog := replyFilter(c.dst, proto, c.sport)
	if icmp {
		prog = icmpFilter(c.dst, proto)
	}
	seen := pkt
	if v6 {
		seen = pkt[ipv6Len:]
	}
	n, err := newVM(t, prog).Run(seen)
	if err != nil || n == 0 {
		t.Fatalf("%v icmp=%v: codec takes % x as %+v, the program drops it (%d, %v)", m, icmp, pkt, rep, n, err)
	}
	// What the program keeps must still be enough for the codec.
	kept := append([]byte(nil), pkt[:len(pkt)-len(seen)+min(n, len(seen))]...)
	if _, ok := recognize(c, kept, icmp); !ok {
		t.Fatalf("%v icmp=%v: the %d bytes the program keeps of % x are not enough for the codec", m, icmp, n, pkt)
	}
}

func fixturePackets(t testing.TB) [][]byte {
	var out [][]byte
	for _, s := range []string{
		syn4to22, syn4to81, syn4to8443, synAck4from22, rst4from81, prohibited4tcp8443, ourRST4to22,
		udp4to53, udp4to54, udp4to5001, udp4from53, portUnreach4udp54, prohibited4udp5001,
		syn6to22, syn6to81, syn6to8443, synAck6from22, rst6from81, prohibited6tcp8443, ourRST6to22,
		udp6to53, udp6to54, udp6to5001, udp6from53, portUnreach6udp54, prohibited6udp5001,
	} {
		out = append(out, unhex(t, s))
	}
	return out
}
