package probe

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// An EchoConn sends ICMP or ICMPv6 echo requests to one destination and
// yields what comes back: echo replies and ICMP errors about its requests.
// OpenEcho returns the Linux one; tests use fakes.
type EchoConn interface {
	// Send sends an echo request with sequence number seq and data (all
	// that follows the 8-byte ICMP header) and returns when it was handed
	// to the kernel. A failure the kernel explains on its error queue
	// (EMSGSIZE under -M do, say) comes back as a *LocalError.
	Send(ctx context.Context, seq uint16, data []byte) (time.Time, error)
	// Receive waits until deadline for the next answer and returns
	// os.ErrDeadlineExceeded when none came, or ctx's error when ctx ended.
	Receive(ctx context.Context, deadline time.Time) (Answer, error)
	// ID is the echo identifier the requests carry: chosen by the conn for
	// a raw socket, by the kernel for an ICMP datagram socket.
	ID() uint16
	// Raw reports whether the conn is a raw socket (and so sees other
	// processes' traffic unless filtered).
	Raw() bool
	// Close releases the conn.
	Close() error
}

// An Answer is one thing an EchoConn received: an echo reply (ICMP set)
// or an ICMP error quoting an echo request (Err set).
type Answer struct {
	// ICMP is an echo reply from its ICMP header on; nil for an error.
	ICMP []byte
	// From is the reply's source, or the address of the node that sent
	// the error (the offender).
	From netip.Addr
	// TTL is the reply's TTL or hop limit, -1 when unknown.
	TTL int
	// Time is when the kernel received it (SO_TIMESTAMPNS); zero when the
	// kernel gave no time, and then the clock is read instead.
	Time time.Time

	// Err is the ICMP error, Quote the ICMP header (and what follows) of
	// the echo request it quotes, and Dst that request's destination.
	Err   *ICMPError
	Quote []byte
	Dst   netip.Addr
}

// A LocalError is an error the local stack reported for an echo request
// on the socket's error queue (SO_EE_ORIGIN_LOCAL): the request never left.
type LocalError struct {
	Errno syscall.Errno
	// MTU is the path MTU, for EMSGSIZE.
	MTU uint32
}

// Error says what the kernel refused, in iputils' words.
func (e *LocalError) Error() string {
	if e.Errno == syscall.EMSGSIZE {
		return fmt.Sprintf("local error: message too long, mtu=%d", e.MTU)
	}
	return "local error: " + e.Errno.Error()
}

// Unwrap returns the errno.
func (e *LocalError) Unwrap() error { return e.Errno }

