package probe

import (
	"math"
	"net/netip"
	"time"
)

// PingStats is what a ping run counted, computed the way iputils ping
// computes it: round-trip times in whole microseconds, the average and
// the mean deviation over replies and duplicates alike, the mean deviation
// as the integer square root of the integer variance.
type PingStats struct {
	// Host is the destination as the user named it; Addr is its address.
	Host string
	Addr netip.Addr

	Transmitted int // echo requests sent (or that failed to send)
	Received    int // distinct replies
	Duplicates  int // replies to a sequence number already answered
	Corrupted   int // replies with a bad checksum
	Errors      int // ICMP errors and local errors

	// Elapsed runs from the first echo request to the last.
	Elapsed time.Duration

	// Timing says whether the replies carried times (data of at least 16
	// bytes); the round-trip figures below are zero without it.
	Timing bool
	// Min, Avg, Max and Mdev are the round-trip statistics, in
	// microseconds as iputils keeps them.
	MinUS, AvgUS, MaxUS, MdevUS int64
	// EWMA8US is eight times the exponentially weighted moving average of
	// the round-trip time, in microseconds (iputils' own fixed point).
	EWMA8US int64
	// Pipe is the most echo requests that were ever in flight at once.
	Pipe int
	// IPGUS is the mean gap between requests in microseconds, shown for
	// flood and zero-interval runs (ShowIPG).
	IPGUS   int64
	ShowIPG bool
}

// Loss is the packet loss in percent, as iputils prints it: the share of
// requests without a distinct reply, in single precision.
func (s *PingStats) Loss() float64 {
	if s.Transmitted == 0 {
		return 0
	}
	return float64(float32(float64(s.Transmitted-s.Received) * 100 / float64(s.Transmitted)))
}

// Min, Avg, Max and Mdev return the round-trip statistics as durations.
func (s *PingStats) Min() time.Duration  { return time.Duration(s.MinUS) * time.Microsecond }
func (s *PingStats) Avg() time.Duration  { return time.Duration(s.AvgUS) * time.Microsecond }
func (s *PingStats) Max() time.Duration  { return time.Duration(s.MaxUS) * time.Microsecond }
func (s *PingStats) Mdev() time.Duration { return time.Duration(s.MdevUS) * time.Microsecond }

// rttAccumulator keeps iputils' running sums of round-trip times.
type rttAccumulator struct {
	n          int64 // times added, duplicates included
	min, max   int64
	sum        int64
	sum2       float64
	ewma8      int64
	haveMinMax bool
}

// add records one round-trip time in microseconds.
func (a *rttAccumulator) add(us int64) {
	a.n++
	a.sum += us
	a.sum2 += float64(us) * float64(us)
	if !a.haveMinMax || us < a.min {
		a.min = us
	}
	if !a.haveMinMax || us > a.max {
		a.max = us
	}
	a.haveMinMax = true
	if a.ewma8 == 0 {
		a.ewma8 = us * 8
	} else {
		a.ewma8 += us - a.ewma8/8
	}
}

// summary returns the average and the mean deviation as iputils' finish()
// computes them.
func (a *rttAccumulator) summary() (avg, mdev int64) {
	if a.n == 0 {
		return 0, 0
	}
	avg = a.sum / a.n
	var variance int64
	if a.sum < math.MaxInt32 {
		// The order matters for small times: subtract before dividing.
		variance = int64((a.sum2 - float64(a.sum*a.sum/a.n)) / float64(a.n))
	} else {
		variance = int64(a.sum2/float64(a.n)) - avg*avg
	}
	return avg, isqrt(variance)
}

// isqrt is iputils' integer square root: Newton's method from above,
// returning the first iterate that fails to decrease, which is the floor
// of the root or one more (isqrt(3) is 2, as in iputils); zero for zero or
// less.
func isqrt(v int64) int64 {
	if v <= 0 {
		return 0
	}
	x, prev := v, int64(math.MaxInt64)
	for x < prev {
		prev = x
		x = (x + v/x) / 2
	}
	return x
}
