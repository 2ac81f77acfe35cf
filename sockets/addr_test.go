package sockets

import (
	"bytes"
	"encoding/hex"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
	"unsafe"
)

func TestParseAddr(t *testing.T) {
	tests := []struct {
		family Family
		in     string
		want   Addr
	}{
		{UNSPEC, "127.0.0.1:80", Inet(netip.MustParseAddr("127.0.0.1"), 80)},
		{UNSPEC, "[::1]:8080", Inet(netip.MustParseAddr("::1"), 8080)},
		{UNSPEC, "[fe80::1%2]:53", Inet(netip.MustParseAddr("fe80::1%2"), 53)},
		{UNSPEC, "192.0.2.1", Inet(netip.MustParseAddr("192.0.2.1"), 0)},
		{UNSPEC, "2001:db8::1", Inet(netip.MustParseAddr("2001:db8::1"), 0)},
		{UNSPEC, ":9000", Inet(netip.IPv4Unspecified(), 9000)},
		{INET6, ":9000", Inet(netip.IPv6Unspecified(), 9000)},
		{INET, "[::ffff:127.0.0.1]:1", Inet(netip.MustParseAddr("127.0.0.1"), 1)},
		{INET, "127.0.0.1:65535", Inet(netip.MustParseAddr("127.0.0.1"), 65535)},
		{UNSPEC, "/run/x.sock", Unix("/run/x.sock")},
		{UNSPEC, "./x.sock", Unix("./x.sock")},
		{UNIX, "x.sock", Unix("x.sock")},
		{UNSPEC, "@rawsock", Unix("@rawsock")},
		{UNSPEC, "tipc:1000:7", TIPCService(1000, 7)},
		{UNSPEC, "lo", Packet(1, 0)},
		{PACKET, "lo", Packet(1, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseAddr(tt.family, tt.in)
			if err != nil {
				if strings.Contains(err.Error(), "no network interface") {
					t.Skip(err) // no loopback interface at index 1 here
				}
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestParseAddrErrors(t *testing.T) {
	tests := []struct {
		family Family
		in     string
		want   string // substring of the one-line error
	}{
		{UNSPEC, "", "empty address"},
		{UNSPEC, "127.0.0.1:70000", "port 70000 out of range"},
		{UNSPEC, "127.0.0.1:99999999999999999999", "out of range"},
		{UNSPEC, "127.0.0.1:http", `invalid port "http"`},
		{UNSPEC, "127.0.0.1:-1", `invalid port "-1"`},
		{UNSPEC, "localhost:80", `invalid IP address "localhost"`},
		{UNSPEC, "300.1.2.3:80", `invalid IP address "300.1.2.3"`},
		{UNSPEC, "1.2.3", `invalid IP address "1.2.3"`},
		{UNSPEC, "[::1", "[::1]:80"},
		{INET, "[::1]:80", "family is inet"},
		{UNSPEC, "@", "is empty"},
		{UNIX, strings.Repeat("x", 200), "the kernel allows 107"},
		{UNIX, "a\x00b", "NUL"},
		{UNSPEC, "tipc:x:1", "tipc:TYPE:INSTANCE"},
		{UNSPEC, "nosuchif0", `no network interface "nosuchif0"`},
		{Family(99), "x", "unsupported address family"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseAddr(tt.family, tt.in)
			if err == nil {
				t.Fatalf("got no error, want one containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("got %q, want one line containing %q", err, tt.want)
			}
		})
	}
}

func TestFamilyAndTypeNames(t *testing.T) {
	for _, f := range []Family{INET, INET6, UNIX, PACKET, TIPC} {
		got, err := ParseFamily("AF_" + strings.ToUpper(f.String()))
		if err != nil || got != f {
			t.Errorf("ParseFamily(%v): got %v, %v", f, got, err)
		}
	}
	for _, ty := range []Type{STREAM, DGRAM, RAW, SEQPACKET, RDM} {
		got, err := ParseType("SOCK_" + strings.ToUpper(ty.String()))
		if err != nil || got != ty {
			t.Errorf("ParseType(%v): got %v, %v", ty, got, err)
		}
	}
	if _, err := ParseFamily("appletalk"); err == nil {
		t.Error("ParseFamily(appletalk): got no error")
	}
	if _, err := ParseType("banana"); err == nil {
		t.Error("ParseType(banana): got no error")
	}
	if got := Family(42).String(); got != "family 42" {
		t.Errorf("Family(42): got %q", got)
	}
}

func littleEndian() bool { return ne.Uint16([]byte{1, 0}) == 1 }

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Socket addresses in the kernel's layout, as strace prints them and as
// the structures in <netinet/in.h>, <sys/un.h> and <linux/if_packet.h> lay
// them out (family in host order: these literals are little-endian).
func TestSockaddrLayout(t *testing.T) {
	if !littleEndian() {
		t.Skip("the literals are little-endian")
	}
	tests := []struct {
		name   string
		family Family
		addr   Addr
		hex    string
	}{
		// sockaddr_in{AF_INET, htons(80), 127.0.0.1}
		{"inet", INET, Inet(netip.MustParseAddr("127.0.0.1"), 80), "0200 0050 7f000001 0000000000000000"},
		// sockaddr_in6{AF_INET6, htons(443), flowinfo 0, ::1, scope 0}
		{"inet6", INET6, Inet(netip.MustParseAddr("::1"), 443),
			"0a00 01bb 00000000 00000000000000000000000000000001 00000000"},
		// an IPv4 destination on an INET6 socket is mapped
		{"mapped", INET6, Inet(netip.MustParseAddr("127.0.0.1"), 7),
			"0a00 0007 00000000 00000000000000000000ffff7f000001 00000000"},
		// link-local with zone index 3
		{"zone", INET6, Inet(netip.MustParseAddr("fe80::1%3"), 1),
			"0a00 0001 00000000 fe800000000000000000000000000001 03000000"},
		// sockaddr_un{AF_UNIX, "/tmp/s"} with its NUL
		{"path", UNIX, Unix("/tmp/s"), "0100 2f746d702f7300"},
		// abstract: a NUL first, no NUL after
		{"abstract", UNIX, Unix("@ab"), "0100 00 6162"},
		// autobind: the family alone
		{"unnamed", UNIX, Unix(""), "0100"},
		// sockaddr_ll{AF_PACKET, htons(ETH_P_IP), ifindex 2, hatype 1, pkttype 4, halen 6, 02:00:00:00:00:01}
		{"packet", PACKET, PacketAddr{Ifindex: 2, Protocol: EthIPv4, HAType: 1, PacketType: PacketOutgoing}.
			WithHardwareAddr(net.HardwareAddr{2, 0, 0, 0, 0, 1}), "1100 0800 02000000 0100 04 06 020000000001 0000"},
		// sockaddr_tipc{AF_TIPC, TIPC_SERVICE_ADDR, cluster scope, {1000, 7}, domain 0}
		{"tipc", TIPC, TIPCService(1000, 7), "1e00 02 02 e8030000 07000000 00000000"},
		{"tipcsocket", TIPC, TIPCAddr{Ref: 5, Node: 9}, "1e00 03 00 05000000 09000000 00000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sa sockaddr
			if err := sa.encode(tt.family, tt.addr); err != nil {
				t.Fatal(err)
			}
			want := unhex(t, tt.hex)
			if got := sa.b[:sa.n]; !bytes.Equal(got, want) {
				t.Errorf("encode: got  %x\nwant %x", got, want)
			}
			got, err := decodeSockaddr(want)
			if err != nil {
				t.Fatal(err)
			}
			wantAddr := tt.addr
			if tt.name == "mapped" {
				wantAddr = Inet(netip.MustParseAddr("::ffff:127.0.0.1"), 7)
			}
			if got.String() != wantAddr.String() || got.Family() != wantAddr.Family() {
				t.Errorf("decode: got %v (%v), want %v (%v)", got, got.Family(), wantAddr, wantAddr.Family())
			}
		})
	}
}

func TestSockaddrMismatch(t *testing.T) {
	tests := []struct {
		family Family
		addr   Addr
		want   string
	}{
		{INET, Inet(netip.MustParseAddr("::1"), 1), "open an inet6 socket"},
		{INET, Unix("/x"), "cannot be used with an inet socket"},
		{UNIX, Inet(netip.MustParseAddr("127.0.0.1"), 1), "cannot be used with an unix socket"},
		{INET, InetAddr{}, "invalid IP address"},
		{INET, nil, "no address"},
		{UNIX, Unix(strings.Repeat("a", 108)), "too long"},
		{UNIX, Unix("@" + strings.Repeat("a", 108)), "too long"},
	}
	for _, tt := range tests {
		var sa sockaddr
		err := sa.encode(tt.family, tt.addr)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("encode(%v, %v): got %v, want an error containing %q", tt.family, tt.addr, err, tt.want)
		}
	}
}

func TestNetAddrConversion(t *testing.T) {
	tests := []struct {
		in   net.Addr
		want Addr
	}{
		{&net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 53}, Inet(netip.MustParseAddr("127.0.0.1"), 53)},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 80}, Inet(netip.MustParseAddr("::1"), 80)},
		{&net.IPAddr{IP: net.IPv4(192, 0, 2, 1).To4()}, Inet(netip.MustParseAddr("192.0.2.1"), 0)},
		{&net.UnixAddr{Name: "@x", Net: "unix"}, Unix("@x")},
	}
	for _, tt := range tests {
		got, err := fromNetAddr(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("%v: got %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	if _, err := fromNetAddr(dummyAddr{}); err == nil {
		t.Error("unknown net.Addr: got no error")
	}
}

func TestDecodeSockaddrShort(t *testing.T) {
	for _, b := range [][]byte{{2}, {2, 0, 0}, {10, 0, 1, 2, 3}, {17, 0, 8}, {30, 0}, {0xff, 0xff}} {
		if !littleEndian() {
			t.Skip("little-endian literals")
		}
		if a, err := decodeSockaddr(b); err == nil {
			t.Errorf("decode %x: got %v, want an error", b, a)
		}
	}
	if a, err := decodeSockaddr(nil); a != nil || err != nil {
		t.Errorf("decode nothing: got %v, %v; want nil, nil", a, err)
	}
}

func TestPacketAddrString(t *testing.T) {
	a := PacketAddr{Ifindex: 2, Protocol: EthIPv4, PacketType: PacketOutgoing}.WithHardwareAddr(net.HardwareAddr{2, 0, 0, 0, 0, 1})
	if got, want := a.String(), "ifindex 2 proto 0x0800 hw 02:00:00:00:00:01 outgoing"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := Packet(1, 0).String(), "ifindex 1"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := a.WithHardwareAddr(make(net.HardwareAddr, 20)).HardwareAddr(); len(got) != 8 {
		t.Errorf("a 20-byte hardware address: got %d bytes kept, want 8", len(got))
	}
}

// Control messages as recvmsg(2) returns them on x86-64: cmsghdr{len 32,
// SOL_SOCKET, SCM_TIMESTAMPNS} and a struct timespec{1700000000, 123456789}.
func TestParseTimestamp(t *testing.T) {
	if !littleEndian() || unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("the literals are for 64-bit little-endian")
	}
	oob := unhex(t, `
		2000000000000000 01000000 23000000
		00f1536500000000 15cd5b0700000000`)
	got, ok := ParseTimestamp(oob)
	if want := time.Unix(1700000000, 123456789); !ok || !got.Equal(want) {
		t.Errorf("got %v %v, want %v", got, ok, want)
	}
	// SCM_TIMESTAMP (microseconds), after an unrelated IP_TTL message.
	oob = unhex(t, `
		1400000000000000 00000000 02000000 40000000 00000000
		2000000000000000 01000000 1d000000
		00f1536500000000 40e2010000000000`)
	got, ok = ParseTimestamp(oob)
	if want := time.Unix(1700000000, 123456000); !ok || !got.Equal(want) {
		t.Errorf("got %v %v, want %v", got, ok, want)
	}
	if _, ok := ParseTimestamp(oob[:20]); ok {
		t.Error("truncated: got a time")
	}
}

func FuzzDecodeSockaddr(f *testing.F) {
	f.Add([]byte{2, 0, 0, 80, 127, 0, 0, 1})
	f.Add([]byte{1, 0, 0, 'a', 'b'})
	f.Add([]byte{17, 0, 8, 0, 2, 0, 0, 0, 1, 0, 4, 6, 2, 0, 0, 0, 0, 1, 0, 0})
	f.Add([]byte{10, 0, 1, 187, 0, 0, 0, 0, 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 0, 0, 0})
	f.Add([]byte{30, 0, 3, 0, 5, 0, 0, 0, 9, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := decodeSockaddr(b)
		if err != nil || a == nil {
			return
		}
		// Whatever decodes encodes again and decodes to the same address.
		var sa sockaddr
		if err := sa.encode(a.Family(), a); err != nil {
			return // e.g. a unix name longer than sun_path allows
		}
		b2, err := decodeSockaddr(sa.b[:sa.n])
		if err != nil {
			t.Fatalf("re-decode of %v: %v", a, err)
		}
		if b2.String() != a.String() {
			t.Fatalf("round trip: got %v, want %v", b2, a)
		}
	})
}

func FuzzParseAddr(f *testing.F) {
	for _, s := range []string{"127.0.0.1:80", "[::1]:80", "/x", "@y", "tipc:1:2", ":0", "[fe80::1%eth0]:1", "1.2.3.4:65536"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if guessFamily(s) == PACKET {
			return // a bare word is an interface lookup, not parsing
		}
		a, err := ParseAddr(UNSPEC, s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error of more than one line: %q", err)
			}
			return
		}
		if a.Family() == INET || a.Family() == INET6 {
			back, err := ParseAddr(a.Family(), a.String())
			if err != nil || back != a {
				t.Fatalf("%q parsed to %v, which parses back to %v, %v", s, a, back, err)
			}
		}
	})
}

func FuzzParseTimestamp(f *testing.F) {
	f.Add([]byte{32, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 35, 0, 0, 0, 0, 0xf1, 0x53, 0x65, 0, 0, 0, 0, 0x15, 0xcd, 0x5b, 7, 0, 0, 0, 0})
	f.Add([]byte{255, 255, 255, 255, 255, 255, 255, 255, 1, 0, 0, 0, 35, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		ParseTimestamp(b)
	})
}

type dummyAddr struct{}

func (dummyAddr) Network() string { return "dummy" }
func (dummyAddr) String() string  { return "dummy" }