// A Clock tells the time. Tests use a virtual one that their fake conn
// advances.
type Clock interface {
	Now() time.Time
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

// PingConfig is a ping run: iputils ping's options. The zero value of each
// field is iputils' default, except where noted.
type PingConfig struct {
	// Host is the destination as given, Addr its address, Source the local
	// address the requests leave from and Device the interface (-I), for
	// the header line.
	Host   string
	Addr   netip.Addr
	Source netip.Addr
	Device string
	// ShowSource prints "from SOURCE DEVICE:" in the header (-I given).
	ShowSource bool

	Count    int           // -c: stop after this many replies (or errors); 0 runs until stopped
	Interval time.Duration // -i: between requests; 0 with Flood means as fast as replies come back
	// IntervalSet says -i was given, so that Flood keeps it.
	IntervalSet bool
	Deadline    time.Duration // -w: stop after this long, whatever happened
	Linger      time.Duration // -W: how long to wait for a reply after the last request; default 10s
	Preload     int           // -l: requests sent at once at the start; default 1
	Size        int           // -s: data bytes; default 56, -1 means 0
	Pattern     []byte        // -p: fill the data with this pattern
	Flood       bool          // -f
	Outstanding bool          // -O
	Broadcast   bool          // -b, or a multicast destination: replies from anyone, duplicates expected

	// Status, when it delivers, asks for the running statistics (SIGQUIT).
	Status <-chan struct{}
	// Clock is the time source; nil is the real clock.
	Clock Clock
}

// DefaultInterval and the other defaults are iputils ping's.
const (
	DefaultInterval = time.Second
	DefaultLinger   = 10 * time.Second
	DefaultSize     = 56
	// MinUserInterval is the shortest interval iputils allows a user who
	// is not root.
	MinUserInterval = 2 * time.Millisecond
	// floodWait is how long a flood waits for a reply before sending the
	// next request anyway (iputils' MININTERVAL).
	floodWait = 10 * time.Millisecond
	// timevalLen is the size of the send time at the start of the data.
	timevalLen = 16
)

// A PingReporter receives what a ping run does, in order; TextReporter
// prints it as iputils does and JSONReporter as JSON lines.
type PingReporter interface {
	// Start is called once before the first request.
	Start(cfg *PingConfig, dataLen int)
	// Sent is called after each request that left.
	Sent(seq uint16)
	// SendFailed is called when a request could not be sent.
	SendFailed(seq uint16, err error)
	// NoAnswerYet is called under -O when the previous request is
	// unanswered as the next one goes.
	NoAnswerYet(seq uint16)
	// Reply is called for each echo reply, duplicates included.
	Reply(r *PingReply)
	// Error is called for each ICMP error about a request.
	Error(e *PingError)
	// Status is called when Status asked for running statistics.
	Status(s *PingStats)
	// Finish is called once at the end.
	Finish(s *PingStats)
}

// A PingReply is one echo reply as the reporter sees it.
type PingReply struct {
	Seq   uint16
	From  netip.Addr
	Bytes int // ICMP bytes received, header included
	TTL   int // -1 when unknown
	// RTT is the round-trip time, valid when Timing (data of 16 bytes or
	// more); RTTUS is the same in whole microseconds as iputils prints it.
	RTT    time.Duration
	RTTUS  int64
	Timing bool
	Dup    bool
	// BadChecksum and Truncated flag damaged replies.
	BadChecksum bool
	Truncated   bool
	// ID is the reply's echo identifier.
	ID uint16
	// WrongByte is the offset of the first data byte that differs from
	// what was sent, or -1; Want and Got are the bytes there.
	WrongByte int
	Want, Got byte
	Data      []byte // the reply's data, valid only during the call
	// At is when the reply was received.
	At time.Time
}

// A PingError is an ICMP error about one of the echo requests.
type PingError struct {
	Seq uint16
	ICMPError
	At time.Time
}

// Ping runs a ping over conn as cfg says, telling rep what happens, until
// the count is reached, the deadline passes or ctx ends (SIGINT), and
// returns the statistics. Its error is for failures of the conn itself;
// whether any reply came back is in the statistics (see PingStats and
// ExitCode).
func Ping(ctx context.Context, conn EchoConn, cfg *PingConfig, rep PingReporter) (*PingStats, error) {
	p := newPinger(conn, cfg, rep)
	return p.run(ctx)
}

// ExitCode is iputils ping's exit status for a finished run: 1 when no
// reply came, or when a deadline (-w) passed before the count was
// reached; 0 otherwise.
func ExitCode(cfg *PingConfig, s *PingStats) int {
	if s.Received == 0 || (cfg.Deadline > 0 && cfg.Count > 0 && s.Received < cfg.Count) {
		return 1
	}
	return 0
}

type pinger struct {
	conn  EchoConn
	cfg   PingConfig
	rep   PingReporter
	clock Clock
	// What the conn and the destination are, asked once rather than per
	// reply.
	raw, v6 bool
	id      uint16

	dataLen  int
	timing   bool
	data     []byte // the data of the next request; its first bytes get the time
	interval time.Duration
	preload  int
	linger   time.Duration

	ntransmitted int
	nreceived    int
	nrepeats     int
	nchecksum    int
	nerrors      int
	acked        uint16
	pipe         int
	rtt          rttAccumulator
	reply        PingReply // reused: the reporter sees it only during the call

	received [1 << 16 / 64]uint64 // bit per sequence number: answered
	sentAt   []int64              // send time per sequence number, unix nanoseconds

	// Times are Unix nanoseconds of the clock, as iputils keeps them in
	// timevals: a flood works them out twice per packet, which time.Time's
	// arithmetic makes several times dearer. Zero means unset.
	start, curTime int64
	now            int64 // the clock as pinger last read it
	// seen is a time the clock has just shown, which pinger's next call,
	// made at once, takes instead of reading the clock again: when the
	// request pinger just sent was handed to the kernel, or, in a flood,
	// when the reply that lets the next request go arrived (its kernel
	// timestamp).
	seen       int64
	tokens     time.Duration
	exitAt     int64 // set once the last request is out
	deadlineAt int64
	exiting    bool
}

func newPinger(conn EchoConn, cfg *PingConfig, rep PingReporter) *pinger {
	p := &pinger{conn: conn, cfg: *cfg, rep: rep, clock: cfg.Clock, sentAt: make([]int64, 1<<16),
		raw: conn.Raw(), v6: cfg.Addr.Is6(), id: conn.ID()}
	if p.clock == nil {
		p.clock = realClock{}
	}
	p.dataLen = cfg.Size
	switch {
	case p.dataLen == 0:
		p.dataLen = DefaultSize
	case p.dataLen < 0:
		p.dataLen = 0
	}
	p.timing = p.dataLen >= timevalLen
	p.interval = cfg.Interval
	if !cfg.IntervalSet {
		p.interval = DefaultInterval
	}
	if cfg.Flood && !cfg.IntervalSet {
		p.interval = 0
	}
	p.preload = max(cfg.Preload, 1)
	p.linger = cfg.Linger
	if p.linger <= 0 {
		p.linger = DefaultLinger
	}
	p.data = fillData(p.dataLen, cfg.Pattern)
	return p
}

// fillData makes the data of a request as iputils does: the bytes 0, 1,
// 2, … or the pattern repeated, the first 16 bytes later overwritten by
// the send time.
func fillData(n int, pattern []byte) []byte {
	b := make([]byte, n)
	for i := range b {
		if len(pattern) > 0 {
			b[i] = pattern[i%len(pattern)]
		} else {
			b[i] = byte(i)
		}
	}
	return b
}

// read reads the clock.
func (p *pinger) read() int64 { return p.clock.Now().UnixNano() }

func (p *pinger) isReceived(seq uint16) bool { return p.received[seq/64]&(1<<(seq%64)) != 0 }
func (p *pinger) setReceived(seq uint16)     { p.received[seq/64] |= 1 << (seq % 64) }
func (p *pinger) clearReceived(seq uint16)   { p.received[seq/64] &^= 1 << (seq % 64) }

// inFlight is how many requests are unanswered, as iputils counts them:
// from the newest acknowledged sequence number on.
func (p *pinger) inFlight() int {
	d := uint16(p.ntransmitted) - p.acked
	if d <= 0x7fff {
		return int(d)
	}
	return 0
}

// acknowledge notes an answer (reply or error) to seq: it moves the
// acknowledged mark and measures the pipe.
func (p *pinger) acknowledge(seq uint16) {
	d := uint16(p.ntransmitted) - seq
	if d > 0x7fff {
		return
	}
	p.pipe = max(p.pipe, int(d)+1)
	if int16(seq-p.acked) > 0 || uint16(p.ntransmitted)-p.acked > 0x7fff {
		p.acked = seq
	}
}

func (p *pinger) run(ctx context.Context) (*PingStats, error) {
	p.rep.Start(&p.cfg, p.dataLen)
	p.start = p.read()
	if p.cfg.Deadline > 0 {
		p.deadlineAt = p.start + int64(p.cfg.Deadline)
	}
	st := newStatusWatch(ctx, p.cfg.Status)
	defer st.stop()
	for {
		if p.exiting ||
			(p.cfg.Count > 0 && p.nreceived+p.nerrors >= p.cfg.Count) ||
			(p.cfg.Deadline > 0 && p.nerrors > 0) {
			break
		}
		if st.take() {
			p.rep.Status(p.stats())
		}
		var next time.Duration
		for {
			var err error
			if next, err = p.pinger(ctx); err != nil {
				return p.finish(), err
			}
			next = p.scheduleExit(next)
			if next > 0 {
				break
			}
		}
		p.seen = 0
		until := p.now + int64(next) // p.now: the clock as pinger last read it
		if p.deadlineAt != 0 {
			until = min(until, p.deadlineAt)
		}
		if p.exitAt != 0 {
			until = min(until, p.exitAt)
		}
		rctx := st.context()
		ans, err := p.conn.Receive(rctx, time.Unix(0, until))
		// A reply's kernel time is the clock's reading at its arrival:
		// a flood need not read the clock again, neither here nor to send
		// the request that this reply lets go.
		var now int64
		if err != nil || ans.Time.IsZero() {
			now = p.read()
		} else if now = ans.Time.UnixNano(); p.interval == 0 && now >= p.curTime {
			p.seen = now
		}
		if (p.deadlineAt != 0 && now >= p.deadlineAt) || (p.exitAt != 0 && now >= p.exitAt) {
			p.exiting = true
		}
		switch {
		case err == nil:
			p.handle(&ans, now)
		case errors.Is(err, os.ErrDeadlineExceeded):
		case ctx.Err() != nil:
			p.exiting = true
		case rctx.Err() != nil:
			// a status request woke the wait
		default:
			return p.finish(), err
		}
	}
	return p.finish(), nil
}

// pinger sends the request that is due, if one is, and returns how long
// until the next is: iputils' token bucket, which lets Preload requests go
// at once and then one per interval.
func (p *pinger) pinger(ctx context.Context) (time.Duration, error) {
	now := p.seen
	if now == 0 {
		now = p.read()
	}
	p.seen = 0
	p.now = now
	if p.exiting || p.allSent() {
		return time.Second, nil
	}
	if wait := p.floodFull(now); wait > 0 {
		return wait, nil
	}
	if p.curTime == 0 {
		p.curTime = now
		p.tokens = p.interval * time.Duration(p.preload-1)
	} else {
		ntokens := time.Duration(now - p.curTime)
		ntokens += p.tokens
		ntokens = min(ntokens, p.interval*time.Duration(p.preload))
		if ntokens < p.interval {
			return p.interval - ntokens, nil
		}
		p.curTime = now
		p.tokens = ntokens - p.interval
	}
	if p.cfg.Outstanding && p.ntransmitted > 0 && !p.isReceived(uint16(p.ntransmitted)) {
		p.rep.NoAnswerYet(uint16(p.ntransmitted))
	}
	seq := uint16(p.ntransmitted + 1)
	p.clearReceived(seq)
	if p.timing {
		// A struct timeval, as iputils writes it.
		binary.NativeEndian.PutUint64(p.data, uint64(now/1e9))
		binary.NativeEndian.PutUint64(p.data[8:], uint64(now%1e9/1000))
	}
	sent, err := p.conn.Send(ctx, seq, p.data)
	if err == nil {
		at := sent.UnixNano()
		p.sentAt[seq] = at
		p.ntransmitted++
		p.rep.Sent(seq)
		next := p.interval - p.tokens
		if next <= 0 {
			// Another request may be due now: pinger's next call, made at
			// once, takes the send's time for the clock. In a flood with
			// as many requests in flight as it allows, that call would
			// only find how long to wait for a reply: find it here.
			if !p.exiting && !p.allSent() {
				if wait := p.floodFull(at); wait > 0 {
					p.now = at
					return wait, nil
				}
			}
			p.seen = at
		}
		return next, nil
	}
	switch {
	case errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.ENOMEM):
		// The device queue is full: the request is not sent; try again
		// in a while.
		p.tokens = 0
		return max(min(p.interval/2, 500*time.Millisecond), floodWait), nil
	case errors.Is(err, syscall.EAGAIN):
		p.tokens += p.interval
		return floodWait, nil
	case ctx.Err() != nil:
		p.exiting = true
		return time.Second, nil
	}
	// A hard local error: count the request as sent, say why it was not.
	var le *LocalError
	if errors.As(err, &le) {
		p.nerrors++
	}
	p.sentAt[seq] = now
	p.ntransmitted++
	p.rep.SendFailed(seq, err)
	p.tokens = 0
	return max(p.interval, floodWait), nil
}

