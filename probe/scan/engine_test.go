package scan

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// fakeProber stands in for the network: answer says what the try-th probe
// (counted from 1) of a port draws, if anything. Answers arrive at once.
type fakeProber struct {
	answer  func(port uint16, try int) (Reply, bool)
	busy    int   // how many of the next Probe calls find the buffer full
	fail    error // what Probe returns once busy is spent, when not nil
	replies chan Reply

	mu     sync.Mutex
	sent   []uint16
	tries  map[uint16]int
	closed bool
}

func newFake(answer func(port uint16, try int) (Reply, bool)) *fakeProber {
	if answer == nil {
		answer = func(uint16, int) (Reply, bool) { return Reply{}, false }
	}
	return &fakeProber{answer: answer, replies: make(chan Reply, 70000), tries: map[uint16]int{}}
}

func (f *fakeProber) Probe(port uint16) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.busy > 0 {
		f.busy--
		return ErrBusy
	}
	if f.fail != nil {
		return f.fail
	}
	f.sent = append(f.sent, port)
	f.tries[port]++
	if rep, ok := f.answer(port, f.tries[port]); ok {
		f.replies <- rep
	}
	return nil
}

func (f *fakeProber) Replies() <-chan Reply { return f.replies }

func (f *fakeProber) Close() error {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	return nil
}

func (f *fakeProber) sentCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.sent)
}

// lab is the fake network of the Run tests: what each port does.
func lab(port uint16, try int) (Reply, bool) {
	switch port {
	case 22, 80:
		return Reply{Port: port, State: Open, Reason: ReasonSynAck, TTL: 64}, true
	case 81:
		return Reply{Port: port, State: Closed, Reason: ReasonReset, TTL: 64}, true
	case 443: // answers the retry only, as after a lost first probe
		return Reply{Port: port, State: Open, Reason: ReasonSynAck, TTL: 64}, try == 2
	case 8443:
		return Reply{Port: port, State: Filtered, Reason: ReasonAdminProhibited, TTL: 64}, true
	}
	return Reply{}, false // dropped
}

func TestRun(t *testing.T) {
	for _, m := range []Method{SYN, UDP, Connect} {
		t.Run(m.String(), func(t *testing.T) {
			f := newFake(lab)
			var seen []uint16
			cfg := &Config{
				Target: target4, Method: m, Prober: f, Retries: 1, Timeout: 20 * time.Millisecond,
				Ports:    []uint16{8443, 22, 9999, 81, 443, 80, 22},
				OnResult: func(r Result) { seen = append(seen, r.Port) },
			}
			r, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			silent := Filtered
			if m == UDP {
				silent = OpenFiltered
			}
			want := []Result{
				{Port: 22, State: Open, Reason: ReasonSynAck, Probes: 1},
				{Port: 80, State: Open, Reason: ReasonSynAck, Probes: 1},
				{Port: 81, State: Closed, Reason: ReasonReset, Probes: 1},
				{Port: 443, State: Open, Reason: ReasonSynAck, Probes: 2},
				{Port: 8443, State: Filtered, Reason: ReasonAdminProhibited, Probes: 1},
				{Port: 9999, State: silent, Reason: ReasonNoResponse, Probes: 2},
			}
			if len(r.Results) != len(want) {
				t.Fatalf("got %d results, want %d: %+v", len(r.Results), len(want), r.Results)
			}
			for i, w := range want {
				g := r.Results[i]
				if g.Port != w.Port || g.State != w.State || g.Reason != w.Reason || g.Probes != w.Probes {
					t.Errorf("port %d: got %v %v after %d probes, want %v %v after %d",
						w.Port, g.State, g.Reason, g.Probes, w.State, w.Reason, w.Probes)
				}
				if (g.Reason == ReasonNoResponse) != (g.RTT == 0) || (g.Reason == ReasonNoResponse) != (g.TTL == 0) {
					t.Errorf("port %d: RTT %v and TTL %d, want both only for an answer", g.Port, g.RTT, g.TTL)
				}
			}
			if r.Ports != 6 || r.Sent != 8 || r.Replies != 5 || r.Interrupted || len(seen) != 6 {
				t.Errorf("got ports %d, sent %d, replies %d, interrupted %v, %d results reported; want 6, 8, 5, false, 6",
					r.Ports, r.Sent, r.Replies, r.Interrupted, len(seen))
			}
			if !f.closed {
				t.Error("Run did not close the prober")
			}
		})
	}
}

// TestRunInterrupted cancels a scan as soon as its first port is decided:
// Run returns the partial report at once, not after the silent ports' time.
func TestRunInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := &Config{
		Target: target4, Method: SYN, Prober: newFake(lab), Retries: 5, Timeout: time.Hour,
		Ports: []uint16{81, 9000, 9001}, OnResult: func(Result) { cancel() },
	}
	r, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Interrupted || len(r.Results) != 1 || r.Results[0].Port != 81 || r.Ports != 3 {
		t.Errorf("got interrupted %v with %+v of %d ports, want port 81 alone of 3", r.Interrupted, r.Results, r.Ports)
	}
}

