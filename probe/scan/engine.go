package scan

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// run is one scan in progress: which ports wait to be probed, which probes
// wait for an answer, and what is decided.
type run struct {
	cfg      *Config
	p        Prober
	parallel int
	report   *Report
	now      func() time.Time // the clock: time.Now, or a test's

	ports     map[uint16]*portState
	queue     []uint16 // ports to probe, first probes and retries, in order
	waiting   []probe  // probes sent, oldest first
	out       int      // probes waiting for an answer
	undecided int
	rtt       rttEstimate

	bucket bucket
	busy   time.Time // after ErrBusy: no sending before this
}

type portState struct {
	probes  int       // probes sent so far
	sent    time.Time // when the last one went
	waiting bool      // a probe is out and not yet answered or expired
	decided bool
}

// probe is one probe sent: the try-th probe of port, sent at sent. It
// expires once the timeout in force has passed since: every probe waits as
// long as the latest round-trip estimate says, so the oldest always
// expires first.
type probe struct {
	port uint16
	try  int
	sent time.Time
}

// busyPause is how long Run waits before sending again after ErrBusy.
const busyPause = 2 * time.Millisecond

func newRun(cfg *Config, p Prober) *run {
	r := &run{
		cfg:      cfg,
		p:        p,
		parallel: cfg.Parallel,
		ports:    make(map[uint16]*portState, len(cfg.Ports)),
		report:   &Report{Target: cfg.Target, Method: cfg.Method},
		bucket:   newBucket(cfg.Rate),
		now:      time.Now,
	}
	if r.parallel == 0 {
		r.parallel = DefaultParallel
	}
	for _, port := range cfg.Ports {
		if _, dup := r.ports[port]; dup {
			continue
		}
		r.ports[port] = &portState{}
		r.queue = append(r.queue, port)
	}
	r.undecided = len(r.queue)
	r.report.Ports = len(r.queue)
	r.report.Results = make([]Result, 0, len(r.queue))
	return r
}

func (r *run) loop(ctx context.Context) (*Report, error) {
	r.report.Start = r.now()
	defer func() { r.report.Elapsed = r.now().Sub(r.report.Start) }()
	replies := r.p.Replies()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for r.undecided > 0 {
		if ctx.Err() != nil {
			r.report.Interrupted = true
			return r.report, nil
		}
		r.expire()
		if r.undecided == 0 {
			break
		}
		if err := r.send(); err != nil {
			return r.report, err
		}
		timer.Reset(r.wake())
		select {
		case rep, ok := <-replies:
			if !ok {
				return r.report, errors.New("scan: the prober stopped before the scan ended")
			}
			r.take(rep)
			// Take what else has arrived before sending more.
			for more := true; more && r.undecided > 0; {
				select {
				case rep, ok := <-replies:
					if !ok {
						return r.report, errors.New("scan: the prober stopped before the scan ended")
					}
					r.take(rep)
				default:
					more = false
				}
			}
		case <-timer.C:
		case <-ctx.Done():
			r.report.Interrupted = true
			return r.report, nil
		}
	}
	return r.report, nil
}

// send probes queued ports while the rate, the parallel limit and the
// socket allow.
func (r *run) send() error {
	now := r.now()
	if now.Before(r.busy) {
		return nil
	}
	for len(r.queue) > 0 && r.out < r.parallel {
		port := r.queue[0]
		st := r.ports[port]
		if st.decided {
			r.queue = r.queue[1:]
			continue
		}
		if !r.bucket.take(now) {
			return nil
		}
		if err := r.p.Probe(port); err != nil {
			if errors.Is(err, ErrBusy) {
				r.bucket.refund()
				r.busy = now.Add(busyPause)
				return nil
			}
			return fmt.Errorf("probe port %d: %w", port, err)
		}
		r.queue = r.queue[1:]
		now = r.now()
		if r.report.Sent == 0 {
			r.report.Start = now
		}
		r.report.Sent++
		st.probes++
		st.sent = now
		st.waiting = true
		r.out++
		r.waiting = append(r.waiting, probe{port: port, try: st.probes, sent: now})
	}
	return nil
}

// expire ends the probes whose time is up: their ports are probed again, or
// decided as silent once their retries are spent.
func (r *run) expire() {
	now := r.now()
	timeout := r.rtt.timeout(r.cfg)
	for len(r.waiting) > 0 && !r.waiting[0].sent.Add(timeout).After(now) {
		pr := r.waiting[0]
		r.waiting = r.waiting[1:]
		st := r.ports[pr.port]
		if st.decided || !st.waiting || st.probes != pr.try {
			continue
		}
		st.waiting = false
		r.out--
		if st.probes <= r.cfg.Retries {
			r.queue = append(r.queue, pr.port)
			continue
		}
		r.decide(pr.port, st, Result{Port: pr.port, State: r.cfg.Method.silent(), Reason: ReasonNoResponse})
	}
	if len(r.waiting) == 0 {
		r.waiting = nil // let the spent backing array go
	}
}

