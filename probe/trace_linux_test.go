package probe

import (
	"bytes"
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/rawsock/rawsock/internal/netlab"
)

// traceIn traces from h over a real socket.
func traceIn(t *testing.T, h *netlab.Host, opts TraceOptions, cfg TraceConfig) (string, *TraceSummary) {
	t.Helper()
	var conn TraceConn
	h.MustDo(func() (err error) {
		conn, err = OpenTrace(&opts)
		return err
	})
	defer conn.Close()
	cfg.Addr, cfg.Host, cfg.PacketLen = opts.Dst, opts.Dst.String(), opts.ProbeSize()
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := Trace(ctx, conn, &cfg, &TraceText{Out: &out})
	if err != nil {
		t.Fatalf("trace %s: %v\n%s", opts.Dst, err, out.String())
	}
	return out.String(), s
}

// TestTraceMethods traces across the routed lab with each method and
// family: the hops are r1, r2 and the server, and the server is reached.
func TestTraceMethods(t *testing.T) {
	r := netlab.NewRouted(t)
	for _, m := range []TraceMethod{TraceUDP, TraceICMP, TraceTCP} {
		for _, fam := range []struct{ dst, r1, r2 string }{
			{netlab.RoutedServer4, netlab.RoutedR1In4, netlab.RoutedR2In4},
			{netlab.RoutedServer6, netlab.RoutedR1In6, netlab.RoutedR2In6},
		} {
			t.Run(m.String()+" "+fam.dst, func(t *testing.T) {
				dst := netip.MustParseAddr(fam.dst)
				out, s := traceIn(t, r.Client, TraceOptions{Dst: dst, Method: m}, TraceConfig{Wait: 2 * time.Second})
				t.Log("\n" + out)
				if !s.Reached || s.Hops != 3 {
					t.Errorf("got reached %v after %d hops, want the server at hop 3:\n%s", s.Reached, s.Hops, out)
				}
			})
		}
	}
}
