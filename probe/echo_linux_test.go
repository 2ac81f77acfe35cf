package probe

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rawsock/rawsock/internal/netlab"
)

// pingIn pings dst from host h over a real socket and returns the text
// output and the statistics.
func pingIn(t *testing.T, h *netlab.Host, opts EchoOptions, cfg PingConfig) (string, *PingStats) {
	t.Helper()
	var conn EchoConn
	h.MustDo(func() (err error) {
		conn, err = OpenEcho(&opts)
		return err
	})
	defer conn.Close()
	cfg.Addr = opts.Dst
	if cfg.Host == "" {
		cfg.Host = opts.Dst.String()
	}
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Ping(ctx, conn, &cfg, &TextReporter{Out: &out, Err: &out})
	if err != nil {
		t.Fatalf("ping %s: %v\n%s", opts.Dst, err, out.String())
	}
	return out.String(), s
}

// TestEchoKinds pings loopback over both kinds of socket, in both
// families, and checks the kernel's answers.
func TestEchoKinds(t *testing.T) {
	h := netlab.Loopback(t)
	h.Sysctl("net.ipv4.ping_group_range", "0 2147483647")
	for _, kind := range []SocketKind{RawSocket, DatagramSocket} {
		for _, dst := range []string{"127.0.0.1", "::1"} {
			t.Run(kind.String()+" "+dst, func(t *testing.T) {
				out, s := pingIn(t, h, EchoOptions{Dst: netip.MustParseAddr(dst), Kind: kind},
					PingConfig{Count: 3, Interval: 10 * time.Millisecond, IntervalSet: true})
				if s.Received != 3 || s.Transmitted != 3 || s.Duplicates != 0 {
					t.Errorf("got %d/%d replies, %d duplicates; want 3/3, 0:\n%s", s.Received, s.Transmitted, s.Duplicates, out)
				}
				if !strings.Contains(out, "icmp_seq=3 ttl=64 time=") {
					t.Errorf("no third reply with ttl=64:\n%s", out)
				}
			})
		}
	}
}

// TestEchoRouted pings across the routed lab: ttl 62 at the server, time
// exceeded from r1 at TTL 1, for each family and socket kind.
func TestEchoRouted(t *testing.T) {
	r := netlab.NewRouted(t)
	r.Client.Sysctl("net.ipv4.ping_group_range", "0 2147483647")
	for _, kind := range []SocketKind{RawSocket, DatagramSocket} {
		for _, fam := range []struct{ dst, r1 string }{
			{netlab.RoutedServer4, netlab.RoutedR1In4},
			{netlab.RoutedServer6, netlab.RoutedR1In6},
		} {
			dst := netip.MustParseAddr(fam.dst)
			t.Run(kind.String()+" "+fam.dst, func(t *testing.T) {
				out, s := pingIn(t, r.Client, EchoOptions{Dst: dst, Kind: kind},
					PingConfig{Count: 2, Interval: 10 * time.Millisecond, IntervalSet: true})
				if s.Received != 2 || !strings.Contains(out, "ttl=62") {
					t.Errorf("want 2 replies with ttl=62:\n%s", out)
				}
				out, s = pingIn(t, r.Client, EchoOptions{Dst: dst, Kind: kind, TTL: 1},
					PingConfig{Count: 2, Interval: 10 * time.Millisecond, IntervalSet: true})
				want := "From " + fam.r1 + " icmp_seq=2 Time"
				if s.Errors != 2 || s.Received != 0 || !strings.Contains(out, want) {
					t.Errorf("want 2 errors and %q:\n%s", want, out)
				}
			})
		}
	}
}

// TestEchoMessageTooLong sends more than the MTU with DF set: the send
// fails with the MTU from the error queue.
func TestEchoMessageTooLong(t *testing.T) {
	a, _ := netlab.Pair(t)
	var conn EchoConn
	a.MustDo(func() (err error) {
		conn, err = OpenEcho(&EchoOptions{Dst: netip.MustParseAddr("198.51.100.2"), PMTUDisc: "do"})
		return err
	})
	defer conn.Close()
	_, err := conn.Send(context.Background(), 1, make([]byte, 2000))
	var le *LocalError
	if !errors.As(err, &le) || le.Errno != syscall.EMSGSIZE || le.MTU != 1500 {
		t.Fatalf("got %v, want a local EMSGSIZE error with mtu 1500", err)
	}
	if got, want := le.Error(), "local error: message too long, mtu=1500"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// BenchmarkFlood is ping -f -q on a namespace's loopback: one request,
// its reply, the next request.
func BenchmarkFlood(b *testing.B) {
	h := netlab.Loopback(b)
	var conn EchoConn
	h.MustDo(func() (err error) {
		conn, err = OpenEcho(&EchoOptions{Dst: netip.MustParseAddr("127.0.0.1")})
		return err
	})
	defer conn.Close()
	ctx, cancel := signalLikeContext()
	defer cancel()
	cfg := &PingConfig{Addr: netip.MustParseAddr("127.0.0.1"), Host: "127.0.0.1", Count: b.N, Flood: true, Status: make(chan struct{})}
	b.ResetTimer()
	s, err := Ping(ctx, conn, cfg, &TextReporter{Out: io.Discard, Err: io.Discard, Quiet: true, Flood: true})
	if err != nil || s.Received != b.N {
		b.Fatalf("got %v, %d replies of %d", err, s.Received, b.N)
	}
}

// signalLikeContext is a cancellable context like the CLI's
// signal.NotifyContext.
func signalLikeContext() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}
