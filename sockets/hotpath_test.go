package sockets

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rawsock/rawsock/internal/netlab"
	"golang.org/x/sys/unix"
)

// udpPair opens two UDP sockets on 127.0.0.1 (LazyPoller ones when lazy)
// and returns them with the receiver's address.
func udpPair(t testing.TB, lazy bool) (tx, rx *Socket, to Addr) {
	t.Helper()
	open := func() *Socket {
		s, err := Open(INET, DGRAM, 0, &Config{LazyPoller: lazy})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if err := s.Bind(Inet(lo4, 0)); err != nil {
			t.Fatal(err)
		}
		return s
	}
	tx, rx = open(), open()
	to, err := rx.SockName()
	if err != nil {
		t.Fatal(err)
	}
	return tx, rx, to
}

// The data calls allocate nothing once a socket has made one of each:
// the calls of a flood, a scan or ping -f cost no garbage per packet.
func TestDataCallsAllocateNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own")
	}
	cctx, cancel := context.WithCancel(bg)
	defer cancel()
	for _, tt := range []struct {
		name string
		lazy bool
		ctx  context.Context
	}{
		{"polled", false, bg},
		{"lazy", true, bg},
		{"polled, cancellable context", false, cctx},
		{"lazy, cancellable context", true, cctx},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tx, rx, to := udpPair(t, tt.lazy)
			rx.SetRecvBuffer(1 << 20)
			checkAllocs(t, tt.ctx, tx, rx, to)
		})
	}
}

