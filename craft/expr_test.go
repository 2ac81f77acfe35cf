package craft

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// rebuild parses expr and builds its single packet.
func rebuild(t *testing.T, expr string) []byte {
	t.Helper()
	got, _ := build(t, expr)
	if len(got) != 1 {
		t.Fatalf("%s makes %d packets, want 1", expr, len(got))
	}
	return got[0]
}

// TestExprGolden writes every golden packet as an expression and builds
// it again: the bytes are the same, and a packet that is not broken needs
// no checksum or length written out.
func TestExprGolden(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			data, stacks := build(t, c.expr)
			expr, err := Expr(data[0], firstType(stacks[0]))
			if err != nil {
				t.Fatal(err)
			}
			if got := rebuild(t, expr); !bytes.Equal(got, data[0]) {
				t.Fatalf("Expr gave %s\nwhich builds %x\n        want %x", expr, got, data[0])
			}
			if !c.broken && (strings.Contains(expr, "chksum=") || strings.Contains(expr, "len=")) {
				t.Errorf("Expr wrote computed fields of a sound packet: %s", expr)
			}
		})
	}
}

// Packets the Linux kernel made on a loopback, captured with tcpdump -xx
// (Ethernet with zero addresses).
var kernelPackets = []struct {
	name, hex string
	want      string // the expression, when the test pins it
}{
	{"ping echo request", `
	0000 0000 0000 0000 0000 0000 0800 4500 0054 194c 4000 4001 235b 7f00 0001 7f00
	0001 0800 0df0 5eef 0001 48eb 056b 0000 0000 77f6 0600 0000 0000 1011 1213 1415
	1617 1819 1a1b 1c1d 1e1f 2021 2223 2425 2627 2829 2a2b 2c2d 2e2f 3031 3233 3435
	3637`,
		`ether(dst=00:00:00:00:00:00, src=00:00:00:00:00:00)/ip(id=6476, flags=DF, src=127.0.0.1, dst=127.0.0.1)/` +
			`icmp(type=echo-request, id=24303, seq=1)/raw(load=hex:48eb056b0000000077f6060000000000101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637)`},
	{"ping echo reply", `
	0000 0000 0000 0000 0000 0000 0800 4500 0054 194d 0000 4001 635a 7f00 0001 7f00
	0001 0000 15f0 5eef 0001 48eb 056b 0000 0000 77f6 0600 0000 0000 1011 1213 1415
	1617 1819 1a1b 1c1d 1e1f 2021 2223 2425 2627 2829 2a2b 2c2d 2e2f 3031 3233 3435
	3637`, ""},
	{"ping6 echo request", `
	0000 0000 0000 0000 0000 0000 86dd 6003 8a5b 0012 3a40 0000 0000 0000 0000 0000
	0000 0000 0001 0000 0000 0000 0000 0000 0000 0000 0001 8000 0ca7 5ef0 0001 0001
	0203 0405 0607 0809`,
		`ether(dst=00:00:00:00:00:00, src=00:00:00:00:00:00)/ip6(fl=232027, src=::1, dst=::1)/icmp6(type=echo-request, id=24304, seq=1)/raw(load=hex:00010203040506070809)`},
	{"udp port unreachable", `
	0000 0000 0000 0000 0000 0000 0800 45c0 003b 194e 0000 4001 62b2 7f00 0001 7f00
	0001 0303 0446 0000 0000 4500 001f bafb 4000 4011 81d0 7f00 0001 7f00 0001 881a
	0009 000b fe1e 6869 0a`,
		`ether(dst=00:00:00:00:00:00, src=00:00:00:00:00:00)/ip(tos=0xc0, id=6478, src=127.0.0.1, dst=127.0.0.1)/` +
			`icmp(type=dest-unreach, code=port-unreachable)/ip(id=47867, flags=DF, src=127.0.0.1, dst=127.0.0.1)/udp(sport=34842, dport=9, chksum=0xfe1e)/raw(load="hi\n")`},
	{"tcp syn (checksum left to the NIC)", `
	0000 0000 0000 0000 0000 0000 0800 4500 003c 2764 4000 4006 1556 7f00 0001 7f00
	0001 b65c 1f90 9a28 a398 0000 0000 a002 ffd7 fe30 0000 0204 ffd7 0402 080a 078c
	a1ec 0000 0000 0103 030a`,
		`ether(dst=00:00:00:00:00:00, src=00:00:00:00:00:00)/ip(id=10084, flags=DF, src=127.0.0.1, dst=127.0.0.1)/` +
			`tcp(sport=46684, dport=8080, seq=2586354584, flags=S, window=65495, chksum=0xfe30, options=[mss(65495), sackok, ts(126657004, 0), nop, wscale(10)])`},
	{"tcp syn-ack", `
	0000 0000 0000 0000 0000 0000 0800 4500 003c 0000 4000 4006 3cba 7f00 0001 7f00
	0001 1f90 b65c f843 e3ef 9a28 a399 a012 ffcb fe30 0000 0204 ffd7 0402 080a fa7c
	cb04 078c a1ec 0103 030a`, ""},
	{"tcp data", `
	0000 0000 0000 0000 0000 0000 0800 4500 0036 2766 4000 4006 155a 7f00 0001 7f00
	0001 b65c 1f90 9a28 a399 f843 e3f0 8018 0040 fe2a 0000 0101 080a 078c a1ec fa7c
	cb04 780a`, ""},
}