// allSent reports whether a counted run (without -w) sent all its
// requests.
func (p *pinger) allSent() bool {
	return p.cfg.Count > 0 && p.ntransmitted >= p.cfg.Count && p.cfg.Deadline == 0
}

// floodFull is how long a flood with as many requests in flight as it
// allows (the preload) waits at now before it sends the next anyway:
// until floodWait after the last request, unless a reply comes first.
// Zero when the next may go at once, or the run is no flood.
func (p *pinger) floodFull(now int64) time.Duration {
	if p.interval != 0 || p.curTime == 0 {
		return 0
	}
	if ntokens := time.Duration(now - p.curTime); ntokens < floodWait && p.inFlight() >= p.preload {
		return floodWait - ntokens
	}
	return 0
}

// scheduleExit arms the final wait once the last request of a counted run
// is out: twice the longest round trip (at least one interval) when
// replies came, the linger time (-W) when none did.
func (p *pinger) scheduleExit(next time.Duration) time.Duration {
	if p.cfg.Count == 0 || p.ntransmitted < p.cfg.Count || p.cfg.Deadline != 0 {
		return next
	}
	if p.exitAt == 0 {
		var wait time.Duration
		if p.nreceived > 0 {
			wait = max(2*time.Duration(p.rtt.max)*time.Microsecond, p.interval)
		} else {
			wait = p.linger
		}
		p.exitAt = p.read() + int64(wait)
	}
	return max(next, time.Duration(p.exitAt-p.read()))
}

