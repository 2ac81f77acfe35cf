package replay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/rawsock/rawsock/capture"
)

// countingOpener opens the same packets each time and counts how often.
type countingOpener struct {
	pkts  []packet
	err   error
	opens int
}

func (o *countingOpener) open() (Source, error) {
	o.opens++
	return opener(o.pkts, o.err)()
}

// TestCached: a loop after the first replays the packets kept in memory,
// the same bytes, times and link types, without opening the file again; a
// capture over the limit is opened again each loop.
func TestCached(t *testing.T) {
	pkts := append(readPcap(t, "any.pcap"), readPcap(t, "null.pcap")...) // two link types
	total := 0
	for _, p := range pkts {
		total += len(p.data)
	}
	for _, tc := range []struct {
		limit, opens int
	}{{total, 1}, {total - 1, 3}} {
		t.Run(fmt.Sprint(tc.limit), func(t *testing.T) {
			o := &countingOpener{pkts: pkts}
			direct, _, _ := replayFake(t, &Config{Open: opener(pkts, nil), TopSpeed: true, Output: L2, Loop: 3})
			st, s, _ := replayFake(t, &Config{Open: Cached(o.open, tc.limit), TopSpeed: true, Output: L2, Loop: 3})
			if o.opens != tc.opens {
				t.Errorf("opened %d times, want %d", o.opens, tc.opens)
			}
			if st != direct {
				t.Errorf("stats %+v, read directly %+v", st, direct)
			}
			_, want, _ := replayFake(t, &Config{Open: opener(pkts, nil), TopSpeed: true, Output: L2, Loop: 3})
			for i := range want.sent {
				if !bytes.Equal(s.sent[i].frame, want.sent[i].frame) {
					t.Fatalf("frame %d: %x, want %x", i, s.sent[i].frame, want.sent[i].frame)
				}
			}
		})
	}
}

// TestCachedTiming: the recorded times come back from the cache too.
func TestCachedTiming(t *testing.T) {
	o := &countingOpener{pkts: rawPackets(0, ms(10), ms(30))}
	_, s, _ := replayFake(t, &Config{Open: Cached(o.open, DefaultCache), Loop: 2})
	if got, want := fmt.Sprint(offsets(s.sent)), fmt.Sprint([]time.Duration{0, ms(10), ms(30), ms(30), ms(40), ms(60)}); got != want {
		t.Errorf("sent at %s, want %s", got, want)
	}
}

// TestCachedDamaged: a damaged capture is not kept.
func TestCachedDamaged(t *testing.T) {
	damage := &capture.FileError{Offset: 140, What: "truncated record"}
	o := &countingOpener{pkts: rawPackets(0, 0), err: damage}
	open := Cached(o.open, DefaultCache)
	for range 2 {
		_, err := Run(context.Background(), &Config{Open: open, Sender: &fakeSender{}, Clock: newFakeClock(), Output: L3, TopSpeed: true})
		if !errors.Is(err, damage) {
			t.Errorf("got %v, want the damage", err)
		}
	}
	if o.opens != 2 {
		t.Errorf("opened %d times, want 2", o.opens)
	}
}
