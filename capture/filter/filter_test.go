package filter_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"

	"github.com/rawsock/rawsock/capture/filter"
)

func TestEmptyAcceptsEverything(t *testing.T) {
	for _, expr := range []string{"", "  ", "\t\n"} {
		prog, err := filter.Compile(expr, layers.LinkTypeEthernet, 0)
		if err != nil {
			t.Fatalf("%q: %v", expr, err)
		}
		if got, want := dumpString(t, prog, filter.Assembly), "(000) ret      #262144\n"; got != want {
			t.Errorf("%q: got %q, want %q", expr, got, want)
		}
	}
	prog, err := filter.Compile("", layers.LinkTypeRaw, 96)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := dumpString(t, prog, filter.Decimal), "1\n6 0 0 96\n"; got != want {
		t.Errorf("snaplen 96: got %q, want %q", got, want)
	}
}

// TestErrors checks that what the grammar does not cover is an error that
// names the offending token and its column.
func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		expr string
		col  int
		tok  string
		msg  string
	}{
		{"tcp port 80 and frobnicate", 17, "frobnicate", "port names are not looked up"},
		{"host 198.51.100.2 or frobnicate", 22, "frobnicate", "does not look up host names"},
		{"host foo.example", 6, "foo.example", "does not look up host names"},
		{"port http", 6, "http", "port names are not looked up"},
		{"gateway 192.0.2.1", 1, "gateway", "does not support"},
		{"ip and protochain 6", 8, "protochain", "does not support"},
		{"net 198.51.100.0/33", 18, "33", "longer than 32"},
		{"net 198.51.100.1/24", 5, "198.51.100.1", "outside the network mask"},
		{"net 198.51.100.0 mask 255.255.0.0", 5, "198.51.100.0", "outside the network mask"},
		{"host 198.51.100.256", 6, "198.51.100.256", "not a valid IPv4 address"},
		{"host 198.51.100.0/24", 6, "198.51.100.0", "goes with 'net'"},
		{"net 2001:db8::1/32", 5, "2001:db8::1", "outside the prefix"},
		{"port 65536", 6, "65536", "larger than 65535"},
		{"portrange 1-65536", 11, "1-65536", "larger than 65535"},
		{"portrange 1-2-3", 11, "1-2-3", "not a port range"},
		{"ip proto 300", 10, "300", "out of range"},
		{"(tcp or udp", 12, "", "ends too early"},
		{"tcp or udp)", 11, ")", "unexpected ')'"},
		{"((ip)", 6, "", "ends too early"},
		{"tcp[100000:4] = 0", 5, "100000", "past the end"},
		{"ip[65534:2] = 0", 4, "65534", "past the end"},
		{"tcp[0:3] = 0", 7, "3", "1, 2 or 4 bytes"},
		{"ip[0:8] = 0", 6, "8", "1, 2 or 4 bytes"},
		{"tcp port 80 80", 13, "80", "unexpected number"},
		{"ip[0] / 0 = 1", 7, "/", "division by zero"},
		{"ip[0] % (2 - 2) = 1", 7, "%", "division by zero"},
		{"ip[0] << 32 = 1", 7, "<<", "shifts go from 0 to 31"},
		{"ip host", 8, "", "ends too early"},
		{"ip6 host 198.51.100.2", 10, "198.51.100.2", "'ip6' goes with IPv6 addresses"},
		{"ip host 2001:db8::1", 9, "2001:db8::1", "'ip' goes with IPv4 addresses"},
		{"tcp host 198.51.100.2", 10, "198.51.100.2", "cannot qualify an address"},
		{"udp port 80 or 81 and 1.2.3.4", 23, "1.2.3.4", "needs a number, not an IP address"},
		{"host 02:00:00:00:00:01", 6, "02:00:00:00:00:01", "goes with 'ether host'"},
		{"ether host 02:00:00:00:00", 12, "02:00:00:00:00", "bad Ethernet address"},
		{"ether host 02:00:00:00:00:00:00", 12, "02:00:00:00:00:00:00", "bad Ethernet address"},
		{"tcp or 80", 8, "80", "has no qualifier"},
		{"ip proto \\nosuch", 10, "\\nosuch", "unknown IP protocol name"},
		{"ether proto 0xe0", 13, "0xe0", "IPX or AppleTalk"},
		{"vlan 4096", 6, "4096", "larger than 4095"},
		{"len-1 > 5", 1, "len-1", "unexpected name"},
		{"08 = len", 1, "08", "not octal"},
		{"0x1ffffffff = len", 1, "0x1ffffffff", "does not fit in 32 bits"},
		{"tcp # comment", 5, "#", "unexpected character"},
		{"ether", 1, "ether", "alone is not a test"},
		{"src port 22 and", 16, "", "ends too early"},
		{"not", 4, "", "ends too early"},
		{"less", 5, "", "ends too early"},
		{"tcp[13] &", 10, "", "ends too early"},
		{"tcp[13 = 2", 8, "=", "unexpected '='"},
		{"ip broadcast or TCP", 17, "TCP", "has no qualifier"},
		{"TCP", 1, "TCP", "unexpected name"},
	} {
		_, err := filter.Compile(tc.expr, layers.LinkTypeEthernet, 0)
		var fe *filter.Error
		if !errors.As(err, &fe) {
			t.Errorf("%q: got %v, want a *filter.Error", tc.expr, err)
			continue
		}
		if fe.Column != tc.col || fe.Token != tc.tok || !strings.Contains(fe.Msg, tc.msg) {
			t.Errorf("%q: got column %d token %q %q, want column %d token %q and %q",
				tc.expr, fe.Column, fe.Token, fe.Msg, tc.col, tc.tok, tc.msg)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: error is more than one line: %q", tc.expr, err)
		}
	}
}

