package probe

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"syscall"
	"time"
)

// A TraceConn sends traceroute probes to one destination and yields the
// answers, each tied to the probe it answers. OpenTrace returns the Linux
// ones (UDP, ICMP echo, TCP SYN); tests use fakes.
type TraceConn interface {
	// Send sends probe n (counted from 0 over the whole run) with the
	// given TTL or hop limit and returns when it left.
	Send(ctx context.Context, n, ttl int) (time.Time, error)
	// Receive waits until deadline for the next answer and returns
	// os.ErrDeadlineExceeded when none came.
	Receive(ctx context.Context, deadline time.Time) (TraceAnswer, error)
	// Close releases the conn.
	Close() error
}

// A TraceAnswer is an answer to one probe: an ICMP error from a hop, or
// the destination itself answering (an echo reply, a SYN-ACK or RST, a
// UDP reply), which Err nil means.
type TraceAnswer struct {
	Probe int
	From  netip.Addr
	// Time is when the kernel received it; zero means now.
	Time time.Time
	Err  *ICMPError
}

// TraceConfig is a traceroute run: traceroute(8)'s options.
type TraceConfig struct {
	// Host is the destination as given, Addr its address.
	Host string
	Addr netip.Addr
	// FirstTTL (-f, default 1) and MaxTTL (-m, default 30) bound the hops.
	FirstTTL, MaxTTL int
	// Queries is the number of probes per hop (-q, default 3).
	Queries int
	// Simultaneous is how many probes may be in flight at once (-N,
	// default 16).
	Simultaneous int
	// Wait is the longest wait for a probe's answer (-w MAX, default 5s);
	// Here and Near shorten it to that many times the round trip of an
	// answer already in from the same hop, or from a later one (-w
	// MAX,HERE,NEAR, default 3 and 10; zero leaves them out).
	Wait       time.Duration
	Here, Near float64
	// HereNearSet says Here and Near were given (so zeros are meant).
	HereNearSet bool
	// SendWait is the least time between probes (-z).
	SendWait time.Duration
	// PacketLen is the size of each probe, headers included, for the
	// header line.
	PacketLen int
	// Clock is the time source; nil is the real clock.
	Clock Clock
}

// The defaults of traceroute(8).
const (
	DefaultMaxTTL       = 30
	DefaultQueries      = 3
	DefaultSimultaneous = 16
	DefaultTraceWait    = 5 * time.Second
	DefaultHere         = 3
	DefaultNear         = 10
	// waitPrecision is added to a round trip before it is multiplied
	// into a shorter wait.
	waitPrecision = time.Millisecond
)

// A TraceProbe is one probe's outcome.
type TraceProbe struct {
	TTL int
	// From is who answered; invalid when nobody did in time.
	From netip.Addr
	RTT  time.Duration
	// Mark is traceroute's annotation: "!H", "!N", "!X", …, or "".
	Mark string
	// Final says the probe went no further: it reached the destination
	// or drew an error that ends the trace.
	Final bool
	// Reached says the destination itself answered.
	Reached bool
}

// A TraceReporter receives a traceroute run's results, in hop order.
type TraceReporter interface {
	// Start is called once before the first probe.
	Start(cfg *TraceConfig)
	// Probe is called for each probe in order; index counts the probes of
	// its hop from 0.
	Probe(p *TraceProbe, index int)
	// Finish is called once at the end.
	Finish(s *TraceSummary)
}

// A TraceSummary says how a traceroute run ended.
type TraceSummary struct {
	Host string
	Addr netip.Addr
	// Reached says the destination answered; Hops is the last hop
	// printed.
	Reached bool
	Hops    int
}

type traceProbe struct {
	TraceProbe
	sent, recv time.Time
	done       bool
}

