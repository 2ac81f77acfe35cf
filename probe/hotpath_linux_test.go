package probe

import (
	"context"
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/rawsock/rawsock/internal/netlab"
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
