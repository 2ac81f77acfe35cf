//go:build !linux

package replay

import "time"

// slack is how much later than asked Go's timers may fire.
const slack = 2 * time.Millisecond

func preciseSleep() (restore func()) { return func() {} }

func nap(d time.Duration) { time.Sleep(d) }