// handle matches one answer against the requests and counts it.
func (p *pinger) handle(a *Answer, now int64) {
	at := a.Time
	if at.IsZero() {
		at = time.Unix(0, now)
	}
	if a.Err != nil {
		p.handleError(a, at)
		return
	}
	e, err := ParseEcho(a.ICMP)
	v6 := p.v6
	if err != nil || e.Type != echoType(v6, true) {
		return
	}
	if p.raw && e.ID != p.id {
		return // another process's ping
	}
	if !p.cfg.Broadcast && a.From != p.cfg.Addr {
		return // an echo reply from someone we did not ask
	}
	if p.sentAt[e.Seq] == 0 {
		return // never sent
	}
	// Field by field: a composite literal would be built aside and then
	// copied over the whole struct, at several times the cost. Every
	// field is set.
	r := &p.reply
	r.Seq, r.From, r.Bytes, r.TTL, r.ID = e.Seq, a.From, len(a.ICMP), a.TTL, e.ID
	r.RTT, r.RTTUS, r.Timing, r.Dup, r.BadChecksum, r.Truncated = 0, 0, p.timing, false, false, false
	r.WrongByte, r.Want, r.Got, r.Data, r.At = -1, 0, 0, e.Data, at
	// The kernel checks ICMPv6 checksums, and those of ICMP datagram
	// sockets; a raw IPv4 socket hands over whatever came.
	r.BadChecksum = !v6 && p.raw && Checksum(a.ICMP) != 0
	p.nreceived++
	if !r.BadChecksum {
		p.acknowledge(e.Seq)
	}
	if p.timing && len(a.ICMP) >= 8+timevalLen {
		rtt := time.Duration(at.UnixNano() - p.sentAt[e.Seq])
		us := rtt.Microseconds()
		if us < 0 {
			rtt, us = 0, 0
		}
		r.RTT, r.RTTUS = rtt, us
		if !r.BadChecksum {
			p.rtt.add(us)
		}
	}
	switch {
	case r.BadChecksum:
		p.nchecksum++
		p.nreceived--
	case p.isReceived(e.Seq):
		p.nrepeats++
		p.nreceived--
		r.Dup = true
	default:
		p.setReceived(e.Seq)
	}
	if len(a.ICMP) < p.dataLen+8 {
		r.Truncated = true
	} else if lo := min(timevalLen, p.dataLen); !bytes.Equal(e.Data[lo:p.dataLen], p.data[lo:p.dataLen]) {
		for i := lo; i < p.dataLen; i++ {
			if e.Data[i] != p.data[i] {
				r.WrongByte, r.Want, r.Got = i, p.data[i], e.Data[i]
				break
			}
		}
	}
	p.rep.Reply(r)
}

