package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"
)

var (
	server4 = netip.MustParseAddr("203.0.113.2")
	router4 = netip.MustParseAddr("198.51.100.1")
	server6 = netip.MustParseAddr("2001:db8:2::2")
	router6 = netip.MustParseAddr("2001:db8:1::1")
)

// run pings with a fake peer and returns stdout, stderr, the statistics
// and the exit code.
func run(t *testing.T, cfg PingConfig, f *fakeEcho, tr *TextReporter) (string, string, *PingStats, int) {
	t.Helper()
	clock := newClock()
	f.clock = clock
	if f.dst == (netip.Addr{}) {
		f.dst = cfg.Addr
	}
	cfg.Clock = clock
	if cfg.Host == "" {
		cfg.Host = cfg.Addr.String()
	}
	var out, errb bytes.Buffer
	if tr == nil {
		tr = &TextReporter{}
	}
	tr.Out, tr.Err = &out, &errb
	s, err := Ping(context.Background(), f, &cfg, tr)
	if err != nil {
		t.Fatalf("Ping: %v", err)
	}
	return out.String(), errb.String(), s, ExitCode(&cfg, s)
}

func rtts(from netip.Addr, ttl int, us ...int) func(uint16, []byte) []arrival {
	return func(seq uint16, req []byte) []arrival {
		i := int(seq) - 1
		if i >= len(us) || us[i] < 0 {
			return nil
		}
		return []arrival{reply(req, from, ttl, time.Duration(us[i])*time.Microsecond)}
	}
}

