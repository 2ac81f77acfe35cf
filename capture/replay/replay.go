package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/gopacket/gopacket"

	"github.com/rawsock/rawsock/capture"
)

// An Output is how replayed packets leave. The zero Output is invalid.
type Output int

// The outputs.
const (
	_ Output = iota
	// L2 sends Ethernet frames through an AF_PACKET socket.
	L2
	// L3 sends bare IPv4 and IPv6 packets through raw sockets
	// (IP_HDRINCL), routed by the kernel.
	L3
)

// String returns "L2" or "L3".
func (o Output) String() string {
	switch o {
	case L2:
		return "L2"
	case L3:
		return "L3"
	}
	return fmt.Sprintf("Output(%d)", int(o))
}

// A Source yields the packets of a capture; *capture.Reader is one.
// Interface gives the link type of a packet's interface.
type Source interface {
	ReadPacket() ([]byte, gopacket.CaptureInfo, error)
	Interface(index int) capture.Interface
}

var _ Source = (*capture.Reader)(nil)

// A Sender puts frames on the wire.
type Sender interface {
	// Send sends frames in order, with as few system calls as it can, and
	// returns how many were sent. When err is not nil, frames[n] could not
	// be sent, for the reason err gives; the frames after it were not tried.
	Send(ctx context.Context, frames [][]byte) (n int, err error)
}

// A Clock tells the time and waits. Tests give Run a fake one.
type Clock interface {
	Now() time.Time
	// SleepUntil returns at t, or earlier with ctx's error when ctx ends.
	SleepUntil(ctx context.Context, t time.Time) error
}

// DefaultBatch is how many frames go to the Sender at once at top speed.
const DefaultBatch = 128

// Config says what Run replays, how fast and where to.
type Config struct {
	// Open returns the capture to replay, from its first packet. Run calls
	// it once per loop and closes what it returns if it is an io.Closer.
	Open func() (Source, error)
	// Sender sends the frames, and Output says what they are: Ethernet
	// frames (L2) or bare IP packets (L3).
	Sender Sender
	Output Output

	// The pace: at most one of Multiplier, PPS, Mbps and TopSpeed. With
	// none, packets leave at their recorded times; Multiplier divides the
	// gaps between them (2 is twice as fast), PPS and Mbps set a constant
	// rate in packets or megabits (of frames sent) per second, and
	// TopSpeed sends as fast as the Sender takes them, Batch at a time.
	Multiplier float64
	PPS        float64
	Mbps       float64
	TopSpeed   bool
	// MaxSleep, when set, caps each recorded gap (before Multiplier).
	MaxSleep time.Duration

	// Loop replays the capture this many times; 0 means once.
	Loop int
	// Limit stops after this many packets sent or failed; 0 means none.
	Limit int64
	// Duration stops the replay after this long; 0 means none.
	Duration time.Duration

	// Rewrite changes each IP packet; nil changes nothing.
	Rewrite *Rewrite
	// SrcMAC and DstMAC, for L2, replace the Ethernet addresses of every
	// frame. A frame made from a capture without Ethernet headers gets
	// BroadcastMAC as its destination and InterfaceMAC as its source
	// unless they are given.
	SrcMAC, DstMAC, InterfaceMAC net.HardwareAddr

	// Batch is the most frames handed to the Sender at once; 0 means
	// DefaultBatch. At a set pace, frames go together only when they are
	// due together.
	Batch int
	// Clock is the clock of the pace; nil means the system's.
	Clock Clock
	// Progress, when set, is called with the counts so far about every
	// ProgressEvery (default one second) while packets are sent.
	Progress      func(Stats)
	ProgressEvery time.Duration
}

// Stats are the counts of a replay, as tcpreplay prints them.
type Stats struct {
	// Packets and Bytes were sent: frames as they left, link header
	// included for L2.
	Packets, Bytes int64
	// Failed packets were refused by the kernel (too big for the
	// interface, no route, …); FirstError says why the first one was.
	Failed     int64
	FirstError error
	// Skipped packets were not sent: not IP with L3, or with a link
	// header that has no Ethernet or IP form.
	Skipped int64
	// Truncated packets were captured shorter than they were on the wire;
	// they are sent as captured.
	Truncated int64
	// Loops is how many times the capture was replayed to its end.
	Loops int
	// Elapsed runs from the first send to the end of the last.
	Elapsed time.Duration
	// Interrupted is set when the context ended the replay early.
	Interrupted bool
}

// PPS is the rate in packets per second.
func (s Stats) PPS() float64 { return perSecond(float64(s.Packets), s.Elapsed) }

// Bps is the rate in bytes per second.
func (s Stats) Bps() float64 { return perSecond(float64(s.Bytes), s.Elapsed) }

// Mbps is the rate in megabits per second.
func (s Stats) Mbps() float64 { return s.Bps() * 8 / 1e6 }