func TestLinkErrors(t *testing.T) {
	for _, tc := range []struct {
		expr string
		link layers.LinkType
		msg  string
	}{
		{"vlan", layers.LinkTypeLinuxSLL, "needs Ethernet"},
		{"ether host 02:00:00:00:00:01", layers.LinkTypeRaw, "need Ethernet"},
		{"ether broadcast", layers.LinkTypeLinuxSLL2, "needs Ethernet"},
		{"tcp", layers.LinkTypePPP, "not supported on link type 9"},
		{"ip broadcast", layers.LinkTypeEthernet, ""},
	} {
		_, err := filter.Compile(tc.expr, tc.link, 0)
		switch {
		case tc.msg == "" && err != nil:
			t.Errorf("%q on %v: %v", tc.expr, tc.link, err)
		case tc.msg != "" && (err == nil || !strings.Contains(err.Error(), tc.msg)):
			t.Errorf("%q on %v: got %v, want an error with %q", tc.expr, tc.link, err, tc.msg)
		}
	}
	if _, err := filter.CompileOptions("ip broadcast", layers.LinkTypeEthernet, 0, &filter.Options{Netmask: 0xffffffff}); err == nil {
		t.Error("ip broadcast with an unknown netmask compiles")
	}
}

// TestNetmask checks "ip broadcast" with the netmask of a live interface.
func TestNetmask(t *testing.T) {
	prog, err := filter.CompileOptions("ip broadcast", layers.LinkTypeRaw, 0, &filter.Options{Netmask: 0xffffff00})
	if err != nil {
		t.Fatal(err)
	}
	m, err := filter.NewMatcher(prog)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		dst  []byte
		want bool
	}{{[]byte{198, 51, 100, 255}, true}, {[]byte{198, 51, 100, 0}, true}, {[]byte{198, 51, 100, 7}, false}} {
		p := raw4(t, client, tc.dst, 17, []byte("x"))
		if got := m.Match(p, len(p)); got != tc.want {
			t.Errorf("to %v: got %v, want %v", tc.dst, got, tc.want)
		}
	}
}

// TestCheck feeds Check programs the kernel refuses.
func TestCheck(t *testing.T) {
	ret := bpf.RetConstant{Val: 1}
	for _, tc := range []struct {
		name string
		prog []bpf.Instruction
		msg  string
	}{
		{"empty", nil, "1 to 4096"},
		{"too long", make([]bpf.Instruction, 4097), "1 to 4096"},
		{"no return", []bpf.Instruction{bpf.LoadConstant{Dst: bpf.RegA, Val: 1}}, "does not end with a return"},
		{"jump past the end", []bpf.Instruction{bpf.JumpIf{Cond: bpf.JumpEqual, SkipTrue: 5}, ret}, "past the end"},
		{"ja past the end", []bpf.Instruction{bpf.Jump{Skip: 1}, ret}, "past the end"},
		{"read before write", []bpf.Instruction{bpf.LoadScratch{Dst: bpf.RegA, N: 3}, ret}, "before any write"},
		{"read on one path", []bpf.Instruction{
			bpf.JumpIf{Cond: bpf.JumpEqual, SkipTrue: 1},
			bpf.StoreScratch{Src: bpf.RegA, N: 2},
			bpf.LoadScratch{Dst: bpf.RegX, N: 2}, ret}, "before any write"},
		{"division by zero", []bpf.Instruction{bpf.ALUOpConstant{Op: bpf.ALUOpDiv, Val: 0}, ret}, "division by zero"},
		{"shift", []bpf.Instruction{bpf.ALUOpConstant{Op: bpf.ALUOpShiftLeft, Val: 32}, ret}, "shift"},
		{"ancillary data", []bpf.Instruction{bpf.LoadExtension{Num: bpf.ExtProto}, ret}, "ancillary"},
	} {
		if tc.name == "too long" {
			for i := range tc.prog {
				tc.prog[i] = ret
			}
		}
		raw, err := bpf.Assemble(tc.prog)
		if err != nil {
			t.Fatal(err)
		}
		err = filter.Check(raw)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: got %v, want an error with %q", tc.name, err, tc.msg)
		}
		if _, err := filter.NewMatcher(raw); err == nil {
			t.Errorf("%s: NewMatcher accepts it", tc.name)
		}
	}
	ok := []bpf.Instruction{
		bpf.JumpIf{Cond: bpf.JumpEqual, SkipTrue: 1},
		bpf.StoreScratch{Src: bpf.RegA, N: 2},
		bpf.StoreScratch{Src: bpf.RegA, N: 2},
		bpf.LoadScratch{Dst: bpf.RegX, N: 2}, ret}
	raw, err := bpf.Assemble(ok)
	if err != nil {
		t.Fatal(err)
	}
	if err := filter.Check(raw); err != nil {
		t.Errorf("written on both paths: %v", err)
	}
}