func TestPingOutput(t *testing.T) {
	tests := []struct {
		name   string
		cfg    PingConfig
		fake   fakeEcho
		tr     TextReporter
		want   string
		stderr string
		code   int
	}{
		{
			// The numbers of a real iputils run: 33 and 81 µs give an
			// mdev of 24 µs.
			name: "two replies",
			cfg:  PingConfig{Addr: server4, Count: 2},
			fake: fakeEcho{id: 7, raw: true, script: rtts(server4, 62, 33, 81)},
			want: "PING 203.0.113.2 (203.0.113.2) 56(84) bytes of data.\n" +
				"64 bytes from 203.0.113.2: icmp_seq=1 ttl=62 time=0.033 ms\n" +
				"64 bytes from 203.0.113.2: icmp_seq=2 ttl=62 time=0.081 ms\n" +
				"\n--- 203.0.113.2 ping statistics ---\n" +
				"2 packets transmitted, 2 received, 0% packet loss, time 1000ms\n" +
				"rtt min/avg/max/mdev = 0.033/0.057/0.081/0.024 ms\n",
		},
		{
			// iputils' square root rounds 24 up to 5: 17, 7 and 6 µs give
			// mdev 0.005, as a real "ping -l 3 -c 3" printed.
			name: "preload pipe",
			cfg:  PingConfig{Addr: server4, Count: 3, Preload: 3},
			fake: fakeEcho{id: 7, raw: true, script: rtts(server4, 62, 17, 7, 6), sendCost: 15 * time.Microsecond},
			want: "PING 203.0.113.2 (203.0.113.2) 56(84) bytes of data.\n" +
				"64 bytes from 203.0.113.2: icmp_seq=1 ttl=62 time=0.017 ms\n" +
				"64 bytes from 203.0.113.2: icmp_seq=2 ttl=62 time=0.007 ms\n" +
				"64 bytes from 203.0.113.2: icmp_seq=3 ttl=62 time=0.006 ms\n" +
				"\n--- 203.0.113.2 ping statistics ---\n" +
				"3 packets transmitted, 3 received, 0% packet loss, time 0ms\n" +
				"rtt min/avg/max/mdev = 0.006/0.010/0.017/0.005 ms, pipe 3\n",
		},
		{
			name: "ipv6 with loss",
			cfg:  PingConfig{Addr: server6, Count: 3},
			fake: fakeEcho{id: 9, script: rtts(server6, 62, 58, -1, 91)},
			want: "PING 2001:db8:2::2(2001:db8:2::2) 56 data bytes\n" +
				"64 bytes from 2001:db8:2::2: icmp_seq=1 ttl=62 time=0.058 ms\n" +
				"64 bytes from 2001:db8:2::2: icmp_seq=3 ttl=62 time=0.091 ms\n" +
				"\n--- 2001:db8:2::2 ping statistics ---\n" +
				"3 packets transmitted, 2 received, 33.3333% packet loss, time 2000ms\n" +
				"rtt min/avg/max/mdev = 0.058/0.074/0.091/0.016 ms\n",
			code: 0,
		},
		{
			name: "time exceeded",
			cfg:  PingConfig{Addr: server4, Count: 2},
			fake: fakeEcho{id: 7, raw: true, script: func(seq uint16, req []byte) []arrival {
				return []arrival{icmpErr(req, server4, router4, icmpTimeExceeded, 0, 50*time.Microsecond)}
			}},
			want: "PING 203.0.113.2 (203.0.113.2) 56(84) bytes of data.\n" +
				"From 198.51.100.1 icmp_seq=1 Time to live exceeded\n" +
				"From 198.51.100.1 icmp_seq=2 Time to live exceeded\n" +
				"\n--- 203.0.113.2 ping statistics ---\n" +
				"2 packets transmitted, 0 received, +2 errors, 100% packet loss, time 1000ms\n\n",
			code: 1,
		},
		{
			name: "ipv6 no route",
			cfg:  PingConfig{Addr: server6, Count: 1},
			fake: fakeEcho{id: 9, script: func(seq uint16, req []byte) []arrival {
				return []arrival{icmpErr(req, server6, router6, icmp6Unreach, 0, 50*time.Microsecond)}
			}},
			want: "PING 2001:db8:2::2(2001:db8:2::2) 56 data bytes\n" +
				"From 2001:db8:1::1 icmp_seq=1 Destination unreachable: No route\n" +
				"\n--- 2001:db8:2::2 ping statistics ---\n" +
				"1 packets transmitted, 0 received, +1 errors, 100% packet loss, time 0ms\n\n",
			code: 1,
		},
		{
			name: "duplicate",
			cfg:  PingConfig{Addr: server4, Count: 2},
			fake: fakeEcho{id: 7, raw: true, script: func(seq uint16, req []byte) []arrival {
				a := []arrival{reply(req, server4, 64, 100*time.Microsecond)}
				if seq == 1 {
					a = append(a, reply(req, server4, 64, 300*time.Microsecond))
				}
				return a
			}},
			want: "PING 203.0.113.2 (203.0.113.2) 56(84) bytes of data.\n" +
				"64 bytes from 203.0.113.2: icmp_seq=1 ttl=64 time=0.100 ms\n" +
				"64 bytes from 203.0.113.2: icmp_seq=1 ttl=64 time=0.300 ms (DUP!)\n" +
				"64 bytes from 203.0.113.2: icmp_seq=2 ttl=64 time=0.100 ms\n" +
				"\n--- 203.0.113.2 ping statistics ---\n" +
				"2 packets transmitted, 2 received, +1 duplicates, 0% packet loss, time 1000ms\n" +
				"rtt min/avg/max/mdev = 0.100/0.166/0.300/0.094 ms\n",
		},
		{
			// Replies that are not ours: another process's identifier,
			// another source, a sequence number never sent. None counts.
			name: "foreign replies",
			cfg:  PingConfig{Addr: server4, Count: 1, Linger: 2 * time.Second},
			fake: fakeEcho{id: 7, raw: true, script: func(seq uint16, req []byte) []arrival {
				other := append([]byte(nil), req...)
				other[5]++ // identifier 8
				unsent := append([]byte(nil), req...)
				unsent[7] = 9 // sequence 9
				return []arrival{
					reply(other, server4, 64, time.Millisecond),
					reply(req, router4, 64, 2*time.Millisecond),
					reply(unsent, server4, 64, 3*time.Millisecond),
					icmpErr(other, server4, router4, icmpTimeExceeded, 0, 4*time.Millisecond),
					icmpErr(req, netip.MustParseAddr("192.0.2.9"), router4, icmpTimeExceeded, 0, 5*time.Millisecond),
				}
			}},
			want: "PING 203.0.113.2 (203.0.113.2) 56(84) bytes of data.\n" +
				"\n--- 203.0.113.2 ping statistics ---\n" +
				"1 packets transmitted, 0 received, 100% packet loss, time 0ms\n\n",
			code: 1,
		},
		{
			name: "flood",
			cfg:  PingConfig{Addr: server4, Count: 3, Flood: true},
			fake: fakeEcho{id: 7, raw: true, script: rtts(server4, 64, 40, 10, 10)},
			tr:   TextReporter{Flood: true},
			want: "PING 203.0.113.2 (203.0.113.2) 56(84) bytes of data.\n" +
				".\b \b.\b \b.\b \b" +
				"\n--- 203.0.113.2 ping statistics ---\n" +
				"3 packets transmitted, 3 received, 0% packet loss, time 0ms\n" +
				"rtt min/avg/max/mdev = 0.010/0.020/0.040/0.014 ms, ipg/ewma 0.025/0.033 ms\n",
		},
		{
			name: "quiet",
			cfg:  PingConfig{Addr: server4, Count: 2, Interval: 10 * time.Millisecond, IntervalSet: true},
			fake: fakeEcho{id: 7, raw: true, script: rtts(server4, 62, 19, 29)},
			tr:   TextReporter{Quiet: true},
			want: "PING 203.0.113.2 (203.0.113.2) 56(84) bytes of data.\n" +
				"\n--- 203.0.113.2 ping statistics ---\n" +
				"2 packets transmitted, 2 received, 0% packet loss, time 10ms\n" +
				"rtt min/avg/max/mdev = 0.019/0.024/0.029/0.005 ms\n",
		},
		{
			// Four bytes of data cannot hold a time: no times at all.
			name: "small",
			cfg:  PingConfig{Addr: server4, Count: 1, Size: 4},
			fake: fakeEcho{id: 7, raw: true, script: rtts(server4, 62, 48)},
			want: "PING 203.0.113.2 (203.0.113.2) 4(32) bytes of data.\n" +
				"12 bytes from 203.0.113.2: icmp_seq=1 ttl=62\n" +
				"\n--- 203.0.113.2 ping statistics ---\n" +
				"1 packets transmitted, 1 received, 0% packet loss, time 0ms\n\n",
		},
		{
			name: "pattern source timestamps",
			cfg: PingConfig{Addr: server4, Count: 1, Pattern: []byte{0xab}, ShowSource: true,
				Source: netip.MustParseAddr("198.51.100.2"), Device: "eth0"},
			fake: fakeEcho{id: 7, raw: true, script: rtts(server4, 62, 1234)},
			tr:   TextReporter{Timestamps: true, Verbose: true, ShowID: true},
			want: "PATTERN: 0xab\n" +
				"PING 203.0.113.2 (203.0.113.2) from 198.51.100.2 eth0: 56(84) bytes of data.\n" +
				"[1767323045.001234] 64 bytes from 203.0.113.2: icmp_seq=1 ident=7 ttl=62 time=1.23 ms\n" +
				"\n--- 203.0.113.2 ping statistics ---\n" +
				"1 packets transmitted, 1 received, 0% packet loss, time 0ms\n" +
				"rtt min/avg/max/mdev = 1.234/1.234/1.234/0.000 ms\n",
		},
		{
			name: "outstanding",
			cfg:  PingConfig{Addr: server4, Count: 2, Outstanding: true, Linger: time.Second},
			fake: fakeEcho{id: 7, raw: true, script: rtts(server4, 62, -1, 20)},
			want: "PING 203.0.113.2 (203.0.113.2) 56(84) bytes of data.\n" +
				"no answer yet for icmp_seq=1\n" +
				"64 bytes from 203.0.113.2: icmp_seq=2 ttl=62 time=0.020 ms\n" +
				"\n--- 203.0.113.2 ping statistics ---\n" +
				"2 packets transmitted, 1 received, 50% packet loss, time 1000ms\n" +
				"rtt min/avg/max/mdev = 0.020/0.020/0.020/0.000 ms\n",
		},
		{
			name: "message too long",
			cfg:  PingConfig{Addr: server4, Count: 1, Size: 2000},
			fake: fakeEcho{id: 7, raw: true, sendErr: func(uint16) error {
				return &LocalError{Errno: syscall.EMSGSIZE, MTU: 1500}
			}},
			want: "PING 203.0.113.2 (203.0.113.2) 2000(2028) bytes of data.\n" +
				"\n--- 203.0.113.2 ping statistics ---\n" +
				"1 packets transmitted, 0 received, +1 errors, 100% packet loss, time 0ms\n\n",
			stderr: "ping: local error: message too long, mtu=1500\n",
			code:   1,
		},
		{
			name: "send error",
			cfg:  PingConfig{Addr: server4, Count: 1, Linger: time.Second},
			fake: fakeEcho{id: 7, raw: true, sendErr: func(uint16) error {
				return errors.New("sendto: network is unreachable")
			}},
			tr: TextReporter{Prog: "rawsock: ping"},
			want: "PING 203.0.113.2 (203.0.113.2) 56(84) bytes of data.\n" +
				"\n--- 203.0.113.2 ping statistics ---\n" +
				"1 packets transmitted, 0 received, 100% packet loss, time 0ms\n\n",
			stderr: "rawsock: ping: sendmsg: Network is unreachable\n",
			code:   1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := tt.tr
			out, stderr, _, code := run(t, tt.cfg, &tt.fake, &tr)
			if out != tt.want {
				t.Errorf("stdout:\ngot  %q\nwant %q", out, tt.want)
			}
			if stderr != tt.stderr {
				t.Errorf("stderr: got %q, want %q", stderr, tt.stderr)
			}
			if code != tt.code {
				t.Errorf("exit code: got %d, want %d", code, tt.code)
			}
		})
	}
}