// checkAllocs runs each data call between tx and rx, whose receives
// always find something waiting, and fails unless each allocates nothing.
func checkAllocs(t *testing.T, ctx context.Context, tx, rx *Socket, to Addr) {
	t.Helper()
	msg := []byte("sixteen bytes!!!")
	buf := make([]byte, 2048)
	txFlow, err := tx.NewFlow(to, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	rxFlow, err := rx.NewFlow(nil, 2048, 128)
	if err != nil {
		t.Fatal(err)
	}
	m := Message{Data: buf, OOB: make([]byte, 128)}
	out := make([]Message, 8)
	in := make([]Message, 8)
	for i := range out {
		out[i] = Message{Data: msg, Addr: to}
		in[i] = Message{Data: make([]byte, 2048)}
	}
	calls := []struct {
		name string
		fn   func() error
	}{
		{"SendTo", func() error { _, err := tx.SendTo(ctx, msg, 0, to); return err }},
		{"RecvFromInto", func() error {
			_, from, err := rx.RecvFromInto(ctx, buf, 0)
			if err == nil && from == nil {
				err = errors.New("no sender")
			}
			return err
		}},
		{"SendMsg", func() error { return tx.SendMsg(ctx, &Message{Data: msg, Addr: to}, 0) }},
		{"RecvMsg", func() error { return rx.RecvMsg(ctx, &m, 0) }},
		{"SendBatch", func() error { _, err := tx.SendBatch(ctx, out, 0); return err }},
		{"RecvBatch", func() error { _, err := rx.RecvBatch(ctx, in, 0); return err }},
		{"Flow.Send", func() error { _, err := txFlow.Send(ctx, msg, 0); return err }},
		{"Flow.Recv", func() error { _, err := rxFlow.Recv(ctx, 0); return err }},
	}
	// Each receive is paired with the send before it, so that it never
	// waits; the batches stay in step because loopback delivers all 8.
	for i := 0; i < len(calls); i += 2 {
		send, recv := calls[i], calls[i+1]
		allocs := testing.AllocsPerRun(200, func() {
			if err := send.fn(); err != nil {
				t.Fatalf("%s: %v", send.name, err)
			}
			if err := recv.fn(); err != nil {
				t.Fatalf("%s: %v", recv.name, err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s and %s: got %v allocations per pair, want 0", send.name, recv.name, allocs)
		}
	}
}

// The same on raw IPv4 sockets in a namespace, where the kernel answers:
// an echo request out with SendTo and SendBatch, the replies in with
// RecvMsg and RecvBatch.
func TestRawCallsAllocateNothing(t *testing.T) {
	h := netlab.Loopback(t)
	if raceEnabled {
		t.Skip("the race detector allocates on its own")
	}
	var tx, rx *Socket
	h.MustDo(func() error {
		var err error
		if tx, err = Open(INET, RAW, ProtoICMP, &Config{LazyPoller: true}); err != nil {
			return err
		}
		rx, err = Open(INET, RAW, ProtoICMP, nil)
		return err
	})
	defer tx.Close()
	defer rx.Close()
	if err := tx.SetHeaderIncluded(true); err != nil {
		t.Fatal(err)
	}
	// Only echo replies reach rx (ICMP_FILTER blocks every other type).
	if err := rx.SetOption(unix.SOL_RAW, unix.ICMP_FILTER, int(^uint32(1))); err != nil {
		t.Fatal(err)
	}
	rx.SetTimeout(5 * time.Second)
	to := Addr(Inet(lo4, 0))
	req := echoRequest(0x4242, []byte("raw"))
	out := []Message{{Data: req, Addr: to}, {Data: req, Addr: to}}
	in := []Message{{Data: make([]byte, 1500)}, {Data: make([]byte, 1500)}}
	m := Message{Data: make([]byte, 1500)}
	var got int
	single := testing.AllocsPerRun(200, func() {
		if _, err := tx.SendTo(bg, req, 0, to); err != nil {
			t.Fatal(err)
		}
		if err := rx.RecvMsg(bg, &m, 0); err != nil {
			t.Fatal(err)
		}
		got++
	})
	batch := testing.AllocsPerRun(200, func() {
		if n, err := tx.SendBatch(bg, out, 0); err != nil || n != 2 {
			t.Fatalf("SendBatch: %d, %v", n, err)
		}
		for n := 0; n < 2; {
			k, err := rx.RecvBatch(bg, in[n:], 0)
			if err != nil {
				t.Fatal(err)
			}
			n += k
		}
	})
	if single != 0 || batch != 0 {
		t.Errorf("got %v allocations per SendTo+RecvMsg and %v per SendBatch+RecvBatch, want 0", single, batch)
	}
	if ia, ok := m.Addr.(InetAddr); !ok || ia.Addr() != lo4 || m.N < 28 || m.Data[20] != 0 {
		t.Errorf("last reply: %d bytes from %v, type %d; want an echo reply from 127.0.0.1", m.N, m.Addr, m.Data[20])
	}
	if got != 201 { // AllocsPerRun runs once more to warm up
		t.Errorf("received %d replies, want 201", got)
	}
}

// The address cache returns the Addr it decoded for a sender seen
// lately, and a fresh, correct one for any other.
func TestAddrCache(t *testing.T) {
	var c addrCache
	enc := func(a Addr) *sockaddr {
		var sa sockaddr
		if err := sa.encode(a.Family(), a); err != nil {
			t.Fatal(err)
		}
		return &sa
	}
	addrs := []Addr{
		Inet(lo4, 1), Inet(lo4, 2), Inet(lo6, 1), Packet(1, EthIPv4),
		Inet(lo4, 3), Inet(lo4, 4), Inet(lo4, 5),
	}
	for round := range 2 {
		for _, a := range addrs {
			got, err := c.addr(enc(a))
			if err != nil || got != a {
				t.Errorf("round %d: got %v, %v; want %v", round, got, err, a)
			}
		}
	}
	// A unix address is too long to keep, and decoded each time.
	if got, err := c.addr(enc(Unix("/run/x.sock"))); err != nil || got != Unix("/run/x.sock") {
		t.Errorf("unix: got %v, %v", got, err)
	}
	if got, err := c.addr(&sockaddr{}); got != nil || err != nil {
		t.Errorf("no address: got %v, %v; want nil, nil", got, err)
	}
}

// Calls on one socket from many goroutines at once, each direction
// sharing the socket's spare call: every datagram arrives intact, from
// the right sender.
func TestConcurrentCalls(t *testing.T) {
	for _, lazy := range []bool{false, true} {
		t.Run(fmt.Sprintf("lazy=%v", lazy), func(t *testing.T) {
			tx, rx, to := udpPair(t, lazy)
			rx.SetRecvBuffer(1 << 20)
			from, _ := tx.SockName()
			const senders, each = 4, 200
			var wg sync.WaitGroup
			for g := range senders {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range each {
						msg := []byte(fmt.Sprintf("%d/%d", g, i))
						if i%2 == 0 {
							tx.SendTo(bg, msg, 0, to)
						} else {
							tx.SendBatch(bg, []Message{{Data: msg, Addr: to}}, 0)
						}
					}
				}()
			}
			seen := make(map[string]bool)
			var mu sync.Mutex
			ctx, cancel := context.WithTimeout(bg, 10*time.Second)
			defer cancel()
			var rg sync.WaitGroup
			for range 3 {
				rg.Add(1)
				go func() {
					defer rg.Done()
					m := Message{Data: make([]byte, 64)}
					for {
						if err := rx.RecvMsg(ctx, &m, 0); err != nil {
							return
						}
						if m.Addr != from {
							t.Errorf("sender %v, want %v", m.Addr, from)
						}
						mu.Lock()
						seen[string(m.Data[:m.N])] = true
						done := len(seen) == senders*each
						mu.Unlock()
						if done {
							cancel()
						}
					}
				}()
			}
			wg.Wait()
			rg.Wait()
			if len(seen) != senders*each {
				t.Errorf("received %d distinct datagrams, want %d", len(seen), senders*each)
			}
		})
	}
}

// epollTargets returns the descriptors this process has in any epoll
// instance, as the kernel lists them in /proc/self/fdinfo.
func epollTargets(t *testing.T) map[int]bool {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip(err)
	}
	in := make(map[int]bool)
	for _, e := range fds {
		link, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if err != nil || link != "anon_inode:[eventpoll]" {
			continue
		}
		info, err := os.ReadFile(filepath.Join("/proc/self/fdinfo", e.Name()))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(info), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "tfd:" {
				if n, err := strconv.Atoi(f[1]); err == nil {
					in[n] = true
				}
			}
		}
	}
	return in
}

// A LazyPoller socket is not in the poller (the kernel's epoll lists say
// so) until a call waits, and leaves it once calls stop waiting.
func TestLazyPollerStaysOut(t *testing.T) {
	tx, rx, to := udpPair(t, true)
	polled, _, _ := udpPair(t, false)
	in := epollTargets(t)
	if !in[polled.Fileno()] {
		t.Fatalf("an ordinary socket (fd %d) is not in the poller: cannot tell", polled.Fileno())
	}
	if in[rx.Fileno()] || in[tx.Fileno()] {
		t.Errorf("lazy sockets %d and %d are in the poller: %v", rx.Fileno(), tx.Fileno(), in)
	}
	before := len(in)
	got := make(chan error, 1)
	go func() {
		_, _, err := rx.RecvFromInto(bg, make([]byte, 16), 0)
		got <- err
	}()
	// While the receive waits, one more descriptor is in the poller.
	deadline := time.Now().Add(5 * time.Second)
	for len(epollTargets(t)) == before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := len(epollTargets(t)); n != before+1 {
		t.Errorf("while waiting: %d descriptors in the poller, want %d", n, before+1)
	}
	if _, err := tx.SendTo(bg, []byte("x"), 0, to); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatalf("waiting receive: %v", err)
	}
	// It stays while waits may come again, and leaves after
	// lazyDropAfter calls in a row that did not wait.
	buf := make([]byte, 16)
	for i := range lazyDropAfter {
		if n := len(epollTargets(t)); n != before+1 {
			t.Fatalf("after %d calls without a wait: %d descriptors in the poller, want %d", i, n, before+1)
		}
		tx.SendTo(bg, []byte("y"), 0, to)
		if _, _, err := rx.RecvFromInto(bg, buf, 0); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(epollTargets(t)); n != before {
		t.Errorf("after %d calls without a wait: %d descriptors in the poller, want %d", lazyDropAfter, n, before)
	}
	if fl, _ := unix.FcntlInt(uintptr(rx.Fileno()), unix.F_GETFL, 0); fl&unix.O_NONBLOCK == 0 {
		t.Error("a lazy socket's descriptor is not non-blocking")
	}
}

// Timeouts, deadlines, non-blocking mode, contexts and Close behave on a
// LazyPoller socket as on any other.
func TestLazyPollerWaits(t *testing.T) {
	tx, rx, to := udpPair(t, true)
	buf := make([]byte, 16)

	rx.SetTimeout(20 * time.Millisecond)
	if _, _, err := rx.RecvFromInto(bg, buf, 0); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("timeout: got %v, want os.ErrDeadlineExceeded", err)
	}
	rx.SetTimeout(NoTimeout)
	rx.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if _, err := rx.RecvInto(bg, buf, 0); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("read deadline: got %v, want os.ErrDeadlineExceeded", err)
	}
	rx.SetReadDeadline(time.Time{})

	rx.SetBlocking(false)
	if _, err := rx.RecvInto(bg, buf, 0); err != ErrWouldBlock {
		t.Errorf("non-blocking: got %v, want ErrWouldBlock", err)
	}
	rx.SetBlocking(true)

	ctx, cancel := context.WithCancel(bg)
	time.AfterFunc(20*time.Millisecond, cancel)
	if err := rx.RecvMsg(ctx, &Message{Data: buf}, 0); err != context.Canceled {
		t.Errorf("cancelled: got %v, want context.Canceled", err)
	}
	dctx, dcancel := context.WithTimeout(bg, 20*time.Millisecond)
	defer dcancel()
	if _, err := rx.RecvBatch(dctx, []Message{{Data: buf}}, 0); err != context.DeadlineExceeded {
		t.Errorf("context deadline: got %v, want context.DeadlineExceeded", err)
	}

	// Nothing is left behind: a datagram sent now is received.
	tx.SendTo(bg, []byte("after"), 0, to)
	if n, from, err := rx.RecvFromInto(bg, buf, 0); string(buf[:n]) != "after" || err != nil || from == nil {
		t.Errorf("after the waits: got %q from %v, %v", buf[:n], from, err)
	}

	errc := make(chan error, 1)
	go func() {
		_, err := rx.RecvInto(bg, buf, 0)
		errc <- err
	}()
	time.Sleep(20 * time.Millisecond)
	rx.Close()
	if err := <-errc; !errors.Is(err, net.ErrClosed) {
		t.Errorf("Close during a wait: got %v, want net.ErrClosed", err)
	}
}

