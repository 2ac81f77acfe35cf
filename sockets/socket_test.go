package sockets

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

var (
	lo4 = netip.MustParseAddr("127.0.0.1")
	lo6 = netip.MustParseAddr("::1")
	bg  = context.Background()
)

func mustOpen(t testing.TB, f Family, ty Type, proto int) *Socket {
	t.Helper()
	s, err := Open(f, ty, proto, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// listener opens a STREAM or SEQPACKET socket listening on addr and
// returns it with its real address.
func listener(t testing.TB, f Family, ty Type, addr Addr) (*Socket, Addr) {
	t.Helper()
	s := mustOpen(t, f, ty, 0)
	if err := s.Bind(addr); err != nil {
		t.Fatal(err)
	}
	if ty != DGRAM {
		if err := s.Listen(16); err != nil {
			t.Fatal(err)
		}
	}
	a, err := s.SockName()
	if err != nil {
		t.Fatal(err)
	}
	return s, a
}

// connected returns both ends of a fresh connection of the given kind.
func connected(t testing.TB, f Family, ty Type, addr Addr) (client, server *Socket) {
	t.Helper()
	l, la := listener(t, f, ty, addr)
	c := mustOpen(t, f, ty, 0)
	if err := c.Connect(bg, la); err != nil {
		t.Fatal(err)
	}
	s, _, err := l.Accept(bg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return c, s
}

func tempSock(t testing.TB, name string) UnixAddr {
	return Unix(filepath.Join(t.TempDir(), name))
}

func abstractName(t testing.TB) UnixAddr {
	var b [6]byte
	rand.Read(b[:])
	return Unix(fmt.Sprintf("@rawsock-test-%x", b))
}

// The conversation every stream kind must hold: names agree on both ends,
// data goes both ways, and a half-close reaches the other side as the end
// of the stream while the other direction still works.
func TestStreamConversation(t *testing.T) {
	for _, tt := range []struct {
		name string
		f    Family
		ty   Type
		addr Addr
	}{
		{"tcp4", INET, STREAM, Inet(lo4, 0)},
		{"tcp6", INET6, STREAM, Inet(lo6, 0)},
		{"unix", UNIX, STREAM, tempSock(t, "s")},
		{"unix-abstract", UNIX, STREAM, abstractName(t)},
		{"unixpacket", UNIX, SEQPACKET, tempSock(t, "p")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l, la := listener(t, tt.f, tt.ty, tt.addr)
			if tt.f == UNIX && la != tt.addr {
				t.Errorf("SockName: got %v, want %v", la, tt.addr)
			}
			c := mustOpen(t, tt.f, tt.ty, 0)
			if err := c.Connect(bg, la); err != nil {
				t.Fatal(err)
			}
			s, peer, err := l.Accept(bg)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			cl, _ := c.SockName()
			if peer != cl {
				t.Errorf("Accept's peer: got %v, want the client's SockName %v", peer, cl)
			}
			if cp, _ := c.PeerName(); cp != la {
				t.Errorf("client PeerName: got %v, want %v", cp, la)
			}
			if _, err := c.SendAll(bg, []byte("ping"), 0); err != nil {
				t.Fatal(err)
			}
			if got, err := s.Recv(bg, 100, 0); string(got) != "ping" || err != nil {
				t.Errorf("Recv: got %q, %v; want ping", got, err)
			}
			if err := c.CloseWrite(); err != nil {
				t.Fatal(err)
			}
			if got, err := s.Recv(bg, 100, 0); len(got) != 0 || err != nil {
				t.Errorf("after the peer's half-close: got %q, %v; want end of stream", got, err)
			}
			if _, err := s.Read(make([]byte, 10)); err != io.EOF {
				t.Errorf("Read at end of stream: got %v, want io.EOF", err)
			}
			if _, err := s.SendAll(bg, []byte("pong"), 0); err != nil {
				t.Fatal(err)
			}
			if got, err := c.Recv(bg, 100, 0); string(got) != "pong" || err != nil {
				t.Errorf("reply after half-close: got %q, %v; want pong", got, err)
			}
		})
	}
}

func TestSeqPacketKeepsBoundaries(t *testing.T) {
	c, s := connected(t, UNIX, SEQPACKET, abstractName(t))
	msgs := []string{"a", "bb", "", "cccc"}
	for _, m := range msgs {
		if _, err := c.Send(bg, []byte(m), 0); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range msgs[:2] {
		got, err := s.Recv(bg, 100, 0)
		if string(got) != want || err != nil {
			t.Errorf("got %q, %v; want %q", got, err, want)
		}
	}
	// A stream would merge "" and "cccc"; SEQPACKET delivers "cccc" alone
	// (Linux drops the empty record's data but keeps the boundary) and cuts a
	// record to the buffer, flagging MSG_TRUNC.
	m := Message{Data: make([]byte, 2)}
	for m.N == 0 {
		if err := s.RecvMsg(bg, &m, 0); err != nil {
			t.Fatal(err)
		}
	}
	if got := string(m.Data[:2]); got != "cc" || m.Flags&unix.MSG_TRUNC == 0 {
		t.Errorf("short buffer: got %q flags %#x, want \"cc\" with MSG_TRUNC", got, m.Flags)
	}
}

func TestUDPSenderAddresses(t *testing.T) {
	for _, ip := range []netip.Addr{lo4, lo6} {
		t.Run(ip.String(), func(t *testing.T) {
			f := INET
			if ip.Is6() {
				f = INET6
			}
			srv, sa := listener(t, f, DGRAM, Inet(ip, 0))
			var clients []Addr
			for i := range 3 {
				c := mustOpen(t, f, DGRAM, 0)
				c.Bind(Inet(ip, 0)) // else it binds to the wildcard address
				if _, err := c.SendTo(bg, []byte{byte('a' + i)}, 0, sa); err != nil {
					t.Fatal(err)
				}
				ca, err := c.SockName() // bound implicitly by sendto
				if err != nil {
					t.Fatal(err)
				}
				clients = append(clients, ca)
			}
			for i := range 3 {
				b, from, err := srv.RecvFrom(bg, 100, 0)
				if err != nil {
					t.Fatal(err)
				}
				if string(b) != string(rune('a'+i)) || from != clients[i] {
					t.Errorf("datagram %d: got %q from %v, want %q from %v", i, b, from, string(rune('a'+i)), clients[i])
				}
				// Answer to the sender's address: it must arrive.
				if _, err := srv.SendTo(bg, b, 0, from); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestUnixDatagram(t *testing.T) {
	srvAddr := tempSock(t, "dgram")
	srv, _ := listener(t, UNIX, DGRAM, srvAddr)
	c := mustOpen(t, UNIX, DGRAM, 0)
	// Binding "" asks for an abstract name: the server can answer it.
	if err := c.Bind(Unix("")); err != nil {
		t.Fatal(err)
	}
	auto, _ := c.SockName()
	if ua, ok := auto.(UnixAddr); !ok || !ua.Abstract() || len(ua.Name) != 6 {
		t.Errorf("autobind: got %v, want @ and five hex digits", auto)
	}
	if err := c.Connect(bg, srvAddr); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Send(bg, []byte("hi"), 0); err != nil {
		t.Fatal(err)
	}
	b, from, err := srv.RecvFrom(bg, 10, 0)
	if string(b) != "hi" || from != auto || err != nil {
		t.Errorf("got %q from %v, %v; want hi from %v", b, from, err, auto)
	}
	srv.SendTo(bg, []byte("ho"), 0, from)
	if b, err := c.Recv(bg, 10, 0); string(b) != "ho" || err != nil {
		t.Errorf("reply: got %q, %v", b, err)
	}
	// An unbound sender has no address (Python's None).
	u := mustOpen(t, UNIX, DGRAM, 0)
	u.SendTo(bg, []byte("x"), 0, srvAddr)
	if _, from, _ := srv.RecvFrom(bg, 10, 0); from != nil {
		t.Errorf("unbound sender: got %#v, want no address", from)
	}
}

func TestDualStack(t *testing.T) {
	srv, sa := listener(t, INET6, DGRAM, Inet(netip.IPv6Unspecified(), 0))
	c := mustOpen(t, INET, DGRAM, 0)
	port := sa.(InetAddr).Port()
	if _, err := c.SendTo(bg, []byte("v4"), 0, Inet(lo4, port)); err != nil {
		t.Fatal(err)
	}
	_, from, err := srv.RecvFrom(bg, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	if ip := from.(InetAddr).Addr(); !ip.Is4In6() || ip.Unmap() != lo4 {
		t.Errorf("IPv4 sender on a dual-stack socket: got %v, want ::ffff:127.0.0.1", from)
	}
	// An IPv4 destination on an INET6 socket is mapped for the kernel.
	if _, err := srv.SendTo(bg, []byte("back"), 0, Inet(lo4, from.(InetAddr).Port())); err != nil {
		t.Fatal(err)
	}
	if b, _ := c.Recv(bg, 10, 0); string(b) != "back" {
		t.Errorf("got %q, want back", b)
	}
}

func TestTimeoutExpires(t *testing.T) {
	c, s := connected(t, UNIX, STREAM, abstractName(t))
	s.SetTimeout(30 * time.Millisecond)
	if got := s.Timeout(); got != 30*time.Millisecond {
		t.Errorf("Timeout: got %v", got)
	}
	_, err := s.Recv(bg, 10, 0)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Recv: got %v, want os.ErrDeadlineExceeded", err)
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("got %v, want a net.Error whose Timeout is true", err)
	}
	// The timeout is per call: data arriving later is received.
	c.Send(bg, []byte("late"), 0)
	if b, err := s.Recv(bg, 10, 0); string(b) != "late" || err != nil {
		t.Errorf("after a timeout: got %q, %v", b, err)
	}
	l, _ := listener(t, INET, STREAM, Inet(lo4, 0))
	l.SetTimeout(20 * time.Millisecond)
	if _, _, err := l.Accept(bg); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Accept: got %v, want os.ErrDeadlineExceeded", err)
	}
	// Back to blocking: a deadline set the net.Conn way still applies.
	s.SetTimeout(NoTimeout)
	s.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if _, err := s.Recv(bg, 10, 0); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("read deadline: got %v, want os.ErrDeadlineExceeded", err)
	}
	s.SetReadDeadline(time.Time{})
	c.Send(bg, []byte("x"), 0)
	if b, err := s.Recv(bg, 10, 0); string(b) != "x" || err != nil {
		t.Errorf("deadline removed: got %q, %v", b, err)
	}
}

func TestNonBlocking(t *testing.T) {
	c, s := connected(t, INET, STREAM, Inet(lo4, 0))
	s.SetBlocking(false)
	if got := s.Timeout(); got != 0 {
		t.Errorf("Timeout after SetBlocking(false): got %v, want 0", got)
	}
	if _, err := s.Recv(bg, 10, 0); err != ErrWouldBlock || !errors.Is(err, unix.EAGAIN) {
		t.Errorf("Recv: got %v, want ErrWouldBlock", err)
	}
	c.Send(bg, []byte("now"), 0)
	var b []byte
	var err error
	for range 1000 { // the data is on its way through loopback
		if b, err = s.Recv(bg, 10, 0); err != ErrWouldBlock {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if string(b) != "now" || err != nil {
		t.Errorf("got %q, %v; want now", b, err)
	}
	l, la := listener(t, INET, STREAM, Inet(lo4, 0))
	l.SetBlocking(false)
	if _, _, err := l.Accept(bg); err != ErrWouldBlock {
		t.Errorf("Accept: got %v, want ErrWouldBlock", err)
	}
	nc := mustOpen(t, INET, STREAM, 0)
	nc.SetBlocking(false)
	if err := nc.Connect(bg, la); err != nil && !errors.Is(err, unix.EINPROGRESS) {
		t.Errorf("non-blocking Connect: got %v, want nil or EINPROGRESS", err)
	}
	s.SetBlocking(true)
	if got := s.Timeout(); got != NoTimeout {
		t.Errorf("Timeout after SetBlocking(true): got %v, want NoTimeout", got)
	}
}

func TestContextCancels(t *testing.T) {
	c, s := connected(t, UNIX, STREAM, abstractName(t))
	ctx, cancel := context.WithCancel(bg)
	time.AfterFunc(20*time.Millisecond, cancel)
	if _, err := s.Recv(ctx, 10, 0); err != context.Canceled {
		t.Errorf("cancelled Recv: got %v, want context.Canceled", err)
	}
	if _, err := s.Recv(ctx, 10, 0); err != context.Canceled {
		t.Errorf("Recv with a cancelled context: got %v, want context.Canceled", err)
	}
	dctx, dcancel := context.WithTimeout(bg, 20*time.Millisecond)
	defer dcancel()
	if _, err := s.Recv(dctx, 10, 0); err != context.DeadlineExceeded {
		t.Errorf("Recv past the context's deadline: got %v, want context.DeadlineExceeded", err)
	}
	// Neither leaves a deadline behind.
	c.Send(bg, []byte("ok"), 0)
	if b, err := s.Recv(bg, 10, 0); string(b) != "ok" || err != nil {
		t.Errorf("after cancellations: got %q, %v", b, err)
	}
	l, _ := listener(t, INET, STREAM, Inet(lo4, 0))
	actx, acancel := context.WithCancel(bg)
	time.AfterFunc(20*time.Millisecond, acancel)
	if _, _, err := l.Accept(actx); err != context.Canceled {
		t.Errorf("cancelled Accept: got %v, want context.Canceled", err)
	}
}

func TestCloseWakesAndRepeats(t *testing.T) {
	_, s := connected(t, UNIX, STREAM, abstractName(t))
	errc := make(chan error, 1)
	go func() {
		_, err := s.Recv(bg, 10, 0)
		errc <- err
	}()
	time.Sleep(20 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, net.ErrClosed) {
		t.Errorf("Recv blocked during Close: got %v, want net.ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: got %v, want nil", err)
	}
	if _, err := s.Send(bg, []byte("x"), 0); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Send after Close: got %v, want net.ErrClosed", err)
	}
	if _, err := s.GetOption(unix.SOL_SOCKET, unix.SO_TYPE); !errors.Is(err, net.ErrClosed) {
		t.Errorf("GetOption after Close: got %v, want net.ErrClosed", err)
	}
}

// A STREAM send may take only part of a large buffer; SendAll goes on
// until the peer has it all.
func TestShortSendAndSendAll(t *testing.T) {
	c, s := connected(t, UNIX, STREAM, abstractName(t))
	c.SetSendBuffer(4096)
	big := make([]byte, 4<<20)
	rand.Read(big)
	n, err := c.Send(bg, big, 0)
	if err != nil {
		t.Fatal(err)
	}
	if n <= 0 || n >= len(big) {
		t.Fatalf("Send of %d bytes with nobody reading: got %d, want a short count", len(big), n)
	}
	got := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(s)
		got <- b
	}()
	sent, err := c.SendAll(bg, big[n:], 0)
	if err != nil || sent != len(big)-n {
		t.Fatalf("SendAll: got %d, %v; want %d", sent, err, len(big)-n)
	}
	c.CloseWrite()
	if b := <-got; sha256.Sum256(b) != sha256.Sum256(big) {
		t.Errorf("received %d bytes that differ from the %d sent", len(b), len(big))
	}
}

func TestPairAndFileno(t *testing.T) {
	a, b, err := Pair(UNIX, STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	defer b.Close()
	typ, err := unix.GetsockoptInt(a.Fileno(), unix.SOL_SOCKET, unix.SO_TYPE)
	if err != nil || Type(typ) != STREAM {
		t.Errorf("SO_TYPE through Fileno: got %d, %v", typ, err)
	}
	if fl, _ := unix.FcntlInt(uintptr(a.Fileno()), unix.F_GETFD, 0); fl&unix.FD_CLOEXEC == 0 {
		t.Error("descriptor is not close-on-exec")
	}
	if fl, _ := unix.FcntlInt(uintptr(a.Fileno()), unix.F_GETFL, 0); fl&unix.O_NONBLOCK == 0 {
		t.Error("descriptor is not non-blocking")
	}
	if n, _ := a.SockName(); n != Unix("") {
		t.Errorf("SockName of a pair: got %#v, want unnamed", n)
	}
	if a.Family() != UNIX || a.Type() != STREAM || a.Protocol() != 0 {
		t.Errorf("got %v %v %d", a.Family(), a.Type(), a.Protocol())
	}
	if got := a.String(); !strings.HasPrefix(got, "unix socket fd ") {
		t.Errorf("String: got %q", got)
	}
	if _, _, err := Pair(INET, STREAM, 0); err == nil {
		t.Error("an INET pair: got no error")
	}
}

func TestMakeFileLines(t *testing.T) {
	c, s := connected(t, INET, STREAM, Inet(lo4, 0))
	cf := c.MakeFile(0)
	fmt.Fprintf(cf, "first line\nsecond")
	fmt.Fprintf(cf, " line\nno newline")
	if err := cf.Flush(); err != nil {
		t.Fatal(err)
	}
	c.CloseWrite()
	sf := s.MakeFile(16)
	for _, want := range []string{"first line\n", "second line\n", "no newline"} {
		line, err := sf.ReadString('\n')
		if line != want || (err != nil && err != io.EOF) {
			t.Errorf("got %q, %v; want %q", line, err, want)
		}
	}
	if _, err := sf.ReadString('\n'); err != io.EOF {
		t.Errorf("after the last line: got %v, want io.EOF", err)
	}
}

func TestOptionsRoundTrip(t *testing.T) {
	tcp4 := mustOpen(t, INET, STREAM, 0)
	udp6 := mustOpen(t, INET6, DGRAM, 0)
	bools := []struct {
		name         string
		s            *Socket
		set          func(bool) error
		level, name2 int
	}{
		{"SO_REUSEADDR", tcp4, tcp4.SetReuseAddr, unix.SOL_SOCKET, unix.SO_REUSEADDR},
		{"SO_REUSEPORT", tcp4, tcp4.SetReusePort, unix.SOL_SOCKET, unix.SO_REUSEPORT},
		{"SO_KEEPALIVE", tcp4, tcp4.SetKeepAlive, unix.SOL_SOCKET, unix.SO_KEEPALIVE},
		{"TCP_NODELAY", tcp4, tcp4.SetNoDelay, unix.IPPROTO_TCP, unix.TCP_NODELAY},
		{"SO_BROADCAST", udp6, udp6.SetBroadcast, unix.SOL_SOCKET, unix.SO_BROADCAST},
		{"IPV6_V6ONLY", udp6, udp6.SetV6Only, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY},
		{"SO_TIMESTAMPNS", udp6, udp6.SetTimestamps, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS},
		{"IPV6_MULTICAST_LOOP", udp6, udp6.SetMulticastLoop, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_LOOP},
	}
	for _, o := range bools {
		for _, on := range []bool{true, false} {
			if err := o.set(on); err != nil {
				t.Fatalf("%s=%v: %v", o.name, on, err)
			}
			// Read back with the kernel's getsockopt, not ours.
			v, err := unix.GetsockoptInt(o.s.Fileno(), o.level, o.name2)
			if err != nil || (v != 0) != on {
				t.Errorf("%s set %v: kernel says %d, %v", o.name, on, v, err)
			}
			if got, _ := o.s.GetOption(o.level, o.name2); got != v {
				t.Errorf("%s: GetOption %d, kernel %d", o.name, got, v)
			}
		}
	}
	ints := []struct {
		name         string
		s            *Socket
		set          func(int) error
		level, name2 int
		value, want  int
	}{
		{"IP_TTL", tcp4, tcp4.SetTTL, unix.IPPROTO_IP, unix.IP_TTL, 7, 7},
		{"IP_TOS", tcp4, tcp4.SetTOS, unix.IPPROTO_IP, unix.IP_TOS, 0x28, 0x28},
		{"IPV6_UNICAST_HOPS", udp6, udp6.SetTTL, unix.IPPROTO_IPV6, unix.IPV6_UNICAST_HOPS, 9, 9},
		{"IPV6_TCLASS", udp6, udp6.SetTOS, unix.IPPROTO_IPV6, unix.IPV6_TCLASS, 0x10, 0x10},
		{"IPV6_MULTICAST_HOPS", udp6, udp6.SetMulticastTTL, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_HOPS, 3, 3},
		// The kernel doubles buffer sizes for its bookkeeping.
		{"SO_RCVBUF", tcp4, tcp4.SetRecvBuffer, unix.SOL_SOCKET, unix.SO_RCVBUF, 8192, 16384},
		{"SO_SNDBUF", tcp4, tcp4.SetSendBuffer, unix.SOL_SOCKET, unix.SO_SNDBUF, 8192, 16384},
	}
	for _, o := range ints {
		if err := o.set(o.value); err != nil {
			t.Fatalf("%s=%d: %v", o.name, o.value, err)
		}
		if v, err := unix.GetsockoptInt(o.s.Fileno(), o.level, o.name2); v != o.want || err != nil {
			t.Errorf("%s set %d: kernel says %d, %v; want %d", o.name, o.value, v, err, o.want)
		}
	}
	if ttl, err := udp6.TTL(); ttl != 9 || err != nil {
		t.Errorf("TTL: got %d, %v", ttl, err)
	}
	if err := tcp4.SetOption(unix.SOL_SOCKET, unix.SO_PRIORITY, 5); err != nil {
		t.Fatal(err)
	}
	if v, _ := tcp4.GetOption(unix.SOL_SOCKET, unix.SO_PRIORITY); v != 5 {
		t.Errorf("SO_PRIORITY: got %d, want 5", v)
	}
	// A structure through the byte form: SO_LINGER{on, 3s}.
	linger := make([]byte, 8)
	ne.PutUint32(linger, 1)
	ne.PutUint32(linger[4:], 3)
	if err := tcp4.SetOptionBytes(unix.SOL_SOCKET, unix.SO_LINGER, linger); err != nil {
		t.Fatal(err)
	}
	if got, err := tcp4.GetOptionBytes(unix.SOL_SOCKET, unix.SO_LINGER, 8); !bytes.Equal(got, linger) || err != nil {
		t.Errorf("SO_LINGER: got %x, %v; want %x", got, err, linger)
	}
	// Options that do not fit the socket say so.
	u := mustOpen(t, UNIX, STREAM, 0)
	if err := u.SetTTL(1); err == nil || !strings.Contains(err.Error(), "inet and inet6") {
		t.Errorf("TTL on a unix socket: got %v", err)
	}
	if err := tcp4.SetOption(unix.SOL_SOCKET, 9999, 1); !errors.Is(err, unix.ENOPROTOOPT) {
		t.Errorf("unknown option: got %v, want ENOPROTOOPT", err)
	}
	if err := udp6.JoinGroup(0, lo4); err == nil {
		t.Error("joining a unicast address: got no error")
	}
}

// A filter the kernel runs: a UDP socket's program sees the UDP header at
// offset 0, so byte 8 is the first of the payload. Only payloads starting
// with 'A' pass; after DetachFilter everything does.
func TestFilterFilters(t *testing.T) {
	srv, sa := listener(t, INET, DGRAM, Inet(lo4, 0))
	err := srv.AttachBPF([]bpf.Instruction{
		bpf.LoadAbsolute{Off: 8, Size: 1},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 'A', SkipFalse: 1},
		bpf.RetConstant{Val: 0xffff},
		bpf.RetConstant{Val: 0},
	})
	if err != nil {
		t.Fatal(err)
	}
	c := mustOpen(t, INET, DGRAM, 0)
	for _, m := range []string{"B dropped", "A kept", "C dropped", "A also kept"} {
		c.SendTo(bg, []byte(m), 0, sa)
	}
	srv.SetTimeout(200 * time.Millisecond)
	var got []string
	for {
		b, err := srv.Recv(bg, 100, 0)
		if err != nil {
			break
		}
		got = append(got, string(b))
	}
	if want := []string{"A kept", "A also kept"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("with the filter: got %q, want %q", got, want)
	}
	if err := srv.DetachFilter(); err != nil {
		t.Fatal(err)
	}
	c.SendTo(bg, []byte("B after detach"), 0, sa)
	if b, err := srv.Recv(bg, 100, 0); string(b) != "B after detach" || err != nil {
		t.Errorf("after DetachFilter: got %q, %v", b, err)
	}
	if err := srv.AttachFilter(nil); err == nil {
		t.Error("empty program: got no error")
	}
	if err := srv.AttachBPF([]bpf.Instruction{bpf.LoadAbsolute{Off: 0, Size: 3}}); err == nil {
		t.Error("unassemblable program: got no error")
	}
}

// A filter given to Open applies from the start: what was queued before it
// was attached is drained.
func TestOpenWithFilter(t *testing.T) {
	dropAll, _ := bpf.Assemble([]bpf.Instruction{bpf.RetConstant{Val: 0}})
	a, b, err := Pair(UNIX, DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	defer b.Close()
	s, err := Open(UNIX, DGRAM, 0, &Config{Filter: dropAll})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	addr := abstractName(t)
	s.Bind(addr)
	a.SendTo(bg, []byte("dropped"), 0, addr)
	s.SetTimeout(0)
	if _, err := s.Recv(bg, 10, 0); err != ErrWouldBlock {
		t.Errorf("drop-all filter: got %v, want nothing received", err)
	}
}

func TestBatch(t *testing.T) {
	srv, sa := listener(t, INET, DGRAM, Inet(lo4, 0))
	c, _ := listener(t, INET, DGRAM, Inet(lo4, 0))
	out := make([]Message, 8)
	for i := range out {
		out[i] = Message{Data: []byte(fmt.Sprintf("message %d", i)), Addr: sa}
	}
	sent := 0
	for sent < len(out) {
		n, err := c.SendBatch(bg, out[sent:], 0)
		if err != nil {
			t.Fatal(err)
		}
		sent += n
	}
	for i, m := range out {
		if m.N != len(m.Data) {
			t.Errorf("message %d: N %d, want %d", i, m.N, len(m.Data))
		}
	}
	ca, _ := c.SockName()
	in := make([]Message, 8)
	for i := range in {
		in[i].Data = make([]byte, 64)
	}
	got := 0
	for got < len(out) {
		n, err := srv.RecvBatch(bg, in[got:], 0)
		if err != nil {
			t.Fatal(err)
		}
		got += n
	}
	for i, m := range in {
		want := fmt.Sprintf("message %d", i)
		if string(m.Data[:m.N]) != want || m.Addr != ca {
			t.Errorf("message %d: got %q from %v, want %q from %v", i, m.Data[:m.N], m.Addr, want, ca)
		}
	}
	if n, err := srv.RecvBatch(bg, nil, 0); n != 0 || err != nil {
		t.Errorf("empty batch: got %d, %v", n, err)
	}
}

// The kernel's receive time arrives with the sender, between the moments
// before the send and after the receive.
func TestTimestamps(t *testing.T) {
	srv, sa := listener(t, INET6, DGRAM, Inet(lo6, 0))
	if err := srv.SetTimestamps(true); err != nil {
		t.Fatal(err)
	}
	c, _ := listener(t, INET6, DGRAM, Inet(lo6, 0))
	before := time.Now()
	c.SendTo(bg, []byte("when"), 0, sa)
	var m Message
	m.Data = make([]byte, 10)
	if err := srv.RecvMsg(bg, &m, 0); err != nil {
		t.Fatal(err)
	}
	after := time.Now()
	ca, _ := c.SockName()
	if string(m.Data[:m.N]) != "when" || m.Addr != ca {
		t.Errorf("got %q from %v, want when from %v", m.Data[:m.N], m.Addr, ca)
	}
	if m.Time.Before(before.Truncate(time.Microsecond)) || m.Time.After(after) {
		t.Errorf("kernel time %v is not between %v and %v", m.Time, before, after)
	}
	// With a buffer of its own, the raw control message is there too.
	c.SendTo(bg, []byte("again"), 0, sa)
	m2 := Message{Data: make([]byte, 10), OOB: make([]byte, 128)}
	if err := srv.RecvMsg(bg, &m2, 0); err != nil {
		t.Fatal(err)
	}
	if ts, ok := ParseTimestamp(m2.OOB[:m2.NN]); !ok || !ts.Equal(m2.Time) || m2.Time.IsZero() {
		t.Errorf("OOB of %d bytes: time %v %v, Message.Time %v", m2.NN, ts, ok, m2.Time)
	}
	// Batches carry times as well.
	c.SendTo(bg, []byte("batch"), 0, sa)
	ms := []Message{{Data: make([]byte, 10)}}
	if n, err := srv.RecvBatch(bg, ms, 0); n != 1 || err != nil || ms[0].Time.IsZero() {
		t.Errorf("RecvBatch: got %d, %v, time %v", n, err, ms[0].Time)
	}
}

func TestSendMsgWithAddress(t *testing.T) {
	srv, sa := listener(t, UNIX, DGRAM, abstractName(t))
	c := mustOpen(t, UNIX, DGRAM, 0)
	m := Message{Data: []byte("via sendmsg"), Addr: sa}
	if err := c.SendMsg(bg, &m, 0); err != nil || m.N != len(m.Data) {
		t.Fatalf("SendMsg: got N %d, %v", m.N, err)
	}
	if b, err := srv.Recv(bg, 20, 0); string(b) != "via sendmsg" || err != nil {
		t.Errorf("got %q, %v", b, err)
	}
}

func TestNetConnInterfaces(t *testing.T) {
	srv, sa := listener(t, INET, DGRAM, Inet(lo4, 0))
	c, _ := listener(t, INET, DGRAM, Inet(lo4, 0))
	var pc net.PacketConn = c
	if _, err := pc.WriteTo([]byte("net"), &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: int(sa.(InetAddr).Port())}); err != nil {
		t.Fatal(err)
	}
	var spc net.PacketConn = srv
	b := make([]byte, 10)
	n, from, err := spc.ReadFrom(b)
	if string(b[:n]) != "net" || err != nil || from.String() != c.LocalAddr().String() {
		t.Errorf("ReadFrom: got %q from %v, %v", b[:n], from, err)
	}
	cc, ss := connected(t, INET, STREAM, Inet(lo4, 0))
	var conn net.Conn = cc
	if conn.RemoteAddr().String() != ss.LocalAddr().String() {
		t.Errorf("RemoteAddr %v, peer's LocalAddr %v", conn.RemoteAddr(), ss.LocalAddr())
	}
	go func() {
		io.Copy(conn, strings.NewReader(strings.Repeat("x", 100000)))
		cc.CloseWrite()
	}()
	got, err := io.ReadAll(ss)
	if len(got) != 100000 || err != nil {
		t.Errorf("io.Copy through net.Conn: got %d bytes, %v", len(got), err)
	}
	u := mustOpen(t, UNIX, DGRAM, 0)
	if u.RemoteAddr() != nil {
		t.Errorf("RemoteAddr of an unconnected socket: got %v, want nil", u.RemoteAddr())
	}
}

func TestErrors(t *testing.T) {
	// Connection refused: a port with nobody listening.
	l, la := listener(t, INET, STREAM, Inet(lo4, 0))
	l.Close()
	c := mustOpen(t, INET, STREAM, 0)
	err := c.Connect(bg, la)
	if !errors.Is(err, unix.ECONNREFUSED) {
		t.Fatalf("got %v, want ECONNREFUSED", err)
	}
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Op != "connect" || oe.Net != "tcp" || oe.Addr.String() != la.String() {
		t.Errorf("got %#v, want a *net.OpError naming connect, tcp and %v", err, la)
	}
	// Address in use.
	_, ua := listener(t, INET, STREAM, Inet(lo4, 0))
	d := mustOpen(t, INET, STREAM, 0)
	if err := d.Bind(ua); !errors.Is(err, unix.EADDRINUSE) {
		t.Errorf("second bind: got %v, want EADDRINUSE", err)
	}
	// Unix: no such socket file.
	u := mustOpen(t, UNIX, STREAM, 0)
	if err := u.Connect(bg, tempSock(t, "missing")); !errors.Is(err, unix.ENOENT) {
		t.Errorf("missing unix socket: got %v, want ENOENT", err)
	}
	// Wrong kinds are refused before the kernel is asked.
	for _, k := range []struct {
		f    Family
		ty   Type
		want string
	}{
		{INET, RDM, "only in AF_TIPC"},
		{UNIX, RAW, "no raw type"},
		{PACKET, STREAM, "raw (with the link-layer header) or dgram"},
		{Family(99), STREAM, "unsupported address family"},
		{INET, Type(9), "unknown socket type"},
	} {
		if _, err := Open(k.f, k.ty, 0, nil); err == nil || !strings.Contains(err.Error(), k.want) {
			t.Errorf("Open(%v, %v): got %v, want %q", k.f, k.ty, err, k.want)
		}
	}
	if _, err := Open(INET, STREAM, ProtoUDP, nil); !errors.Is(err, unix.EPROTONOSUPPORT) ||
		!strings.Contains(err.Error(), "do not take protocol 17") {
		t.Errorf("TCP socket with protocol UDP: got %v", err)
	}
	if _, err := Open(PACKET, RAW, 0x10000, nil); err == nil {
		t.Error("EtherType 0x10000: got no error")
	}
}

// Linux has SOCK_RDM only in AF_TIPC. Where the kernel lacks TIPC, the
// error says so and how to load it.
func TestRDM(t *testing.T) {
	s, err := Open(TIPC, RDM, 0, nil)
	if err != nil {
		if !errors.Is(err, unix.EAFNOSUPPORT) {
			t.Fatalf("got %v, want EAFNOSUPPORT when TIPC is missing", err)
		}
		for _, want := range []string{"no TIPC", "SOCK_RDM", "modprobe tipc"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("got %q, want it to mention %q", err, want)
			}
		}
		return
	}
	s.Close()
	testRDMOverTIPC(t)
}

// A socket's deadlines survive concurrent readers and writers: a writer
// with a timeout does not cut a reader short.
func TestConcurrentReadWrite(t *testing.T) {
	c, s := connected(t, UNIX, STREAM, abstractName(t))
	s.SetTimeout(5 * time.Second)
	var wg sync.WaitGroup
	wg.Add(1)
	var got []byte
	go func() {
		defer wg.Done()
		got, _ = io.ReadAll(s)
	}()
	for range 100 {
		c.SendAll(bg, []byte("0123456789"), 0)
	}
	c.CloseWrite()
	wg.Wait()
	if len(got) != 1000 {
		t.Errorf("got %d bytes, want 1000", len(got))
	}
}