func TestRunErrors(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name string
		cfg  *Config
	}{
		{"nil config", nil},
		{"no method", &Config{Target: target4, Ports: []uint16{1}, Prober: newFake(nil)}},
		{"no target", &Config{Method: SYN, Ports: []uint16{1}, Prober: newFake(nil)}},
		{"no ports", &Config{Target: target4, Method: SYN, Prober: newFake(nil)}},
		{"port 0", &Config{Target: target4, Method: SYN, Ports: []uint16{0}, Prober: newFake(nil)}},
		{"negative retries", &Config{Target: target4, Method: SYN, Ports: []uint16{1}, Retries: -1, Prober: newFake(nil)}},
		{"probe fails", &Config{Target: target4, Method: SYN, Ports: []uint16{1}, Prober: &fakeProber{fail: boom, replies: make(chan Reply)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Run(context.Background(), tt.cfg); err == nil {
				t.Error("got no error")
			}
		})
	}
	f := &fakeProber{fail: boom, replies: make(chan Reply)}
	if _, err := Run(context.Background(), &Config{Target: target4, Method: SYN, Ports: []uint16{7}, Prober: f}); !errors.Is(err, boom) {
		t.Errorf("got %v, want the prober's error", err)
	}
}

// TestRunProberStops closes the replies channel under a running scan.
func TestRunProberStops(t *testing.T) {
	f := newFake(nil)
	close(f.replies)
	if _, err := Run(context.Background(), &Config{Target: target4, Method: SYN, Ports: []uint16{7}, Prober: f, Timeout: time.Hour}); err == nil {
		t.Error("got no error")
	}
}

// The tests below drive one run step by step with made-up times, so every
// decision of the scheduler is checked without waiting.

// stepRun makes a run whose clock moves only when the test calls at: at(d)
// sets it to d after the start.
func stepRun(cfg *Config, f *fakeProber) (r *run, at func(time.Duration)) {
	cfg.Target, cfg.Prober = target4, f
	if cfg.Method == 0 {
		cfg.Method = SYN
	}
	r = newRun(cfg, f)
	start := time.Now()
	clock := start
	r.now = func() time.Time { return clock }
	return r, func(d time.Duration) { clock = start.Add(d) }
}

func TestParallel(t *testing.T) {
	f := newFake(nil)
	r, at := stepRun(&Config{Ports: []uint16{1, 2, 3, 4, 5}, Parallel: 2, Timeout: time.Second, Retries: 1}, f)
	r.send()
	if got := f.sentCount(); got != 2 {
		t.Fatalf("sent %d probes, want 2 (Parallel)", got)
	}
	r.take(Reply{Port: 1, State: Closed, Reason: ReasonReset})
	r.send()
	if got := f.sentCount(); got != 3 {
		t.Fatalf("after one answer: sent %d probes, want 3", got)
	}
	at(time.Second) // the probes of 2 and 3 expire and go back to the queue for a retry
	r.expire()
	r.send()
	if got, want := f.sent, []uint16{1, 2, 3, 4, 5}; !equalPorts(got, want) {
		t.Fatalf("sent %v, want %v: new ports before retries", got, want)
	}
	if r.undecided != 4 || r.out != 2 {
		t.Errorf("undecided %d, out %d; want 4, 2", r.undecided, r.out)
	}
}

func TestRetries(t *testing.T) {
	f := newFake(nil)
	r, at := stepRun(&Config{Method: UDP, Ports: []uint16{53}, Timeout: time.Second, Retries: 2}, f)
	for try := 1; try <= 3; try++ {
		r.send()
		if got := f.sentCount(); got != try {
			t.Fatalf("try %d: %d probes sent", try, got)
		}
		if w := r.wake(); w != time.Second {
			t.Errorf("try %d: wake in %v, want the timeout", try, w)
		}
		at(time.Duration(try) * time.Second)
		r.expire()
	}
	if r.undecided != 0 || len(r.report.Results) != 1 {
		t.Fatalf("undecided %d after every retry", r.undecided)
	}
	if got := r.report.Results[0]; got.State != OpenFiltered || got.Reason != ReasonNoResponse || got.Probes != 3 {
		t.Errorf("got %+v, want open|filtered, no-response, 3 probes", got)
	}
}

// TestLateAnswer: the first probe's answer arrives after its timeout, while
// the retry waits in the queue: it decides the port, and the retry is never
// sent.
func TestLateAnswer(t *testing.T) {
	f := newFake(nil)
	r, at := stepRun(&Config{Ports: []uint16{22, 23}, Parallel: 1, Timeout: time.Second, Retries: 1}, f)
	r.send()
	at(time.Second)
	r.expire() // 22 goes back to the queue, behind 23
	r.send()   // 23
	at(1500 * time.Millisecond)
	r.take(Reply{Port: 22, State: Open, Reason: ReasonSynAck})
	r.take(Reply{Port: 23, State: Closed, Reason: ReasonReset})
	r.send()
	if got := f.sent; !equalPorts(got, []uint16{22, 23}) {
		t.Errorf("sent %v, want [22 23]: no retry for a port already answered", got)
	}
	if r.undecided != 0 || r.report.Results[0].State != Open || r.report.Results[0].RTT != 1500*time.Millisecond {
		t.Errorf("got %+v, want 22 open after 1.5s", r.report.Results)
	}
}

