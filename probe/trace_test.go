package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"sort"
	"strings"
	"testing"
	"time"
)

// fakePath is a TraceConn over a scripted path: hop i (from 1) answers a
// probe whose TTL runs out there, the destination answers the rest.
type fakePath struct {
	clock *virtualClock
	hops  []hopScript // the routers, then the destination
	queue []TraceAnswer
	sends []sentProbe
}

type sentProbe struct {
	n, ttl int
	at     time.Duration
}

type hopScript struct {
	addr   netip.Addr
	rtt    time.Duration
	silent bool
	// err is the ICMP error this hop sends; nil for a router is time
	// exceeded, nil for the destination is a direct answer (echo reply,
	// SYN-ACK).
	err *ICMPError
	// alt answers every second probe from another address.
	alt netip.Addr
}

func (f *fakePath) Close() error { return nil }

func (f *fakePath) Send(_ context.Context, n, ttl int) (time.Time, error) {
	now := f.clock.now
	f.sends = append(f.sends, sentProbe{n, ttl, now.Sub(newClock().now)})
	i := min(ttl, len(f.hops)) - 1
	h := f.hops[i]
	if h.silent {
		return now, nil
	}
	a := TraceAnswer{Probe: n, From: h.addr, Time: now.Add(h.rtt)}
	if h.alt.IsValid() && n%2 == 1 {
		a.From = h.alt
	}
	switch {
	case h.err != nil:
		e := *h.err
		e.From = a.From
		a.Err = &e
	case i < len(f.hops)-1:
		a.Err = &ICMPError{From: a.From, V6: a.From.Is6(), Type: icmpTimeExceeded}
		if a.From.Is6() {
			a.Err.Type = icmp6TimeExceeded
		}
	}
	f.queue = append(f.queue, a)
	sort.SliceStable(f.queue, func(i, j int) bool { return f.queue[i].Time.Before(f.queue[j].Time) })
	return now, nil
}

func (f *fakePath) Receive(ctx context.Context, deadline time.Time) (TraceAnswer, error) {
	if len(f.queue) > 0 && !f.queue[0].Time.After(deadline) {
		a := f.queue[0]
		f.queue = f.queue[1:]
		if a.Time.After(f.clock.now) {
			f.clock.now = a.Time
		}
		return a, nil
	}
	if deadline.After(f.clock.now) {
		f.clock.now = deadline
	}
	return TraceAnswer{}, os.ErrDeadlineExceeded
}

var (
	r1  = netip.MustParseAddr("198.51.100.1")
	r2  = netip.MustParseAddr("192.0.2.2")
	r2b = netip.MustParseAddr("192.0.2.9")
	dst = netip.MustParseAddr("203.0.113.2")
	us  = time.Microsecond
)