// take applies a reply: the first answer for a port decides it.
func (r *run) take(rep Reply) {
	now := r.now()
	st, ok := r.ports[rep.Port]
	if !ok || st.probes == 0 {
		return // not a port of this scan, or not probed yet: not ours
	}
	r.report.Replies++
	if st.decided || rep.State == 0 {
		return
	}
	if st.waiting {
		st.waiting = false
		r.out--
	}
	if st.probes == 1 {
		// Karn's rule: only an answer to a port's only probe is surely an
		// answer to that probe.
		r.rtt.sample(now.Sub(st.sent))
	}
	r.decide(rep.Port, st, Result{
		Port: rep.Port, State: rep.State, Reason: rep.Reason, TTL: rep.TTL, From: rep.From,
		RTT: now.Sub(st.sent),
	})
}

func (r *run) decide(port uint16, st *portState, res Result) {
	st.decided = true
	r.undecided--
	res.Probes = st.probes
	r.report.Results = append(r.report.Results, res)
	if r.cfg.OnResult != nil {
		r.cfg.OnResult(res)
	}
}

// wake returns how long to wait for a reply before there is something else
// to do: a probe to expire, or a probe the rate allows.
func (r *run) wake() time.Duration {
	now := r.now()
	next := time.Hour
	for len(r.waiting) > 0 {
		pr := r.waiting[0]
		if st := r.ports[pr.port]; st.decided || !st.waiting || st.probes != pr.try {
			r.waiting = r.waiting[1:] // already answered: drop it now
			continue
		}
		next = pr.sent.Add(r.rtt.timeout(r.cfg)).Sub(now)
		break
	}
	if len(r.queue) > 0 && r.out < r.parallel {
		if now.Before(r.busy) {
			next = min(next, r.busy.Sub(now))
		} else {
			next = min(next, r.bucket.wait(now))
		}
	}
	return max(next, 0)
}

// bucket is a token bucket for the probe rate: it fills at rate tokens per
// second up to a burst of 10 ms worth, so that a scan that fell behind does
// not catch up in one flood.
type bucket struct {
	rate   float64 // 0: no limit
	burst  float64
	tokens float64
	last   time.Time
}

func newBucket(rate float64) bucket {
	return bucket{rate: rate, burst: max(1, rate/100), tokens: 1}
}

// take spends one token if there is one at time now.
func (b *bucket) take(now time.Time) bool {
	if b.rate == 0 {
		return true
	}
	if !b.last.IsZero() {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// refund gives back the token of a probe that could not be sent.
func (b *bucket) refund() {
	if b.rate != 0 {
		b.tokens++
	}
}

// wait returns how long until take succeeds.
func (b *bucket) wait(now time.Time) time.Duration {
	if b.rate == 0 {
		return 0
	}
	have := b.tokens
	if !b.last.IsZero() {
		have = min(b.burst, have+now.Sub(b.last).Seconds()*b.rate)
	}
	if have >= 1 {
		return 0
	}
	return time.Duration((1 - have) / b.rate * float64(time.Second))
}

// rttEstimate keeps RFC 6298's smoothed round-trip time and its variation
// over the answers so far.
type rttEstimate struct {
	n            int
	srtt, rttvar time.Duration
}

func (e *rttEstimate) sample(rtt time.Duration) {
	if e.n == 0 {
		e.srtt, e.rttvar = rtt, rtt/2
	} else {
		e.rttvar = (3*e.rttvar + (e.srtt - rtt).Abs()) / 4
		e.srtt = (7*e.srtt + rtt) / 8
	}
	e.n++
}

// timeout is how long the next probe waits: cfg.Timeout, or when
// cfg.MinTimeout is set, srtt + 4·rttvar bounded by the two (cfg.Timeout
// until the first answer).
func (e *rttEstimate) timeout(cfg *Config) time.Duration {
	hi := cfg.Timeout
	if hi == 0 {
		hi = DefaultTimeout
	}
	if cfg.MinTimeout == 0 || cfg.MinTimeout >= hi || e.n == 0 {
		return hi
	}
	return min(hi, max(cfg.MinTimeout, e.srtt+4*e.rttvar))
}