// TestPingTiming checks when requests go and when the run ends: the
// interval, -w, -W, the final wait after a counted run, and that an error
// ends a run with a deadline.
func TestPingTiming(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name     string
		cfg      PingConfig
		script   func(uint16, []byte) []arrival
		sends    []time.Duration // when each request went, from the start
		duration time.Duration   // when the run ended
		code     int
	}{
		{"count", PingConfig{Count: 3}, rtts(server4, 64, 10, 10, 10),
			[]time.Duration{0, time.Second, 2 * time.Second}, 2*time.Second + 10*time.Microsecond, 0},
		{"interval", PingConfig{Count: 3, Interval: 200 * ms, IntervalSet: true}, rtts(server4, 64, 10, 10, 10),
			[]time.Duration{0, 200 * ms, 400 * ms}, 400*ms + 10*time.Microsecond, 0},
		// With no reply the run waits -W after the last request.
		{"linger", PingConfig{Count: 2, Linger: 3 * time.Second}, nil,
			[]time.Duration{0, time.Second}, 4 * time.Second, 1},
		{"default linger", PingConfig{Count: 1}, nil,
			[]time.Duration{0}, 10 * time.Second, 1},
		// -w sends past the count until the count of replies comes back.
		{"deadline", PingConfig{Count: 2, Deadline: 5 * time.Second}, rtts(server4, 64, -1, 10, 10),
			[]time.Duration{0, time.Second, 2 * time.Second}, 2*time.Second + 10*time.Microsecond, 0},
		{"deadline passes", PingConfig{Count: 5, Deadline: 3 * time.Second}, rtts(server4, 64, 10, -1, -1, -1, -1),
			[]time.Duration{0, time.Second, 2 * time.Second}, 3 * time.Second, 1},
		{"deadline alone", PingConfig{Deadline: 2 * time.Second}, rtts(server4, 64, 10, 10, 10),
			[]time.Duration{0, time.Second}, 2 * time.Second, 0},
		{"error ends deadline run", PingConfig{Count: 5, Deadline: 10 * time.Second}, func(seq uint16, req []byte) []arrival {
			if seq == 2 {
				return []arrival{icmpErr(req, server4, router4, icmpUnreach, 1, 3*ms)}
			}
			return []arrival{reply(req, server4, 64, ms)}
		}, []time.Duration{0, time.Second}, time.Second + 3*ms, 1},
		// A run ends as soon as the count is answered; when an answer is
		// missing it waits twice the longest round trip (at least an
		// interval) after the last request...
		{"final wait", PingConfig{Count: 2, Interval: 50 * ms, IntervalSet: true}, rtts(server4, 64, 30000, -1),
			[]time.Duration{0, 50 * ms}, 50*ms + 60*ms, 0},
		// ...measured when the last request goes: with no reply yet by
		// then, it is the linger time, as in iputils.
		{"final wait before any reply", PingConfig{Count: 2, Interval: 10 * ms, IntervalSet: true, Linger: time.Second}, rtts(server4, 64, 30000, -1),
			[]time.Duration{0, 10 * ms}, 10*ms + time.Second, 0},
		{"preload", PingConfig{Count: 4, Preload: 3}, rtts(server4, 64, 10, 10, 10, 10),
			[]time.Duration{0, 0, 0, time.Second}, time.Second + 10*time.Microsecond, 0},
		{"flood without replies waits 10ms", PingConfig{Count: 3, Flood: true, Linger: time.Second}, nil,
			[]time.Duration{0, 10 * ms, 20 * ms}, 20*ms + time.Second, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Addr = server4
			f := &fakeEcho{id: 7, raw: true, script: tt.script}
			_, _, _, code := run(t, tt.cfg, f, nil)
			start := newClock().now
			var got []time.Duration
			for _, s := range f.sends {
				got = append(got, s.Sub(start))
			}
			if len(got) != len(tt.sends) {
				t.Fatalf("got sends at %v, want %v", got, tt.sends)
			}
			for i := range got {
				if got[i] != tt.sends[i] {
					t.Errorf("send %d: got %v, want %v", i+1, got[i], tt.sends[i])
				}
			}
			if end := f.clock.now.Sub(start); end != tt.duration {
				t.Errorf("run ended at %v, want %v", end, tt.duration)
			}
			if code != tt.code {
				t.Errorf("exit code: got %d, want %d", code, tt.code)
			}
		})
	}
}