// A LazyPoller TCP client connects, waiting for the handshake, and holds
// a conversation, its writes waiting for room when the peer is slow.
func TestLazyPollerStream(t *testing.T) {
	l, la := listener(t, INET, STREAM, Inet(lo4, 0))
	c, err := Open(INET, STREAM, 0, &Config{LazyPoller: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetSendBuffer(4096)
	if err := c.Connect(bg, la); err != nil {
		t.Fatal(err)
	}
	s, _, err := l.Accept(bg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	big := make([]byte, 1<<20)
	for i := range big {
		big[i] = byte(i * 7)
	}
	got := make(chan []byte)
	go func() {
		var b []byte
		buf := make([]byte, 4096)
		for len(b) < len(big) {
			time.Sleep(time.Microsecond)
			n, err := s.RecvInto(bg, buf, 0)
			if err != nil || n == 0 {
				break
			}
			b = append(b, buf[:n]...)
		}
		got <- b
	}()
	if n, err := c.SendAll(bg, big, 0); n != len(big) || err != nil {
		t.Fatalf("SendAll: %d, %v", n, err)
	}
	if b := <-got; string(b) != string(big) {
		t.Errorf("received %d bytes that differ from the %d sent", len(b), len(big))
	}
}

// A Flow carries datagrams both ways with the Socket's own semantics:
// the sender's address, timeouts, contexts, non-blocking mode, Close.
func TestFlow(t *testing.T) {
	for _, lazy := range []bool{false, true} {
		t.Run(fmt.Sprintf("lazy=%v", lazy), func(t *testing.T) {
			tx, rx, to := udpPair(t, lazy)
			from, _ := tx.SockName()
			rx.SetTimestamps(true)
			out, err := tx.NewFlow(to, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			in, err := rx.NewFlow(nil, 8, 64)
			if err != nil {
				t.Fatal(err)
			}
			if n, err := out.Send(bg, []byte("hello"), 0); n != 5 || err != nil {
				t.Fatalf("Send: %d, %v", n, err)
			}
			m, err := in.Recv(bg, 0)
			if err != nil || string(m.Data[:m.N]) != "hello" || m.Addr != from || m.Time.IsZero() {
				t.Fatalf("Recv: %q from %v at %v, %v; want hello from %v with a time", m.Data[:m.N], m.Addr, m.Time, err, from)
			}
			// A datagram longer than the buffer is cut, and says so.
			out.Send(bg, []byte("longer than eight"), 0)
			if m, err = in.Recv(bg, unix.MSG_TRUNC); err != nil || m.N != 17 || m.Flags&unix.MSG_TRUNC == 0 || string(m.Data) != "longer t" {
				t.Errorf("long datagram: N %d, flags %#x, %q, %v", m.N, m.Flags, m.Data, err)
			}

			rx.SetTimeout(20 * time.Millisecond)
			if _, err := in.Recv(bg, 0); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("timeout: got %v, want os.ErrDeadlineExceeded", err)
			}
			rx.SetTimeout(0)
			if _, err := in.Recv(bg, 0); err != ErrWouldBlock {
				t.Errorf("non-blocking: got %v, want ErrWouldBlock", err)
			}
			rx.SetTimeout(NoTimeout)
			ctx, cancel := context.WithTimeout(bg, 20*time.Millisecond)
			defer cancel()
			if _, err := in.Recv(ctx, 0); err != context.DeadlineExceeded {
				t.Errorf("context: got %v, want context.DeadlineExceeded", err)
			}
			rx.Close()
			if _, err := in.Recv(bg, 0); !errors.Is(err, net.ErrClosed) {
				t.Errorf("after Close: got %v, want net.ErrClosed", err)
			}
		})
	}
	s, _ := listener(t, INET, STREAM, Inet(lo4, 0))
	if _, err := s.NewFlow(nil, 64, 0); err == nil {
		t.Error("a flow on a stream socket: got no error")
	}
	u := mustOpen(t, INET, DGRAM, 0)
	if _, err := u.NewFlow(Unix("/x"), 64, 0); err == nil {
		t.Error("a flow to a unix address from an inet socket: got no error")
	}
}

// A receive into an empty buffer after one into a full one must not use
// the first one's buffer: the call state is reused between calls.
func TestRecvMsgEmptyAfterFull(t *testing.T) {
	tx, rx, to := udpPair(t, false)
	tx.SendTo(bg, []byte("one"), 0, to)
	tx.SendTo(bg, []byte("two"), 0, to)
	m := Message{Data: make([]byte, 16)}
	if err := rx.RecvMsg(bg, &m, 0); err != nil || string(m.Data[:m.N]) != "one" {
		t.Fatalf("first: %q, %v", m.Data[:m.N], err)
	}
	m = Message{}
	if err := rx.RecvMsg(bg, &m, unix.MSG_TRUNC); err != nil || m.N != 3 || m.Flags&unix.MSG_TRUNC == 0 {
		t.Errorf("into no buffer: N %d, flags %#x, %v; want 3, MSG_TRUNC, nil", m.N, m.Flags, err)
	}
}