func perSecond(n float64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return n / d.Seconds()
}

// Run replays the capture as cfg says and returns the counts. It ends by
// itself once the capture has been replayed cfg.Loop times (or at Limit or
// Duration), or when ctx ends, which is no error: Stats.Interrupted is set.
// Damage in the capture ends the replay after the packets before it, with
// the reader's error (a *capture.FileError).
func Run(ctx context.Context, cfg *Config) (Stats, error) {
	if err := cfg.check(); err != nil {
		return Stats{}, err
	}
	r := &run{cfg: cfg, clock: cfg.Clock, batch: cfg.Batch, loops: max(cfg.Loop, 1)}
	if r.clock == nil {
		r.clock = systemClock{}
		defer preciseSleep()()
	}
	if r.batch <= 0 {
		r.batch = DefaultBatch
	}
	r.every = cfg.ProgressEvery
	if r.every <= 0 {
		r.every = time.Second
	}
	r.f = framer{out: cfg.Output, src: cfg.SrcMAC, dst: cfg.DstMAC, ifMAC: cfg.InterfaceMAC, rw: cfg.Rewrite}
	r.bufs = make([][]byte, r.batch)
	for i := range r.bufs {
		r.bufs[i] = make([]byte, 0, 2048)
	}
	r.frames = make([][]byte, 0, r.batch)
	err := r.replay(ctx)
	if !r.first.IsZero() {
		r.st.Elapsed = r.last.Sub(r.first)
	}
	if ctx.Err() != nil {
		r.st.Interrupted = true
		if errors.Is(err, ctx.Err()) {
			err = nil
		}
	}
	return r.st, err
}

func (c *Config) check() error {
	paces := 0
	for _, set := range []bool{c.Multiplier != 0, c.PPS != 0, c.Mbps != 0, c.TopSpeed} {
		if set {
			paces++
		}
	}
	switch {
	case c.Open == nil || c.Sender == nil:
		return errors.New("replay: Config needs Open and Sender")
	case c.Output != L2 && c.Output != L3:
		return fmt.Errorf("replay: unknown output %v: use L2 or L3", c.Output)
	case paces > 1:
		return errors.New("replay: give at most one of Multiplier, PPS, Mbps and TopSpeed")
	case c.Multiplier < 0 || c.PPS < 0 || c.Mbps < 0:
		return errors.New("replay: Multiplier, PPS and Mbps must be above zero")
	case c.Loop < 0 || c.Limit < 0 || c.Duration < 0 || c.MaxSleep < 0:
		return errors.New("replay: Loop, Limit, Duration and MaxSleep cannot be negative")
	}
	return nil
}

// run is one replay under way.
type run struct {
	cfg   *Config
	clock Clock
	f     framer
	st    Stats
	batch int
	loops int

	bufs   [][]byte // a buffer per frame of a batch, reused
	frames [][]byte // the batch waiting to be sent

	start       time.Time // the pace's origin: when the first frame was due
	first, last time.Time // when the first send began and the last ended
	deadline    time.Time // Duration's end, or zero

	// The recorded timing of the current loop: the loop's origin, the
	// time of its previous packet, and the offset of that packet from it.
	loopStart time.Time
	prevTS    time.Time
	offset    time.Duration

	scheduled int64 // frames given a time so far
	bits      float64

	every        time.Duration
	nextProgress time.Time
}

// multiplier is the speed over recorded timing, 1 unless set.
func (r *run) multiplier() float64 {
	if r.cfg.Multiplier > 0 {
		return r.cfg.Multiplier
	}
	return 1
}

func (r *run) replay(ctx context.Context) error {
	for loop := 0; loop < r.loops; loop++ {
		done, err := r.pass(ctx, loop)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		r.st.Loops++
	}
	return r.flush(ctx)
}