// TestPingSequenceWrap runs past sequence number 65535 in a flood and
// checks that nothing is taken for a duplicate.
func TestPingSequenceWrap(t *testing.T) {
	const n = 70000
	f := &fakeEcho{id: 7, raw: true, script: func(seq uint16, req []byte) []arrival {
		return []arrival{reply(req, server4, 64, 5*time.Microsecond)}
	}}
	_, _, s, code := run(t, PingConfig{Addr: server4, Count: n, Flood: true}, f, &TextReporter{Quiet: true})
	if s.Transmitted != n || s.Received != n || s.Duplicates != 0 || code != 0 {
		t.Errorf("got %d sent, %d received, %d duplicates, code %d; want %d, %d, 0, 0",
			s.Transmitted, s.Received, s.Duplicates, code, n, n)
	}
}

// TestPingCancel stops a run from the context, as SIGINT does: the
// statistics still print.
func TestPingCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	clock := newClock()
	f := &fakeEcho{clock: clock, dst: server4, id: 7, raw: true, script: func(seq uint16, req []byte) []arrival {
		if seq == 3 {
			cancel()
		}
		return []arrival{reply(req, server4, 64, 10*time.Microsecond)}
	}}
	var out bytes.Buffer
	cfg := &PingConfig{Addr: server4, Host: "server", Clock: clock}
	s, err := Ping(ctx, f, cfg, &TextReporter{Out: &out, Err: &out, Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	if s.Transmitted != 3 || s.Received != 2 {
		t.Errorf("got %d sent, %d received; want 3 and 2", s.Transmitted, s.Received)
	}
	if !strings.Contains(out.String(), "--- server ping statistics ---\n3 packets transmitted, 2 received, 33.3333% packet loss") {
		t.Errorf("statistics missing:\n%s", out.String())
	}
}

// TestPingStatus asks for running statistics (SIGQUIT) while a run
// waits: the wait ends at once and the statistics so far are printed.
func TestPingStatus(t *testing.T) {
	status := make(chan struct{})
	f := &fakeEcho{id: 7, raw: true, waiting: make(chan struct{})}
	f.script = func(seq uint16, req []byte) []arrival {
		switch seq {
		case 1, 3:
			return []arrival{reply(req, server4, 64, time.Duration(seq)*100*time.Microsecond)}
		case 4:
			f.blockNext = true
		}
		return nil
	}
	go func() {
		<-f.waiting
		status <- struct{}{}
	}()
	_, stderr, _, _ := run(t, PingConfig{Addr: server4, Count: 5, Linger: time.Second, Status: status}, f, nil)
	want := "\r2/4 packets, 50% loss, min/avg/ewma/max = 0.100/0.200/0.125/0.300 ms\n"
	if stderr != want {
		t.Errorf("got %q, want %q", stderr, want)
	}
}

func TestPingJSON(t *testing.T) {
	clock := newClock()
	f := &fakeEcho{clock: clock, dst: server4, id: 7, raw: true, script: func(seq uint16, req []byte) []arrival {
		if seq == 2 {
			return []arrival{icmpErr(req, server4, router4, icmpTimeExceeded, 0, 20*time.Microsecond)}
		}
		return []arrival{reply(req, server4, 62, 45*time.Microsecond)}
	}}
	var out bytes.Buffer
	cfg := &PingConfig{Addr: server4, Host: "server", Count: 2, Clock: clock}
	if _, err := Ping(context.Background(), f, cfg, &JSONReporter{Out: &out}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want 3:\n%s", len(lines), out.String())
	}
	var r JSONReply
	var e JSONError
	var s JSONSummary
	for i, v := range []any{&r, &e, &s} {
		if err := json.Unmarshal([]byte(lines[i]), v); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
	}
	if r.Type != "reply" || r.From != "203.0.113.2" || r.Seq != 1 || r.TTL == nil || *r.TTL != 62 || r.TimeMS == nil || *r.TimeMS != 0.045 {
		t.Errorf("reply: got %+v", r)
	}
	if e.Type != "error" || e.From != "198.51.100.1" || e.Seq != 2 || e.ICMPType != 11 || e.Message != "Time to live exceeded" {
		t.Errorf("error: got %+v", e)
	}
	if s.Type != "summary" || s.Transmitted != 2 || s.Received != 1 || s.Errors != 1 || s.LossPercent != 50 || *s.MinMS != 0.045 {
		t.Errorf("summary: got %+v", s)
	}
}

func TestFormatRTT(t *testing.T) {
	for us, want := range map[int64]string{
		0: "0.000", 45: "0.045", 999: "0.999", 1000: "1.00", 1234: "1.23", 1235: "1.24",
		9994: "9.99", 9995: "10.0", 12345: "12.3", 99949: "99.9", 99950: "100", 123456: "123",
	} {
		if got := FormatRTT(us); got != want {
			t.Errorf("FormatRTT(%d): got %q, want %q", us, got, want)
		}
	}
}

func TestIsqrt(t *testing.T) {
	// iputils' Newton iteration, not the floor of the root.
	for v, want := range map[int64]int64{0: 0, 1: 1, 2: 1, 3: 2, 4: 2, 8: 3, 9: 3, 24: 5, 576: 24, 6666: 81, -5: 0} {
		if got := isqrt(v); got != want {
			t.Errorf("isqrt(%d): got %d, want %d", v, got, want)
		}
	}
}

func TestLoss(t *testing.T) {
	for _, tt := range []struct {
		sent, got int
		want      string
	}{{3, 2, "33.3333"}, {3, 1, "66.6667"}, {1, 0, "100"}, {7, 7, "0"}, {100000, 99999, "0.001"}, {3, 0, "100"}} {
		s := &PingStats{Host: "h", Transmitted: tt.sent, Received: tt.got}
		if text := StatsText(s); !strings.Contains(text, ", "+tt.want+"% packet loss") {
			t.Errorf("%d/%d: got %q, want %s%%", tt.got, tt.sent, text, tt.want)
		}
	}
}

// loopConn answers every request at once, with no system call: what is
// left is the engine's own cost per packet.
type loopConn struct {
	pending []byte
	now     time.Time
}

func (l *loopConn) ID() uint16   { return 7 }
func (l *loopConn) Raw() bool    { return true }
func (l *loopConn) Close() error { return nil }
func (l *loopConn) Send(_ context.Context, seq uint16, data []byte) (time.Time, error) {
	l.pending = AppendEcho(l.pending[:0], false, 7, seq, data)
	l.pending[0] = icmpEchoReply
	l.pending[2], l.pending[3] = 0, 0
	c := Checksum(l.pending)
	l.pending[2], l.pending[3] = byte(c>>8), byte(c)
	l.now = time.Now()
	return l.now, nil
}
func (l *loopConn) Receive(context.Context, time.Time) (Answer, error) {
	return Answer{ICMP: l.pending, From: server4, TTL: 64, Time: l.now}, nil
}

// BenchmarkPingEngine is a flood against a peer that answers at once.
func BenchmarkPingEngine(b *testing.B) {
	cfg := &PingConfig{Addr: server4, Host: "h", Count: b.N, Flood: true, Status: make(chan struct{})}
	b.ReportAllocs()
	s, err := Ping(context.Background(), &loopConn{}, cfg, &TextReporter{Out: io.Discard, Err: io.Discard, Flood: true})
	if err != nil || s.Received != b.N {
		b.Fatalf("got %v, %d of %d", err, s.Received, b.N)
	}
}