func TestStrayReplies(t *testing.T) {
	f := newFake(nil)
	r, _ := stepRun(&Config{Ports: []uint16{22, 23}, Parallel: 1, Timeout: time.Second}, f)
	r.send()                               // 22 only
	r.take(Reply{Port: 99, State: Open})   // not scanned
	r.take(Reply{Port: 23, State: Closed}) // not probed yet
	r.take(Reply{Port: 22, State: Open, Reason: ReasonSynAck})
	r.take(Reply{Port: 22, State: Closed, Reason: ReasonReset}) // a duplicate changes nothing
	if r.report.Replies != 2 || r.undecided != 1 || r.report.Results[0].State != Open {
		t.Errorf("replies %d, undecided %d, results %+v; want 2, 1, 22 open", r.report.Replies, r.undecided, r.report.Results)
	}
}

func TestBusy(t *testing.T) {
	f := newFake(nil)
	f.busy = 1
	r, at := stepRun(&Config{Ports: []uint16{22}, Timeout: time.Second}, f)
	r.send()
	if f.sentCount() != 0 || r.report.Sent != 0 {
		t.Fatal("a probe refused with ErrBusy counts as sent")
	}
	if w := r.wake(); w != busyPause {
		t.Errorf("wake after ErrBusy: %v, want %v", w, busyPause)
	}
	at(busyPause)
	r.send()
	if f.sentCount() != 1 {
		t.Error("the probe was not sent again after the pause")
	}
}

func TestRate(t *testing.T) {
	f := newFake(nil)
	ports := make([]uint16, 100)
	for i := range ports {
		ports[i] = uint16(i + 1)
	}
	r, at := stepRun(&Config{Ports: ports, Rate: 1000, Timeout: time.Hour}, f)
	r.send()
	if got := f.sentCount(); got != 1 {
		t.Fatalf("at the start: sent %d, want 1", got)
	}
	if w := r.wake(); w != time.Millisecond {
		t.Errorf("wake: %v, want 1ms at 1000 probes/s", w)
	}
	at(5 * time.Millisecond)
	r.send()
	if got := f.sentCount(); got != 6 {
		t.Errorf("after 5ms: sent %d, want 6", got)
	}
	// After a long pause the bucket holds 10ms worth, not the whole pause.
	at(time.Second)
	r.send()
	if got := f.sentCount(); got != 16 {
		t.Errorf("after a pause: sent %d, want 16", got)
	}
}

// TestAdaptiveExpiry: probes sent before the first answer wait as long as
// the estimate that answer brings, not the initial Timeout.
func TestAdaptiveExpiry(t *testing.T) {
	f := newFake(nil)
	r, at := stepRun(&Config{Ports: []uint16{22, 23}, Timeout: time.Second, MinTimeout: 100 * time.Millisecond, Retries: 1}, f)
	r.send()
	if w := r.wake(); w != time.Second {
		t.Errorf("before any answer: wake in %v, want Timeout", w)
	}
	at(time.Millisecond)
	r.take(Reply{Port: 22, State: Open, Reason: ReasonSynAck})
	if w := r.wake(); w != 99*time.Millisecond {
		t.Errorf("after a 1ms answer: wake in %v, want 99ms", w)
	}
	at(100 * time.Millisecond)
	r.expire()
	r.send()
	if got := f.sent; !equalPorts(got, []uint16{22, 23, 23}) {
		t.Errorf("sent %v, want 23 probed again at 100ms", got)
	}
}

func TestAdaptiveTimeout(t *testing.T) {
	cfg := &Config{Timeout: time.Second, MinTimeout: 100 * time.Millisecond}
	var e rttEstimate
	if got := e.timeout(cfg); got != time.Second {
		t.Errorf("before any answer: %v, want Timeout", got)
	}
	e.sample(time.Millisecond)
	if got := e.timeout(cfg); got != 100*time.Millisecond {
		t.Errorf("after a 1ms answer: %v, want MinTimeout", got)
	}
	e.sample(400 * time.Millisecond) // srtt (7·1+400)/8, rttvar (3·0.5+399)/4
	if got, want := e.timeout(cfg), 50875*time.Microsecond+4*100125*time.Microsecond; got != want {
		t.Errorf("after a 400ms answer: %v, want %v", got, want)
	}
	e.sample(5 * time.Second)
	if got := e.timeout(cfg); got != time.Second {
		t.Errorf("after a 5s answer: %v, want Timeout", got)
	}
	if got := e.timeout(&Config{Timeout: 300 * time.Millisecond}); got != 300*time.Millisecond {
		t.Errorf("without MinTimeout: %v, want Timeout", got)
	}
}

func equalPorts(a, b []uint16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