func TestDecimal(t *testing.T) {
	want, err := filter.Compile("tcp port 80", layers.LinkTypeEthernet, 0)
	if err != nil {
		t.Fatal(err)
	}
	ddd := dumpString(t, want, filter.Decimal)
	commas := strings.ReplaceAll(strings.TrimSpace(ddd), "\n", ",")
	for _, src := range []string{ddd, commas, "  " + ddd + "\n\n"} {
		got, err := filter.ParseDecimal(src)
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		if dumpString(t, got, filter.Assembly) != dumpString(t, want, filter.Assembly) {
			t.Errorf("%q: parsed program differs", src)
		}
		// Compile takes it too, whatever the link type.
		got, err = filter.Compile(src, layers.LinkTypeLinuxSLL, 0)
		if err != nil || len(got) != len(want) {
			t.Errorf("Compile(%q): %v, %d instructions", src, err, len(got))
		}
	}
	for _, tc := range []struct{ src, msg string }{
		{"2\n6 0 0 1\n", "has 1 lines"},
		{"1\n6 0 0\n", "is not \"code jt jf k\""},
		{"1\n6 0 0 99999999999\n", "is not \"code jt jf k\""},
		{"0\n", "1 to 4096"},
		{"2\n21 5 0 1\n6 0 0 1\n", "past the end"},
		{"1\n40 0 0 12\n", "does not end with a return"},
	} {
		if _, err := filter.ParseDecimal(tc.src); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%q: got %v, want an error with %q", tc.src, err, tc.msg)
		}
	}
}

// TestMatcherAllocations checks that matching allocates nothing.
func TestMatcherAllocations(t *testing.T) {
	prog, err := filter.Compile("tcp port 80 and (tcp[tcpflags] & tcp-syn != 0 or len > 1000)", layers.LinkTypeEthernet, 0)
	if err != nil {
		t.Fatal(err)
	}
	m, err := filter.NewMatcher(prog)
	if err != nil {
		t.Fatal(err)
	}
	p := fixtures(t)[0].packets[2]
	if allocs := testing.AllocsPerRun(1000, func() { m.Match(p.data, p.wireLen) }); allocs != 0 {
		t.Errorf("Match allocates %v times per packet, want 0", allocs)
	}
}

// TestMatcherAgreesWithXNet runs every corpus program in the Matcher and in
// golang.org/x/net/bpf's VM over every fixture packet.
func TestMatcherAgreesWithXNet(t *testing.T) {
	for _, f := range fixtures(t) {
		for _, expr := range corpus {
			prog, err := filter.Compile(expr, f.link, 0)
			if err != nil {
				continue
			}
			m, err := filter.NewMatcher(prog)
			if err != nil {
				t.Fatalf("%q: %v", expr, err)
			}
			typed := make([]bpf.Instruction, len(prog))
			for i, ri := range prog {
				typed[i] = ri.Disassemble()
			}
			vm, err := bpf.NewVM(typed)
			if err != nil {
				t.Fatalf("%q: x/net/bpf refuses it: %v", expr, err)
			}
			for i, p := range f.packets {
				// x/net/bpf's "len" is the captured length.
				want, err := vm.Run(p.data)
				if err != nil {
					if strings.Contains(err.Error(), "NegateA") {
						break // x/net/bpf's VM has no "neg"
					}
					t.Fatal(err)
				}
				if got := m.Match(p.data, len(p.data)); got != (want != 0) {
					t.Errorf("%s %q packet %d: Matcher %v, x/net/bpf %v", f.name, expr, i, got, want != 0)
				}
			}
		}
	}
}
