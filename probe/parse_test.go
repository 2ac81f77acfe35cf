package probe

import (
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// An echo reply from 203.0.113.2 to 198.51.100.2 as a raw IPv4 socket
// receives it, TTL 62, identifier 0x1234, sequence 1, 8 data bytes:
//
//	0x0000:  4500 0024 abcd 0000 3e01 xxxx cb00 7102  E..$....>.....q.
//	0x0010:  c633 6402 0000 xxxx 1234 0001 0001 0203  .3d......4......
//	0x0020:  0405 0607                                ....
var echoReply4 = []byte{
	0x45, 0x00, 0x00, 0x24, 0xab, 0xcd, 0x00, 0x00, 0x3e, 0x01, 0x00, 0x00, 0xcb, 0x00, 0x71, 0x02,
	0xc6, 0x33, 0x64, 0x02, 0x00, 0x00, 0x00, 0x00, 0x12, 0x34, 0x00, 0x01, 0x00, 0x01, 0x02, 0x03,
	0x04, 0x05, 0x06, 0x07,
}

func init() {
	c := Checksum(echoReply4[20:])
	binary.BigEndian.PutUint16(echoReply4[22:], c)
}

func TestParseIPv4AndEcho(t *testing.T) {
	h, err := ParseIPv4(echoReply4)
	if err != nil {
		t.Fatal(err)
	}
	if h.Len != 20 || h.TTL != 62 || h.Protocol != 1 || h.Src != server4 || h.Dst.String() != "198.51.100.2" || h.TotalLen != 36 {
		t.Errorf("got %+v", h)
	}
	e, err := ParseEcho(echoReply4[h.Len:])
	if err != nil {
		t.Fatal(err)
	}
	if e.Type != icmpEchoReply || e.ID != 0x1234 || e.Seq != 1 || len(e.Data) != 8 || e.Data[7] != 7 {
		t.Errorf("got %+v", e)
	}
	if Checksum(echoReply4[h.Len:]) != 0 {
		t.Errorf("checksum of a good message: got %#x, want 0", Checksum(echoReply4[h.Len:]))
	}
	for _, bad := range [][]byte{nil, echoReply4[:19], append([]byte{0x65}, echoReply4[1:]...), append([]byte{0x4f}, echoReply4[1:]...)} {
		if _, err := ParseIPv4(bad); err == nil {
			t.Errorf("ParseIPv4(% x) = nil error", bad)
		}
	}
	if _, err := ParseEcho([]byte{0, 0, 0}); err == nil {
		t.Error("ParseEcho of 3 bytes: nil error")
	}
}

func TestAppendEcho(t *testing.T) {
	b := AppendEcho(nil, false, 0x1234, 1, []byte{0, 1, 2, 3, 4, 5, 6, 7})
	if b[0] != icmpEcho || string(b[4:]) != string(echoReply4[24:]) || Checksum(b) != 0 {
		t.Errorf("got % x, checksum %#x", b, Checksum(b))
	}
	b6 := AppendEcho(nil, true, 7, 2, nil)
	if want := []byte{128, 0, 0, 0, 0, 7, 0, 2}; string(b6) != string(want) {
		t.Errorf("ICMPv6: got % x, want % x", b6, want)
	}
}

// TestEchoFilter runs the BPF programs in the VM over packets that must
// pass and packets that must not.
func TestEchoFilter(t *testing.T) {
	vm4, err := bpf.NewVM(EchoFilter(false, 0x1234))
	if err != nil {
		t.Fatal(err)
	}
	request := append([]byte(nil), echoReply4...)
	request[20] = icmpEcho
	otherID := append([]byte(nil), echoReply4...)
	otherID[25] = 0x35
	withOptions := append(append([]byte{0x46}, echoReply4[1:20]...), 1, 1, 1, 0) // 4 bytes of NOPs
	withOptions = append(withOptions, echoReply4[20:]...)
	for _, tt := range []struct {
		name string
		pkt  []byte
		pass bool
	}{
		{"our reply", echoReply4, true},
		{"our reply after IP options", withOptions, true},
		{"an echo request", request, false},
		{"another identifier", otherID, false},
		{"truncated", echoReply4[:22], false},
	} {
		n, err := vm4.Run(tt.pkt)
		if err != nil {
			t.Fatal(err)
		}
		if (n > 0) != tt.pass {
			t.Errorf("IPv4 %s: got %d, want pass=%v", tt.name, n, tt.pass)
		}
	}
	vm6, err := bpf.NewVM(EchoFilter(true, 0x1234))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		pkt  []byte
		pass bool
	}{
		{[]byte{129, 0, 0, 0, 0x12, 0x34, 0, 1}, true},
		{[]byte{128, 0, 0, 0, 0x12, 0x34, 0, 1}, false},
		{[]byte{129, 0, 0, 0, 0x12, 0x35, 0, 1}, false},
		{[]byte{1, 0, 0, 0, 0, 0, 0, 0}, false},
	} {
		if n, _ := vm6.Run(tt.pkt); (n > 0) != tt.pass {
			t.Errorf("IPv6 % x: got %d, want pass=%v", tt.pkt, n, tt.pass)
		}
	}
}

