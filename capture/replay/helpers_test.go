package replay

import (
	"context"
	"encoding/hex"
	"errors"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/rawsock/rawsock/capture"
)

// fakeClock is a clock whose time moves only when it is slept on.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
	// sleeps are the times slept until, in order.
	sleeps []time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) SleepUntil(ctx context.Context, t time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, t)
	if t.After(c.now) {
		c.now = t
	}
	return nil
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// sent is one frame a fakeSender took, with the fake time it left at.
type sent struct {
	at    time.Time
	frame []byte
	batch int // which call of Send it came in
}

// fakeSender records what it is given. fail, when set, says which frames
// (counted from 0 over the whole run) fail and with what error; cost is
// how long each call takes on the clock.
type fakeSender struct {
	clock *fakeClock
	cost  time.Duration
	fail  func(i int) error
	// cancel, when set, is called before frame cancelAt is sent.
	cancel   func()
	cancelAt int

	sent  []sent
	calls int
	tried int
}

func (s *fakeSender) Send(ctx context.Context, frames [][]byte) (int, error) {
	s.calls++
	if s.clock != nil && s.cost > 0 {
		s.clock.advance(s.cost)
	}
	for i, f := range frames {
		if s.cancel != nil && s.tried == s.cancelAt {
			s.cancel()
			return i, ctx.Err()
		}
		if s.fail != nil {
			if err := s.fail(s.tried); err != nil {
				s.tried++
				return i, err
			}
		}
		s.tried++
		at := time.Now()
		if s.clock != nil {
			at = s.clock.Now()
		}
		s.sent = append(s.sent, sent{at: at, frame: append([]byte(nil), f...), batch: s.calls})
	}
	return len(frames), nil
}

// packet is one packet of a sliceSource.
type packet struct {
	ts   time.Duration // since the capture's start
	data []byte
	lt   layers.LinkType
	wire int // length on the wire, when more than len(data)
}

// sliceSource is a capture in memory; err ends it instead of io.EOF.
type sliceSource struct {
	pkts []packet
	err  error
	i    int
	base time.Time
}

func (s *sliceSource) ReadPacket() ([]byte, gopacket.CaptureInfo, error) {
	if s.i == len(s.pkts) {
		if s.err != nil {
			return nil, gopacket.CaptureInfo{}, s.err
		}
		return nil, gopacket.CaptureInfo{}, io.EOF
	}
	p := s.pkts[s.i]
	s.i++
	ci := gopacket.CaptureInfo{Timestamp: s.base.Add(p.ts), CaptureLength: len(p.data), Length: max(len(p.data), p.wire), InterfaceIndex: s.i - 1}
	return p.data, ci, nil
}

func (s *sliceSource) Interface(index int) capture.Interface {
	if index >= 0 && index < len(s.pkts) {
		return capture.Interface{LinkType: s.pkts[index].lt}
	}
	return capture.Interface{}
}

// opener returns a Config.Open that replays pkts (then err) afresh each time.
func opener(pkts []packet, err error) func() (Source, error) {
	base := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	return func() (Source, error) { return &sliceSource{pkts: pkts, err: err, base: base}, nil }
}

// readPcap returns the packets of a file in pcaps/ with their link types.
func readPcap(t testing.TB, name string) []packet {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "pcaps", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := capture.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var pkts []packet
	var first time.Time
	for {
		data, ci, err := r.ReadPacket()
		if errors.Is(err, io.EOF) {
			return pkts
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if first.IsZero() {
			first = ci.Timestamp
		}
		pkts = append(pkts, packet{ts: ci.Timestamp.Sub(first), data: append([]byte(nil), data...),
			lt: r.Interface(ci.InterfaceIndex).LinkType, wire: ci.Length})
	}
}

// unhex decodes hex digits written in groups, as tcpdump -X prints them.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }
