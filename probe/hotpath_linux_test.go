package probe

import (
	"context"
	"encoding/binary"
	"errors"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/rawsock/rawsock/internal/netlab"
	"github.com/rawsock/rawsock/sockets"
)

// A flood's request and its reply cost no allocation, on either kind of
// socket and in both families: the kernel in a namespace answers, and
// every reply must carry the sequence number just sent.
func TestEchoAllocatesNothing(t *testing.T) {
	h := netlab.Loopback(t)
	if raceEnabled {
		t.Skip("the race detector allocates on its own")
	}
	h.Sysctl("net.ipv4.ping_group_range", "0 2147483647")
	for _, kind := range []SocketKind{RawSocket, DatagramSocket} {
		for _, dst := range []string{"127.0.0.1", "::1"} {
			t.Run(kind.String()+" "+dst, func(t *testing.T) {
				var conn EchoConn
				h.MustDo(func() (err error) {
					conn, err = OpenEcho(&EchoOptions{Dst: netip.MustParseAddr(dst), Kind: kind})
					return err
				})
				defer conn.Close()
				ctx := context.Background()
				data := make([]byte, DefaultSize)
				var seq uint16
				allocs := testing.AllocsPerRun(300, func() {
					seq++
					if _, err := conn.Send(ctx, seq, data); err != nil {
						t.Fatalf("send %d: %v", seq, err)
					}
					a, err := conn.Receive(ctx, time.Now().Add(5*time.Second))
					if err != nil {
						t.Fatalf("reply to %d: %v", seq, err)
					}
					if len(a.ICMP) < 8 || binary.BigEndian.Uint16(a.ICMP[6:]) != seq || a.Err != nil {
						t.Fatalf("reply to %d: got %x, %v", seq, a.ICMP, a.Err)
					}
				})
				if allocs != 0 {
					t.Errorf("got %v allocations per request and reply, want 0", allocs)
				}
			})
		}
	}
}

// Two pings in one namespace: each sees only its own replies. The first
// reply of the other process that reaches a raw socket makes it attach
// the identifier filter, after which the kernel keeps the other's
// replies out of the socket altogether.
func TestEchoFilterAttachedOnForeignReply(t *testing.T) {
	h := netlab.Loopback(t)
	for _, dst := range []string{"127.0.0.1", "::1"} {
		t.Run(dst, func(t *testing.T) {
			var a, b EchoConn
			h.MustDo(func() (err error) {
				opts := EchoOptions{Dst: netip.MustParseAddr(dst), Kind: RawSocket}
				opts.ID = 0x1111
				if a, err = OpenEcho(&opts); err != nil {
					return err
				}
				opts.ID = 0x2222
				b, err = OpenEcho(&opts)
				return err
			})
			defer a.Close()
			defer b.Close()
			ctx := context.Background()
			data := make([]byte, DefaultSize)
			ping := func(seq uint16) {
				t.Helper()
				if _, err := a.Send(ctx, seq, data); err != nil {
					t.Fatal(err)
				}
				ans, err := a.Receive(ctx, time.Now().Add(5*time.Second))
				if err != nil || binary.BigEndian.Uint16(ans.ICMP[4:]) != 0x1111 {
					t.Fatalf("a's reply to %d: %x, %v", seq, ans.ICMP, err)
				}
			}
			ping(1)
			// b's socket holds a's reply; b drops it and attaches the filter.
			if ans, err := b.Receive(ctx, time.Now().Add(50*time.Millisecond)); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("b received %x, %v; want nothing (os.ErrDeadlineExceeded)", ans.ICMP, err)
			}
			ping(2)
			// Now the kernel drops a's replies before b's socket queues them.
			s := b.(interface{ Socket() *sockets.Socket }).Socket()
			if err := s.RecvMsg(ctx, &sockets.Message{Data: make([]byte, 1500)}, 0); err != sockets.ErrWouldBlock {
				t.Errorf("b's socket after its filter was attached: got %v, want sockets.ErrWouldBlock", err)
			}
			// b's own pings still get through.
			if _, err := b.Send(ctx, 7, data); err != nil {
				t.Fatal(err)
			}
			if ans, err := b.Receive(ctx, time.Now().Add(5*time.Second)); err != nil || binary.BigEndian.Uint16(ans.ICMP[6:]) != 7 {
				t.Errorf("b's own reply: %x, %v", ans.ICMP, err)
			}
		})
	}
}