func TestTCPFilter(t *testing.T) {
	// A SYN-ACK from port 80 to port 40001, after a 20-byte IPv4 header.
	seg := make([]byte, 40)
	seg[0] = 0x45
	binary.BigEndian.PutUint16(seg[20:], 80)
	binary.BigEndian.PutUint16(seg[22:], 40001)
	vm, err := bpf.NewVM(TCPFilter(false, 80, 40000, 10))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		sport, dport uint16
		pass         bool
	}{{80, 40001, true}, {80, 40000, true}, {80, 40009, true}, {80, 40010, false}, {80, 39999, false}, {81, 40001, false}} {
		binary.BigEndian.PutUint16(seg[20:], tt.sport)
		binary.BigEndian.PutUint16(seg[22:], tt.dport)
		if n, _ := vm.Run(seg); (n > 0) != tt.pass {
			t.Errorf("%d→%d: got %d, want pass=%v", tt.sport, tt.dport, n, tt.pass)
		}
	}
	vm6, err := bpf.NewVM(TCPFilter(true, 443, 50000, 2))
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := vm6.Run([]byte{0x01, 0xbb, 0xc3, 0x51, 0, 0, 0, 0}); n == 0 {
		t.Error("IPv6 443→50001 did not pass")
	}
}

// cmsg builds one control message as the kernel lays it out.
func cmsg(level, typ int32, data []byte) []byte {
	b := make([]byte, unix.CmsgSpace(len(data)))
	h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
	h.Level, h.Type = level, typ
	h.SetLen(unix.CmsgLen(len(data)))
	copy(b[unix.CmsgLen(0):], data)
	return b
}

func TestParseControls(t *testing.T) {
	ttl := make([]byte, 4)
	binary.NativeEndian.PutUint32(ttl, 62)
	// A sock_extended_err for time exceeded from 198.51.100.1.
	ee := make([]byte, 16+16)
	binary.NativeEndian.PutUint32(ee, uint32(syscall.EHOSTUNREACH))
	ee[4], ee[5], ee[6] = eeOriginICMP, icmpTimeExceeded, 0
	binary.NativeEndian.PutUint16(ee[16:], unix.AF_INET)
	copy(ee[20:], []byte{198, 51, 100, 1})
	oob := append(cmsg(unix.IPPROTO_IP, unix.IP_TTL, ttl), cmsg(unix.IPPROTO_IP, unix.IP_RECVERR, ee)...)
	c, err := parseControls(oob)
	if err != nil {
		t.Fatal(err)
	}
	if c.TTL != 62 || c.Err == nil || c.Err.Errno != syscall.EHOSTUNREACH || c.Err.Type != icmpTimeExceeded || c.Err.Offender != router4 {
		t.Errorf("got %+v, %+v", c, c.Err)
	}
	// IPv6: a hop limit and an offender in a sockaddr_in6.
	ee6 := make([]byte, 16+28)
	ee6[4], ee6[5] = eeOriginICMP6, icmp6TimeExceeded
	binary.NativeEndian.PutUint16(ee6[16:], unix.AF_INET6)
	copy(ee6[24:], router6.AsSlice())
	binary.NativeEndian.PutUint32(ttl, 61)
	c, err = parseControls(append(cmsg(unix.IPPROTO_IPV6, unix.IPV6_HOPLIMIT, ttl), cmsg(unix.IPPROTO_IPV6, unix.IPV6_RECVERR, ee6)...))
	if err != nil || c.TTL != 61 || c.Err.Offender != router6 || c.Err.Origin != eeOriginICMP6 {
		t.Errorf("IPv6: got %+v, %+v, %v", c, c.Err, err)
	}
	if _, err := parseControls(cmsg(unix.IPPROTO_IP, unix.IP_RECVERR, ee[:8])); err == nil {
		t.Error("a short extended error parsed")
	}
}

// fakeNames resolves names for Resolve and DNSNamer tests.
type fakeNames struct {
	addrs map[string][]netip.Addr
	names map[string][]string
	err   error
}