func trace(t *testing.T, cfg TraceConfig, f *fakePath) (string, *TraceSummary) {
	t.Helper()
	f.clock = newClock()
	cfg.Clock = f.clock
	if !cfg.Addr.IsValid() {
		cfg.Addr = dst
	}
	if cfg.Host == "" {
		cfg.Host = cfg.Addr.String()
	}
	if cfg.PacketLen == 0 {
		cfg.PacketLen = 60
	}
	var out bytes.Buffer
	s, err := Trace(context.Background(), f, &cfg, &TraceText{Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), s
}

func TestTraceOutput(t *testing.T) {
	unreach := func(code uint8) *ICMPError { return &ICMPError{Type: icmpUnreach, Code: code} }
	tests := []struct {
		name    string
		cfg     TraceConfig
		hops    []hopScript
		want    string
		reached bool
	}{
		{
			name: "three hops",
			hops: []hopScript{{addr: r1, rtt: 254 * us}, {addr: r2, rtt: 57 * us}, {addr: dst, rtt: 59 * us}},
			want: "traceroute to 203.0.113.2 (203.0.113.2), 30 hops max, 60 byte packets\n" +
				" 1  198.51.100.1  0.254 ms  0.254 ms  0.254 ms\n" +
				" 2  192.0.2.2  0.057 ms  0.057 ms  0.057 ms\n" +
				" 3  203.0.113.2  0.059 ms  0.059 ms  0.059 ms\n",
			reached: true,
		},
		{
			name: "udp port unreachable",
			hops: []hopScript{{addr: r1, rtt: 100 * us}, {addr: dst, rtt: 200 * us, err: unreach(3)}},
			want: "traceroute to 203.0.113.2 (203.0.113.2), 30 hops max, 60 byte packets\n" +
				" 1  198.51.100.1  0.100 ms  0.100 ms  0.100 ms\n" +
				" 2  203.0.113.2  0.200 ms  0.200 ms  0.200 ms\n",
			reached: true,
		},
		{
			name: "silent hop",
			hops: []hopScript{{addr: r1, rtt: 100 * us}, {silent: true}, {addr: dst, rtt: 300 * us}},
			want: "traceroute to 203.0.113.2 (203.0.113.2), 30 hops max, 60 byte packets\n" +
				" 1  198.51.100.1  0.100 ms  0.100 ms  0.100 ms\n" +
				" 2  * * *\n" +
				" 3  203.0.113.2  0.300 ms  0.300 ms  0.300 ms\n",
			reached: true,
		},
		{
			name: "host unreachable",
			hops: []hopScript{{addr: r1, rtt: 100 * us}, {addr: r2, rtt: 57 * us, err: unreach(1)}, {addr: dst}},
			want: "traceroute to 203.0.113.2 (203.0.113.2), 30 hops max, 60 byte packets\n" +
				" 1  198.51.100.1  0.100 ms  0.100 ms  0.100 ms\n" +
				" 2  192.0.2.2  0.057 ms !H  0.057 ms !H  0.057 ms !H\n",
		},
		{
			name: "net unreachable and prohibited",
			hops: []hopScript{{addr: r1, rtt: 100 * us, err: unreach(0)}},
			want: "traceroute to 203.0.113.2 (203.0.113.2), 30 hops max, 60 byte packets\n" +
				" 1  198.51.100.1  0.100 ms !N  0.100 ms !N  0.100 ms !N\n",
		},
		{
			name: "two addresses on one hop",
			cfg:  TraceConfig{Queries: 4},
			hops: []hopScript{{addr: r2, alt: r2b, rtt: 10 * us}, {addr: dst, rtt: 20 * us}},
			want: "traceroute to 203.0.113.2 (203.0.113.2), 30 hops max, 60 byte packets\n" +
				" 1  192.0.2.2  0.010 ms 192.0.2.9  0.010 ms 192.0.2.2  0.010 ms 192.0.2.9  0.010 ms\n" +
				" 2  203.0.113.2  0.020 ms  0.020 ms  0.020 ms  0.020 ms\n",
			reached: true,
		},
		{
			name: "first and max ttl",
			cfg:  TraceConfig{FirstTTL: 2, MaxTTL: 2, Queries: 1},
			hops: []hopScript{{addr: r1, rtt: 100 * us}, {addr: r2, rtt: 57 * us}, {addr: dst, rtt: 59 * us}},
			want: "traceroute to 203.0.113.2 (203.0.113.2), 2 hops max, 60 byte packets\n" +
				" 2  192.0.2.2  0.057 ms\n",
		},
		{
			name: "never reached",
			cfg:  TraceConfig{MaxTTL: 3, Queries: 2, Wait: time.Second},
			hops: []hopScript{{addr: r1, rtt: 100 * us}, {silent: true}},
			want: "traceroute to 203.0.113.2 (203.0.113.2), 3 hops max, 60 byte packets\n" +
				" 1  198.51.100.1  0.100 ms  0.100 ms\n" +
				" 2  * *\n" +
				" 3  * *\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, s := trace(t, tt.cfg, &fakePath{hops: tt.hops})
			if out != tt.want {
				t.Errorf("got\n%s\nwant\n%s", out, tt.want)
			}
			if s.Reached != tt.reached {
				t.Errorf("reached: got %v, want %v", s.Reached, tt.reached)
			}
		})
	}
}