func TestExprKernelPackets(t *testing.T) {
	for _, k := range kernelPackets {
		t.Run(k.name, func(t *testing.T) {
			data := mustHex(t, k.hex)
			expr, err := Expr(data, layers.LayerTypeEthernet)
			if err != nil {
				t.Fatal(err)
			}
			if k.want != "" && expr != k.want {
				t.Errorf("Expr:\n got %s\nwant %s", expr, k.want)
			}
			if got := rebuild(t, expr); !bytes.Equal(got, data) {
				t.Errorf("%s\nbuilds %x\n  want %x", expr, got, data)
			}
		})
	}
}

// TestExprEdit is capture, edit, resend: a field changed in the expression
// gives a packet whose checksum follows.
func TestExprEdit(t *testing.T) {
	data := mustHex(t, kernelPackets[0].hex)
	expr, err := Expr(data, layers.LayerTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(expr, "/ip(", "/ip(ttl=3, ", 1)
	p := gopacket.NewPacket(rebuild(t, edited), layers.LayerTypeEthernet, gopacket.Default)
	ip, _ := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	if ip == nil || ip.TTL != 3 {
		t.Fatalf("edited packet: %v", p)
	}
	if err, bad := p.VerifyChecksums(); err != nil || len(bad) > 0 {
		t.Errorf("edited packet has wrong checksums: %v %v", err, bad)
	}
}

// TestExprOddPackets covers what decodes only in part: padding after an IP
// packet in a frame, a header length longer than the data, a cut TCP
// header, fragments, unknown protocols and Ethernet types.
func TestExprOddPackets(t *testing.T) {
	tests := []struct {
		name  string
		first gopacket.LayerType
		hex   string
		want  string // a substring of the expression
	}{
		{"ethernet padding", layers.LayerTypeEthernet, `
		0200 0000 0002 0200 0000 0001 0800 4500 001c 0001 0000 4001 14a8 c633 6402 cb00
		7102 0800 f7fd 0001 0001 0000 0000 0000 0000 0000 0000 0000`, "trailer=hex:0000000000000000000000000000)/ip(id=1, src"},
		{"ihl beyond the data", layers.LayerTypeIPv4, `
		4f00 0018 0001 0000 4001 0000 c633 6402 cb00 7102 0102 0304`, "ihl=15"},
		{"tcp cut short", layers.LayerTypeIPv4, `
		4500 0020 0001 0000 4006 0000 c633 6402 cb00 7102 0001 0002 0000 0003`, "raw(load=hex:0001000200000003)"},
		{"fragment", layers.LayerTypeIPv4, `
		4500 0020 0001 2000 4001 0000 c633 6402 cb00 7102 0800 f7fd 0001 0001 0000 0000`, "flags=MF"},
		{"later fragment", layers.LayerTypeIPv4, `
		4500 001c 0001 0001 4001 0000 c633 6402 cb00 7102 0800 f7fd 0001 0001`, "frag=1"},
		{"unknown ethernet type", layers.LayerTypeEthernet, `
		0200 0000 0002 0200 0000 0001 88b5 0102 0304`, "type=0x88b5"},
		{"short frame", layers.LayerTypeEthernet, `0200 0000 0002`, ""},
		{"udp length lies", layers.LayerTypeIPv4, `
		4500 001d 0001 0000 4011 0000 c633 6402 cb00 7102 1388 0035 00ff 0000 78`, "len=255"},
		{"igmp v3 report cut short", layers.LayerTypeIPv4, `
		4500 0020 0001 0000 0102 0000 c633 6402 e000 0016 2200 0000 0000 0005 0400 0000`, "raw(load=hex:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := mustHex(t, tt.hex)
			expr, err := Expr(data, tt.first)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("Expr succeeded: %s", expr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(expr, tt.want) {
				t.Errorf("Expr gave %s, want it to contain %s", expr, tt.want)
			}
			if got := rebuild(t, expr); !bytes.Equal(got, data) {
				t.Errorf("%s\nbuilds %x\n  want %x", expr, got, data)
			}
		})
	}
}