func (f fakeNames) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if f.err != nil {
		return nil, f.err
	}
	if a, ok := f.addrs[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func (f fakeNames) LookupAddr(_ context.Context, addr string) ([]string, error) {
	if n, ok := f.names[addr]; ok {
		return n, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: addr, IsNotFound: true}
}

func TestResolve(t *testing.T) {
	r := fakeNames{addrs: map[string][]netip.Addr{
		"both": {server6, server4},
		"v4":   {server4},
	}}
	for _, tt := range []struct {
		host    string
		fam     Family
		want    string
		numeric bool
		err     string
	}{
		{"203.0.113.2", AnyFamily, "203.0.113.2", true, ""},
		{"::ffff:203.0.113.2", AnyFamily, "203.0.113.2", true, ""},
		{"2001:db8:2::2", IPv4, "", true, "2001:db8:2::2: Address family for hostname not supported"},
		{"both", AnyFamily, "2001:db8:2::2", false, ""},
		{"both", IPv4, "203.0.113.2", false, ""},
		{"v4", IPv6, "", false, "v4: Address family for hostname not supported"},
		{"nosuch", AnyFamily, "", false, "nosuch: Name or service not known"},
		{"", AnyFamily, "", false, ": Name or service not known"},
	} {
		a, numeric, err := Resolve(context.Background(), r, tt.host, tt.fam)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("%q: got error %v, want %q", tt.host, err, tt.err)
			}
			continue
		}
		if err != nil || a.String() != tt.want || numeric != tt.numeric {
			t.Errorf("%q: got %v, %v, %v; want %s, %v", tt.host, a, numeric, err, tt.want, tt.numeric)
		}
	}
	_, _, err := Resolve(context.Background(), fakeNames{err: &net.DNSError{Err: "timeout", IsTimeout: true}}, "x", AnyFamily)
	if err == nil || err.Error() != "x: Temporary failure in name resolution" {
		t.Errorf("temporary failure: got %v", err)
	}
}

func TestNamers(t *testing.T) {
	r := fakeNames{names: map[string][]string{"203.0.113.2": {"server.example."}}}
	n := &DNSNamer{Resolver: r}
	if got := n.Name(server4); got != "server.example (203.0.113.2)" {
		t.Errorf("DNSNamer: got %q", got)
	}
	if got := n.Name(router4); got != "198.51.100.1" {
		t.Errorf("DNSNamer without a name: got %q", got)
	}
	tn := &TraceNamer{DNSNamer: DNSNamer{Resolver: r}}
	if got := tn.Name(router4); got != "198.51.100.1 (198.51.100.1)" {
		t.Errorf("TraceNamer without a name: got %q", got)
	}
	if got := tn.Name(server4); got != "server.example (203.0.113.2)" {
		t.Errorf("TraceNamer: got %q", got)
	}
}

func TestDescriptions(t *testing.T) {
	for _, tt := range []struct {
		e    ICMPError
		want string
	}{
		{ICMPError{Type: 11}, "Time to live exceeded"},
		{ICMPError{Type: 3, Code: 1}, "Destination Host Unreachable"},
		{ICMPError{Type: 3, Code: 13}, "Packet filtered"},
		{ICMPError{Type: 3, Code: 4, Info: 1400}, "Frag needed and DF set (mtu = 1400)"},
		{ICMPError{Type: 3, Code: 99}, "Dest Unreachable, Bad Code: 99"},
		{ICMPError{Type: 5, Code: 1, Info: 0xc0000201}, "Redirect Host(New nexthop: 192.0.2.1)"},
		{ICMPError{Type: 12, Info: 20}, "Parameter problem: pointer = 20"},
		{ICMPError{Type: 42}, "Bad ICMP type: 42"},
		{ICMPError{V6: true, Type: 3}, "Time exceeded: Hop limit"},
		{ICMPError{V6: true, Type: 1, Code: 3}, "Destination unreachable: Address unreachable"},
		{ICMPError{V6: true, Type: 1, Code: 9}, "Destination unreachable: Unknown code 9"},
		{ICMPError{V6: true, Type: 2, Info: 1280}, "Packet too big: mtu=1280"},
		{ICMPError{V6: true, Type: 4, Code: 1, Info: 40}, "Parameter problem: Unknown header at 40"},
		{ICMPError{V6: true, Type: 200}, "unknown icmp type: 200"},
	} {
		if got := tt.e.String(); got != tt.want {
			t.Errorf("%+v: got %q, want %q", tt.e, got, tt.want)
		}
	}
}
