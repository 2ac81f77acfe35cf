package craft

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// FuzzParse feeds the parser anything: it must not panic, and whatever it
// accepts must serialize, and decode back, for its first packets.
func FuzzParse(f *testing.F) {
	for _, c := range goldenCases {
		f.Add(c.expr)
	}
	for _, s := range []string{
		`ip(dst=[1.2.3.4, 5.6.7.8-9], ttl=1-3)/tcp(dport=20-25, flags=[S, SA])`,
		`ether()/ip()/icmp(type=time-exceeded)/ip(dst=1.2.3.4)/udp()/raw(size=100, load="ab")`,
		`ip(options=[hex:01020304, rr(1), ts, ra(7)])/igmp(type=0x11, qrv=3)`,
		`ip()/raw(load="\x00\n\t'")`, `ip(`, `ip(a=[{b=c}])`, `ip()/tcp(options=[sack(1,2,3,4)])`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		if strings.Contains(expr, "@") {
			return // a file name could be any file, even a device that never ends
		}
		tpl, err := Parse(expr)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Column < 1 || strings.Contains(err.Error(), "\n") {
				t.Fatalf("Parse(%q): bad error %T %q", expr, err, err)
			}
			return
		}
		b, err := NewBuilder(tpl, &Options{Seed: 1, Source: fixedSource})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3 && b.Next(); i++ {
			data := b.Bytes()
			first := b.Layers()[0].LayerType()
			gopacket.NewPacket(data, first, gopacket.Default)
			if _, err := Expr(data, first); err != nil {
				t.Fatalf("%s: Expr of %x: %v", expr, data, err)
			}
		}
		if err := b.Err(); err != nil && !errors.Is(err, errTooLong) {
			t.Fatalf("%s parses but does not build: %v", expr, err)
		}
	})
}

// FuzzExpr feeds Expr any bytes: it must not panic, and an expression it
// returns must rebuild the bytes exactly.
func FuzzExpr(f *testing.F) {
	for _, k := range kernelPackets {
		f.Add(mustHex(f, k.hex), uint8(0))
	}
	for _, c := range goldenCases {
		data, stacks := build(f, c.expr)
		n := uint8(1)
		switch firstType(stacks[0]) {
		case layers.LayerTypeEthernet:
			n = 0
		case layers.LayerTypeIPv6:
			n = 2
		}
		f.Add(data[0], n)
	}
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		first := []gopacket.LayerType{layers.LayerTypeEthernet, layers.LayerTypeIPv4, layers.LayerTypeIPv6}[which%3]
		if frags, err := FragmentIPv4(data, int(which), int(which/4)); err == nil && len(data) > 0 {
			var n int
			for _, f := range frags {
				n += len(f)
			}
			if n < int(which)/8*8 && len(frags) > 1 {
				t.Fatalf("FragmentIPv4 lost bytes: %d in fragments", n)
			}
		}
		expr, err := Expr(data, first)
		if err != nil {
			if min := map[gopacket.LayerType]int{layers.LayerTypeEthernet: 14, layers.LayerTypeIPv4: 20, layers.LayerTypeIPv6: 40}[first]; len(data) >= min {
				t.Fatalf("Expr(%x, %v): %v", data, first, err)
			}
			return
		}
		got, _ := build(t, expr)
		if len(got) != 1 || !bytes.Equal(got[0], data) {
			t.Fatalf("Expr(%x) = %s, which builds %x", data, expr, got)
		}
	})
}

// FuzzAnswers matches arbitrary bytes against a sent packet and the other
// way round: it must not panic.
func FuzzAnswers(f *testing.F) {
	sent := rebuild(&testing.T{}, `ip(src=198.51.100.2, dst=203.0.113.2, id=8)/udp(sport=5000, dport=33434)/raw(load="x")`)
	f.Add(rebuild(&testing.T{}, `ip(src=203.0.113.2, dst=198.51.100.2)/icmp(type=dest-unreach)/ip(src=198.51.100.2, dst=203.0.113.2, id=8)/udp(sport=5000, dport=33434)`))
	f.Add(rebuild(&testing.T{}, `ip6(src=2001:db8::2, dst=2001:db8::1)/icmp6(type=dest-unreach, code=4)/ip6(src=2001:db8::1, dst=2001:db8::2)/udp(sport=1, dport=2)`))
	f.Fuzz(func(t *testing.T, data []byte) {
		Answers(sent, layers.LayerTypeIPv4, data, layers.LayerTypeIPv4)
		Answers(data, layers.LayerTypeIPv4, sent, layers.LayerTypeIPv4)
		Answers(data, layers.LayerTypeEthernet, data, layers.LayerTypeIPv6)
	})
}