// handleError counts an ICMP error whose quoted request is one of ours.
func (p *pinger) handleError(a *Answer, at time.Time) {
	q, err := ParseEcho(a.Quote)
	if err != nil || q.Type != echoType(p.v6, false) {
		return
	}
	if (p.raw && q.ID != p.id) || (a.Dst.IsValid() && a.Dst != p.cfg.Addr) {
		return
	}
	p.acknowledge(q.Seq)
	p.nerrors++
	p.rep.Error(&PingError{Seq: q.Seq, ICMPError: *a.Err, At: at})
}

// stats gathers what has been counted so far.
func (p *pinger) stats() *PingStats {
	s := &PingStats{
		Host:        p.cfg.Host,
		Addr:        p.cfg.Addr,
		Transmitted: p.ntransmitted,
		Received:    p.nreceived,
		Duplicates:  p.nrepeats,
		Corrupted:   p.nchecksum,
		Errors:      p.nerrors,
		Timing:      p.timing,
		Pipe:        p.pipe,
		EWMA8US:     p.rtt.ewma8,
	}
	if p.curTime != 0 {
		s.Elapsed = time.Duration(p.curTime - p.start)
	}
	if p.rtt.n > 0 {
		s.MinUS, s.MaxUS = p.rtt.min, p.rtt.max
		s.AvgUS, s.MdevUS = p.rtt.summary()
	}
	if p.nreceived > 0 && (p.interval == 0 || p.cfg.Flood) && p.ntransmitted > 1 {
		s.ShowIPG = true
		s.IPGUS = s.Elapsed.Microseconds() / int64(p.ntransmitted-1)
	}
	return s
}