// pass replays the capture once; done is set when the replay must end
// before the capture does (Limit, Duration).
func (r *run) pass(ctx context.Context, loop int) (done bool, err error) {
	src, err := r.cfg.Open()
	if err != nil {
		return false, err
	}
	if c, ok := src.(io.Closer); ok {
		defer c.Close()
	}
	r.loopStart = time.Time{}
	for {
		if err := ctx.Err(); err != nil {
			return true, r.flushErr(ctx, err)
		}
		if r.cfg.Limit > 0 && r.st.Packets+r.st.Failed+int64(len(r.frames)) >= r.cfg.Limit {
			return true, r.flush(ctx)
		}
		data, ci, err := src.ReadPacket()
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		if err != nil {
			return true, r.flushErr(ctx, err)
		}
		lt := src.Interface(ci.InterfaceIndex).LinkType
		// Frames waiting to be sent are in bufs[:len(frames)]; the next
		// one goes in the buffer after them.
		idx := len(r.frames)
		frame, ok := r.f.frame(r.bufs[idx][:0], lt, data)
		if !ok {
			r.st.Skipped++
			continue
		}
		r.bufs[idx] = frame[:0] // keep what append may have grown
		if ci.CaptureLength < ci.Length {
			r.st.Truncated++
		}
		if r.cfg.TopSpeed {
			r.frames = append(r.frames, frame)
			if len(r.frames) == r.batch {
				if err := r.flush(ctx); err != nil {
					return true, err
				}
				if r.pastDeadline() {
					return true, nil
				}
			}
			continue
		}
		due := r.due(ci.Timestamp, len(frame))
		if now := r.clock.Now(); due.After(now) {
			// Send what is due before waiting for this one, which then
			// moves to the first buffer.
			if err := r.flush(ctx); err != nil {
				return true, err
			}
			r.bufs[0], r.bufs[idx] = r.bufs[idx], r.bufs[0]
			if !r.deadline.IsZero() && due.After(r.deadline) {
				if err := r.clock.SleepUntil(ctx, r.deadline); err != nil {
					return true, err
				}
				return true, nil
			}
			if err := r.clock.SleepUntil(ctx, due); err != nil {
				return true, err
			}
		} else if r.pastDeadline() {
			return true, r.flush(ctx)
		}
		r.frames = append(r.frames, frame)
		if len(r.frames) == r.batch {
			if err := r.flush(ctx); err != nil {
				return true, err
			}
		}
	}
}

// due returns when a frame of n bytes captured at ts is to leave.
func (r *run) due(ts time.Time, n int) time.Time {
	if r.start.IsZero() {
		r.start = r.clock.Now()
		if r.cfg.Duration > 0 {
			r.deadline = r.start.Add(r.cfg.Duration)
		}
	}
	i := r.scheduled
	r.scheduled++
	switch {
	case r.cfg.PPS > 0:
		return r.start.Add(time.Duration(float64(i) / r.cfg.PPS * 1e9))
	case r.cfg.Mbps > 0:
		at := r.start.Add(time.Duration(r.bits / (r.cfg.Mbps * 1e6) * 1e9))
		r.bits += float64(n) * 8
		return at
	}
	if r.loopStart.IsZero() {
		// A loop starts when its first packet is read: right after the
		// last packet of the loop before.
		r.loopStart, r.prevTS, r.offset = r.clock.Now(), ts, 0
		return r.loopStart
	}
	gap := ts.Sub(r.prevTS)
	r.prevTS = ts
	if gap < 0 {
		gap = 0 // out of order: send at once, and count the next gap from here
	}
	if r.cfg.MaxSleep > 0 && gap > r.cfg.MaxSleep {
		gap = r.cfg.MaxSleep
	}
	r.offset += time.Duration(float64(gap) / r.multiplier())
	return r.loopStart.Add(r.offset)
}

// pastDeadline reports whether Duration has run out.
func (r *run) pastDeadline() bool {
	if r.cfg.Duration <= 0 {
		return false
	}
	if r.deadline.IsZero() {
		if r.start.IsZero() {
			r.start = r.clock.Now()
		}
		r.deadline = r.start.Add(r.cfg.Duration)
	}
	return !r.clock.Now().Before(r.deadline)
}

// flushErr sends what waits and returns err, or the error of sending if
// there was one.
func (r *run) flushErr(ctx context.Context, err error) error {
	if ferr := r.flush(ctx); ferr != nil && ctx.Err() == nil {
		return ferr
	}
	return err
}

// flush sends the frames waiting, counting each sent or failed. A failed
// frame is counted and passed over; only an error that would fail every
// frame after it (the socket or interface gone) ends the replay.
func (r *run) flush(ctx context.Context) error {
	frames := r.frames
	defer func() { r.frames = r.frames[:0] }()
	if len(frames) == 0 {
		return nil
	}
	if r.first.IsZero() {
		r.first = r.clock.Now()
	}
	for len(frames) > 0 {
		n, err := r.cfg.Sender.Send(ctx, frames)
		for _, f := range frames[:n] {
			r.st.Bytes += int64(len(f))
		}
		r.st.Packets += int64(n)
		frames = frames[n:]
		if err == nil {
			continue
		}
		if ctx.Err() != nil {
			r.last = r.clock.Now()
			return ctx.Err()
		}
		if fatal(err) {
			r.last = r.clock.Now()
			return err
		}
		r.st.Failed++
		if r.st.FirstError == nil {
			r.st.FirstError = err
		}
		frames = frames[1:]
	}
	r.last = r.clock.Now()
	if r.cfg.Progress != nil && !r.last.Before(r.nextProgress) {
		if !r.nextProgress.IsZero() {
			st := r.st
			st.Elapsed = r.last.Sub(r.first)
			r.cfg.Progress(st)
		}
		r.nextProgress = r.last.Add(r.every)
	}
	return nil
}