// Trace runs a traceroute over conn as cfg says and tells rep about each
// probe, hop by hop. It returns when the destination or a final error is
// reached, when MaxTTL is done, or when ctx ends; its error is for a
// failure of the conn.
func Trace(ctx context.Context, conn TraceConn, cfg *TraceConfig, rep TraceReporter) (*TraceSummary, error) {
	c := *cfg
	if c.FirstTTL == 0 {
		c.FirstTTL = 1
	}
	if c.MaxTTL == 0 {
		c.MaxTTL = DefaultMaxTTL
	}
	if c.Queries == 0 {
		c.Queries = DefaultQueries
	}
	c.Simultaneous = max(c.Simultaneous, 1)
	if cfg.Simultaneous == 0 {
		c.Simultaneous = DefaultSimultaneous
	}
	if c.Wait == 0 {
		c.Wait = DefaultTraceWait
	}
	if !c.HereNearSet {
		c.Here, c.Near = DefaultHere, DefaultNear
	}
	clock := c.Clock
	if clock == nil {
		clock = realClock{}
	}
	q := c.Queries
	probes := make([]traceProbe, c.MaxTTL*q)
	for i := range probes {
		probes[i].TTL = i/q + 1
	}
	rep.Start(&c)
	sum := &TraceSummary{Host: c.Host, Addr: c.Addr}
	start, end := (c.FirstTTL-1)*q, len(probes)
	var lastSend time.Time

	timeout := func(n int) time.Duration {
		scaled := func(p *traceProbe, factor float64) (time.Duration, bool) {
			if !p.done || p.recv.IsZero() {
				return 0, false
			}
			v := time.Duration(float64(p.recv.Sub(p.sent)+waitPrecision) * factor)
			return min(v, c.Wait), true
		}
		if c.Here > 0 {
			hop := n - n%q
			for i := hop; i < hop+q; i++ {
				if v, ok := scaled(&probes[i], c.Here); ok {
					return v
				}
			}
		}
		if c.Near > 0 {
			for i := n + 1; i < len(probes) && !probes[i].sent.IsZero(); i++ {
				if v, ok := scaled(&probes[i], c.Near); ok {
					return v
				}
			}
		}
		return c.Wait
	}

	for start < end {
		now := clock.Now()
		var wake time.Time // the earliest time something is due
		due := func(t time.Time) {
			if wake.IsZero() || t.Before(wake) {
				wake = t
			}
		}
		inFlight := 0
		for n := start; n < end; n++ {
			p := &probes[n]
			if !p.done && !p.sent.IsZero() {
				if deadline := p.sent.Add(timeout(n)); !now.Before(deadline) {
					p.done = true
				} else {
					due(deadline)
				}
			}
			if p.done {
				if n == start {
					rep.Probe(&p.TraceProbe, n%q)
					sum.Hops = p.TTL
					sum.Reached = sum.Reached || p.Reached
					start++
				}
				if p.Final {
					end = min(end, (n/q+1)*q)
				}
				continue
			}
			if p.sent.IsZero() {
				if c.SendWait > 0 && !lastSend.IsZero() && now.Sub(lastSend) < c.SendWait {
					due(lastSend.Add(c.SendWait))
					break
				}
				sent, err := conn.Send(ctx, n, p.TTL)
				if err != nil {
					if ctx.Err() != nil {
						rep.Finish(sum)
						return sum, nil
					}
					if !errors.Is(err, syscall.EHOSTUNREACH) && !errors.Is(err, syscall.ENETUNREACH) &&
						!errors.Is(err, syscall.EACCES) && !errors.Is(err, syscall.EPERM) {
						return sum, err
					}
					// A local route refused it: the probe gets no answer.
					sent = clock.Now()
				}
				p.sent, lastSend = sent, sent
				now = clock.Now()
				due(p.sent.Add(timeout(n)))
			}
			inFlight++
			if inFlight >= c.Simultaneous {
				break
			}
		}
		if start >= end {
			break
		}
		if wake.IsZero() {
			continue
		}
		a, err := conn.Receive(ctx, wake)
		switch {
		case err == nil:
			if a.Probe < start || a.Probe >= len(probes) {
				continue
			}
			p := &probes[a.Probe]
			if p.done || p.sent.IsZero() {
				continue
			}
			at := a.Time
			if at.IsZero() {
				at = clock.Now()
			}
			p.done, p.recv, p.From = true, at, a.From
			p.RTT = max(at.Sub(p.sent), 0)
			if a.Err == nil {
				p.Final, p.Reached = true, true
			} else {
				p.Mark = a.Err.Mark()
				p.Final = a.Err.Final()
				p.Reached = a.Err.PortUnreachable() && a.From == c.Addr
			}
		case errors.Is(err, os.ErrDeadlineExceeded):
		case ctx.Err() != nil:
			rep.Finish(sum)
			return sum, nil
		default:
			return sum, err
		}
	}
	rep.Finish(sum)
	return sum, nil
}