func (p *pinger) finish() *PingStats {
	s := p.stats()
	p.rep.Finish(s)
	return s
}

// statusWatch turns deliveries on a status channel into a pending flag
// and wakes the wait under way, so the running statistics show at once.
// A flood asks it twice per packet whether anything happened, so those
// answers cost an atomic load each, not a lock or a channel operation.
type statusWatch struct {
	parent  context.Context
	done    chan struct{}
	pending atomic.Bool
	// woken counts the contexts the goroutine cancelled; cur is still
	// good while it equals curWoken.
	woken atomic.Uint32

	mu       sync.Mutex
	cur      context.Context
	cancel   context.CancelFunc
	curWoken uint32 // used only by context's caller
}

func newStatusWatch(ctx context.Context, ch <-chan struct{}) *statusWatch {
	w := &statusWatch{parent: ctx}
	if ch == nil {
		return w
	}
	w.done = make(chan struct{})
	w.cur, w.cancel = context.WithCancel(ctx)
	go func() {
		for {
			select {
			case <-w.done:
				return
			case <-ch:
				w.mu.Lock()
				w.pending.Store(true)
				w.cancel()
				w.woken.Add(1)
				w.mu.Unlock()
			}
		}
	}()
	return w
}

// take reports whether a status was asked for since the last take.
func (w *statusWatch) take() bool {
	return w.pending.Load() && w.pending.Swap(false)
}

// context returns the context for the next wait: the parent, cancelled
// early when a status request arrives. It is made anew only after a
// status request used it up.
func (w *statusWatch) context() context.Context {
	if w.done == nil {
		return w.parent
	}
	if w.woken.Load() == w.curWoken {
		return w.cur
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cancel()
	w.cur, w.cancel = context.WithCancel(w.parent)
	w.curWoken = w.woken.Load()
	if w.pending.Load() {
		w.cancel()
	}
	return w.cur
}

func (w *statusWatch) stop() {
	if w.done == nil {
		return
	}
	close(w.done)
	w.mu.Lock()
	if w.cancel != nil {
		w.cancel()
	}
	w.mu.Unlock()
}
