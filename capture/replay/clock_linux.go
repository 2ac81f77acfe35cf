package replay

import (
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// slack is how much later than asked a sleep may end with the timer slack
// preciseSleep sets.
const slack = 0

// preciseSleep locks the calling goroutine to its thread and sets the
// thread's timer slack to 1ns (PR_SET_TIMERSLACK, prctl(2)), so that a
// nanosleep ends within some microseconds of its time instead of the
// default 50µs later; it returns the function that undoes both.
func preciseSleep() (restore func()) {
	runtime.LockOSThread()
	old, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
	if err == nil {
		unix.Prctl(unix.PR_SET_TIMERSLACK, 1, 0, 0, 0)
	}
	return func() {
		if err == nil {
			unix.Prctl(unix.PR_SET_TIMERSLACK, uintptr(old), 0, 0, 0)
		}
		runtime.UnlockOSThread()
	}
}

// nap sleeps d in nanosleep(2) on the calling thread. Go's own timers wake
// up to a millisecond late, too coarse for a pace of thousands of packets
// a second; a signal cuts the sleep short, which the caller allows for.
func nap(d time.Duration) {
	ts := unix.NsecToTimespec(int64(d))
	unix.Nanosleep(&ts, nil)
}