// TestTraceTiming checks how long probes wait: the full -w when nothing
// else is known, a few round trips once the same hop or a later one has
// answered, and that at most -N probes are in flight.
func TestTraceTiming(t *testing.T) {
	t.Run("silent hop waits ten round trips of a later answer", func(t *testing.T) {
		f := &fakePath{hops: []hopScript{{addr: r1, rtt: 100 * us}, {silent: true}, {addr: dst, rtt: 300 * us}}}
		trace(t, TraceConfig{}, f)
		// Everything goes at once (9 probes < 16); hop 3 answers after
		// 0.3 ms, so hop 2's probes expire 10 × 1.3 ms after sending.
		if end := f.clock.now.Sub(newClock().now); end != 13*time.Millisecond {
			t.Errorf("run took %v, want 13ms", end)
		}
	})
	t.Run("nothing answers: full wait", func(t *testing.T) {
		f := &fakePath{hops: []hopScript{{silent: true}}}
		trace(t, TraceConfig{MaxTTL: 2, Queries: 1, Wait: 2 * time.Second}, f)
		if end := f.clock.now.Sub(newClock().now); end != 2*time.Second {
			t.Errorf("run took %v, want 2s", end)
		}
	})
	t.Run("one at a time", func(t *testing.T) {
		f := &fakePath{hops: []hopScript{{addr: r1, rtt: time.Millisecond}, {addr: dst, rtt: 2 * time.Millisecond}}}
		trace(t, TraceConfig{Simultaneous: 1, Queries: 2}, f)
		want := []sentProbe{{0, 1, 0}, {1, 1, time.Millisecond}, {2, 2, 2 * time.Millisecond}, {3, 2, 4 * time.Millisecond}}
		if len(f.sends) != len(want) {
			t.Fatalf("got sends %v, want %v", f.sends, want)
		}
		for i := range want {
			if f.sends[i] != want[i] {
				t.Errorf("send %d: got %+v, want %+v", i, f.sends[i], want[i])
			}
		}
	})
	t.Run("first probes in flight at once", func(t *testing.T) {
		f := &fakePath{hops: []hopScript{{silent: true}}}
		trace(t, TraceConfig{MaxTTL: 30, Wait: time.Second}, f)
		burst := 0
		for _, s := range f.sends {
			if s.at == 0 {
				burst++
			}
		}
		if burst != DefaultSimultaneous || len(f.sends) != 90 {
			t.Errorf("got %d probes at once and %d in all, want %d and 90", burst, len(f.sends), DefaultSimultaneous)
		}
	})
}

func TestTraceJSON(t *testing.T) {
	f := &fakePath{hops: []hopScript{{addr: r1, rtt: 100 * us}, {silent: true}, {addr: dst, rtt: 250 * us}}}
	f.clock = newClock()
	var out bytes.Buffer
	cfg := &TraceConfig{Host: "server", Addr: dst, Queries: 2, Clock: f.clock}
	if _, err := Trace(context.Background(), f, cfg, &TraceJSON{Out: &out}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("got %d lines, want 4:\n%s", len(lines), out.String())
	}
	var h1, h2 JSONHop
	var s JSONTraceSummary
	for i, v := range []any{&h1, &h2} {
		if err := json.Unmarshal([]byte(lines[i]), v); err != nil {
			t.Fatal(err)
		}
	}
	if err := json.Unmarshal([]byte(lines[3]), &s); err != nil {
		t.Fatal(err)
	}
	if h1.Hop != 1 || len(h1.Probes) != 2 || h1.Probes[0].Addr != "198.51.100.1" || *h1.Probes[0].TimeMS != 0.1 {
		t.Errorf("hop 1: got %+v", h1)
	}
	if h2.Hop != 2 || len(h2.Probes) != 2 || h2.Probes[0].Addr != "" || h2.Probes[0].TimeMS != nil || !h2.Probes[0].Timeout {
		t.Errorf("hop 2: got %+v", h2)
	}
	if s.Type != "summary" || !s.Reached || s.Hops != 3 || s.Host != "server" {
		t.Errorf("summary: got %+v", s)
	}
}

func TestMarks(t *testing.T) {
	for _, tt := range []struct {
		e    ICMPError
		want string
	}{
		{ICMPError{Type: 11}, ""},
		{ICMPError{Type: 3, Code: 3}, ""},
		{ICMPError{Type: 3, Code: 0}, "!N"},
		{ICMPError{Type: 3, Code: 1}, "!H"},
		{ICMPError{Type: 3, Code: 2}, "!P"},
		{ICMPError{Type: 3, Code: 4, Info: 1400}, "!F-1400"},
		{ICMPError{Type: 3, Code: 5}, "!S"},
		{ICMPError{Type: 3, Code: 13}, "!X"},
		{ICMPError{Type: 3, Code: 14}, "!V"},
		{ICMPError{Type: 3, Code: 15}, "!C"},
		{ICMPError{Type: 3, Code: 16}, "!<16>"},
		{ICMPError{Type: 11, Code: 1}, "!<11-1>"},
		{ICMPError{V6: true, Type: 3}, ""},
		{ICMPError{V6: true, Type: 1, Code: 4}, ""},
		{ICMPError{V6: true, Type: 1, Code: 0}, "!N"},
		{ICMPError{V6: true, Type: 1, Code: 1}, "!X"},
		{ICMPError{V6: true, Type: 1, Code: 3}, "!H"},
		{ICMPError{V6: true, Type: 1, Code: 7}, "!<7>"},
		{ICMPError{V6: true, Type: 2, Info: 1280}, "!F-1280"},
		{ICMPError{V6: true, Type: 4, Code: 1}, "!<4-1>"},
	} {
		if got := tt.e.Mark(); got != tt.want {
			t.Errorf("%+v: got %q, want %q", tt.e, got, tt.want)
		}
	}
}
