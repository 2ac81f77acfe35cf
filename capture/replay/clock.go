package replay

import (
	"context"
	"time"
)

// systemClock is the real clock. It sleeps in the kernel until shortly
// before a packet is due and spins through the rest, so the pace holds to
// some microseconds without a core busy the whole time.
type systemClock struct{}

// spin is how long before a packet is due the clock stops sleeping and
// watches the time instead: more than a sleep overshoots by.
const spin = 100 * time.Microsecond

// maxNap is the longest sleep between looks at the context, so that a
// signal ends even a long gap of a capture at once.
const maxNap = 20 * time.Millisecond

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) SleepUntil(ctx context.Context, t time.Time) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		d := time.Until(t)
		if d <= 0 {
			return nil
		}
		if d > spin+slack {
			nap(min(d-spin-slack, maxNap))
			continue
		}
		for time.Now().Before(t) {
		}
		return nil
	}
}
