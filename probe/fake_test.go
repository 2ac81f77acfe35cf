package probe

import (
	"context"
	"net/netip"
	"os"
	"sort"
	"time"
)

// virtualClock is time that only moves when a fake conn waits.
type virtualClock struct{ now time.Time }

func (c *virtualClock) Now() time.Time { return c.now }

func newClock() *virtualClock {
	return &virtualClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

// fakeEcho is an EchoConn whose peer follows a script: for each request
// the script returns what comes back and after how long. Waiting advances
// the virtual clock to the next arrival or to the deadline.
type fakeEcho struct {
	clock  *virtualClock
	dst    netip.Addr
	id     uint16
	raw    bool
	script func(seq uint16, req []byte) []arrival
	// sendErr, when set, decides the error of each send.
	sendErr func(seq uint16) error
	// sendCost is how long each send takes on the virtual clock.
	sendCost time.Duration

	// blockNext makes the next Receive that finds nothing queued wait
	// for its context to end, after saying so on waiting.
	blockNext bool
	waiting   chan struct{}

	queue []arrival
	sends []time.Time
}

// arrival is one answer and when it comes, relative to its request.
type arrival struct {
	after time.Duration
	ans   Answer
	at    time.Time
}

func (f *fakeEcho) ID() uint16   { return f.id }
func (f *fakeEcho) Raw() bool    { return f.raw }
func (f *fakeEcho) Close() error { return nil }

func (f *fakeEcho) Send(ctx context.Context, seq uint16, data []byte) (time.Time, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, err
	}
	f.clock.now = f.clock.now.Add(f.sendCost)
	f.sends = append(f.sends, f.clock.now)
	if f.sendErr != nil {
		if err := f.sendErr(seq); err != nil {
			return time.Time{}, err
		}
	}
	req := AppendEcho(nil, f.dst.Is6(), f.id, seq, data)
	if f.script != nil {
		for _, a := range f.script(seq, req) {
			a.at = f.clock.now.Add(a.after)
			f.queue = append(f.queue, a)
		}
		sort.SliceStable(f.queue, func(i, j int) bool { return f.queue[i].at.Before(f.queue[j].at) })
	}
	return f.clock.now, nil
}

func (f *fakeEcho) Receive(ctx context.Context, deadline time.Time) (Answer, error) {
	if err := ctx.Err(); err != nil {
		return Answer{}, err
	}
	if len(f.queue) > 0 && !f.queue[0].at.After(deadline) {
		a := f.queue[0]
		f.queue = f.queue[1:]
		if a.at.After(f.clock.now) {
			f.clock.now = a.at
		}
		a.ans.Time = a.at
		return a.ans, nil
	}
	if f.blockNext {
		f.blockNext = false
		f.waiting <- struct{}{}
		<-ctx.Done()
		return Answer{}, ctx.Err()
	}
	if deadline.After(f.clock.now) {
		f.clock.now = deadline
	}
	return Answer{}, os.ErrDeadlineExceeded
}

// echoReply turns a request into the reply its destination sends.
func echoReply(req []byte, v6 bool) []byte {
	b := append([]byte(nil), req...)
	b[0] = echoType(v6, true)
	if !v6 {
		b[2], b[3] = 0, 0
		c := Checksum(b)
		b[2], b[3] = byte(c>>8), byte(c)
	}
	return b
}

// reply is a script step: an echo reply from from after d with ttl.
func reply(req []byte, from netip.Addr, ttl int, d time.Duration) arrival {
	return arrival{after: d, ans: Answer{ICMP: echoReply(req, from.Is6()), From: from, TTL: ttl}}
}

// icmpErr is a script step: an ICMP error from from about req after d.
func icmpErr(req []byte, dst, from netip.Addr, typ, code uint8, d time.Duration) arrival {
	return arrival{after: d, ans: Answer{
		From: from, TTL: -1, Quote: append([]byte(nil), req...), Dst: dst,
		Err: &ICMPError{From: from, V6: from.Is6(), Type: typ, Code: code},
	}}
}
