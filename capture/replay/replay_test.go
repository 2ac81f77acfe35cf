package replay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"

	"github.com/rawsock/rawsock/capture"
)

// ipPacket returns a 28-byte IPv4 packet (a UDP header, no payload) whose
// last byte is n, so that tests can tell packets apart.
func ipPacket(n byte) []byte {
	p := []byte{
		0x45, 0x00, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00,
		198, 51, 100, 1, 198, 51, 100, 2,
		0x30, 0x39, 0x00, 0x09, 0x00, 0x08, 0x00, n,
	}
	return p
}

// rawPackets returns n raw-IP packets captured at the given offsets.
func rawPackets(offsets ...time.Duration) []packet {
	var pkts []packet
	for i, ts := range offsets {
		pkts = append(pkts, packet{ts: ts, data: ipPacket(byte(i)), lt: layers.LinkTypeRaw})
	}
	return pkts
}

func ms(n float64) time.Duration { return time.Duration(n * float64(time.Millisecond)) }

// offsets returns when each frame left, from the first.
func offsets(s []sent) []time.Duration {
	var out []time.Duration
	for _, x := range s {
		out = append(out, x.at.Sub(s[0].at))
	}
	return out
}

func replayFake(t *testing.T, cfg *Config) (Stats, *fakeSender, *fakeClock) {
	t.Helper()
	clock := newFakeClock()
	s := &fakeSender{clock: clock}
	cfg.Sender, cfg.Clock = s, clock
	if cfg.Output == 0 {
		cfg.Output = L3
	}
	st, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return st, s, clock
}

func TestPace(t *testing.T) {
	recorded := rawPackets(0, ms(10), ms(30), ms(30), ms(100))
	for _, tc := range []struct {
		name string
		cfg  Config
		pkts []packet
		want []time.Duration
	}{
		{"recorded", Config{}, recorded, []time.Duration{0, ms(10), ms(30), ms(30), ms(100)}},
		{"x2", Config{Multiplier: 2}, recorded, []time.Duration{0, ms(5), ms(15), ms(15), ms(50)}},
		{"x0.5", Config{Multiplier: 0.5}, recorded, []time.Duration{0, ms(20), ms(60), ms(60), ms(200)}},
		{"maxsleep", Config{MaxSleep: ms(25)}, recorded, []time.Duration{0, ms(10), ms(30), ms(30), ms(55)}},
		{"maxsleep x2", Config{MaxSleep: ms(25), Multiplier: 2}, recorded, []time.Duration{0, ms(5), ms(15), ms(15), ms(27.5)}},
		{"pps", Config{PPS: 200}, recorded, []time.Duration{0, ms(5), ms(10), ms(15), ms(20)}},
		// 28-byte packets: 224 bits each, 0.224 ms at 1 Mbps.
		{"mbps", Config{Mbps: 1}, recorded, []time.Duration{0, ms(0.224), ms(0.448), ms(0.672), ms(0.896)}},
		{"out of order", Config{}, rawPackets(0, ms(20), ms(10), ms(15)), []time.Duration{0, ms(20), ms(20), ms(25)}},
		{"loop", Config{Loop: 2}, rawPackets(0, ms(10)), []time.Duration{0, ms(10), ms(10), ms(20)}},
		{"pps loop", Config{Loop: 2, PPS: 100}, rawPackets(0, ms(50)), []time.Duration{0, ms(10), ms(20), ms(30)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Open = opener(tc.pkts, nil)
			st, s, _ := replayFake(t, &tc.cfg)
			got := offsets(s.sent)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("sent at %v, want %v", got, tc.want)
			}
			if st.Packets != int64(len(tc.want)) || st.Elapsed != tc.want[len(tc.want)-1] {
				t.Errorf("stats %d packets in %v, want %d in %v", st.Packets, st.Elapsed, len(tc.want), tc.want[len(tc.want)-1])
			}
			for i, x := range s.sent {
				if want := byte(i % len(tc.pkts)); x.frame[27] != want {
					t.Errorf("frame %d is packet %d, want %d", i, x.frame[27], want)
				}
			}
		})
	}
}

// TestPaceCatchesUp: a Sender slower than the pace makes the packets that
// fell due meanwhile go together, so the average rate holds.
func TestPaceCatchesUp(t *testing.T) {
	clock := newFakeClock()
	s := &fakeSender{clock: clock, cost: ms(25)}
	st, err := Run(context.Background(), &Config{Open: opener(rawPackets(0, 0, 0, 0, 0, 0, 0, 0, 0, 0), nil), Sender: s, Clock: clock,
		Output: L3, PPS: 100})
	if err != nil {
		t.Fatal(err)
	}
	// Each call costs 25ms, during which 2.5 more packets fall due.
	if st.Packets != 10 || s.calls >= 10 {
		t.Errorf("%d packets in %d calls: want 10 packets in fewer calls", st.Packets, s.calls)
	}
	if last := s.sent[9].at.Sub(s.sent[0].at); last > ms(25*4) {
		t.Errorf("the last packet left %v after the first: the pace fell behind", last)
	}
}

func TestTopSpeedBatches(t *testing.T) {
	var ts []time.Duration
	for i := range 300 {
		ts = append(ts, time.Duration(i)*time.Second)
	}
	st, s, clock := replayFake(t, &Config{Open: opener(rawPackets(ts...), nil), TopSpeed: true, Batch: 128})
	if st.Packets != 300 || s.calls != 3 {
		t.Errorf("%d packets in %d calls, want 300 in 3", st.Packets, s.calls)
	}
	if len(clock.sleeps) != 0 {
		t.Errorf("top speed slept %d times", len(clock.sleeps))
	}
	if st.Bytes != 300*28 {
		t.Errorf("%d bytes, want %d", st.Bytes, 300*28)
	}
	for i, x := range s.sent {
		if x.frame[27] != byte(i) {
			t.Fatalf("frame %d out of order", i)
		}
	}
}

func TestLimitAndDuration(t *testing.T) {
	pkts := rawPackets(0, ms(10), ms(20), ms(30), ms(40))
	st, s, _ := replayFake(t, &Config{Open: opener(pkts, nil), Loop: 3, Limit: 7})
	if st.Packets != 7 || len(s.sent) != 7 || st.Loops != 1 {
		t.Errorf("Limit 7 over 3 loops of 5: %d packets, %d loops; want 7 and 1", st.Packets, st.Loops)
	}
	st, _, _ = replayFake(t, &Config{Open: opener(pkts, nil), TopSpeed: true, Loop: 3, Limit: 7, Batch: 4})
	if st.Packets != 7 {
		t.Errorf("Limit 7 at top speed: %d packets", st.Packets)
	}
	st, s, clock := replayFake(t, &Config{Open: opener(pkts, nil), Duration: ms(25)})
	if st.Packets != 3 || st.Interrupted {
		t.Errorf("Duration 25ms over packets 10ms apart: %d packets (interrupted %v), want 3", st.Packets, st.Interrupted)
	}
	if end := clock.Now().Sub(s.sent[0].at); end != ms(25) {
		t.Errorf("the replay ended %v after it began, want 25ms", end)
	}
}

func TestFailuresCounted(t *testing.T) {
	tooBig := fmt.Errorf("sendmmsg: %w", syscall.EMSGSIZE)
	clock := newFakeClock()
	s := &fakeSender{clock: clock, fail: func(i int) error {
		if i == 2 || i == 5 {
			return tooBig
		}
		return nil
	}}
	st, err := Run(context.Background(), &Config{Open: opener(rawPackets(0, 0, 0, 0, 0, 0, 0, 0), nil), Sender: s, Clock: clock,
		Output: L3, TopSpeed: true})
	if err != nil {
		t.Fatal(err)
	}
	if st.Packets != 6 || st.Failed != 2 || !errors.Is(st.FirstError, syscall.EMSGSIZE) {
		t.Errorf("got %d sent, %d failed (first: %v); want 6, 2 and EMSGSIZE", st.Packets, st.Failed, st.FirstError)
	}
	var got []byte
	for _, x := range s.sent {
		got = append(got, x.frame[27])
	}
	if want := []byte{0, 1, 3, 4, 6, 7}; !bytes.Equal(got, want) {
		t.Errorf("sent packets %v, want %v", got, want)
	}

	// An interface gone fails everything after it: the replay stops.
	s = &fakeSender{clock: clock, fail: func(i int) error {
		if i >= 3 {
			return fmt.Errorf("sendmmsg: %w", syscall.ENETDOWN)
		}
		return nil
	}}
	st, err = Run(context.Background(), &Config{Open: opener(rawPackets(0, 0, 0, 0, 0, 0, 0, 0), nil), Sender: s, Clock: clock, Output: L3})
	if !errors.Is(err, syscall.ENETDOWN) || st.Packets != 3 || st.Failed != 0 {
		t.Errorf("interface down: got %v after %d packets (%d failed), want ENETDOWN after 3", err, st.Packets, st.Failed)
	}
}

func TestSkipsAndTruncated(t *testing.T) {
	arp := unhex(t, `ffff ffff ffff 0200 0000 0002 0806 0001 0800 0604 0001 0200 0000 0002 c633 6402 0000 0000 0000 c633 6401`)
	eth := append(unhex(t, `0200 0000 0001 0200 0000 0002 0800`), ipPacket(9)...)
	pkts := []packet{
		{data: arp, lt: layers.LinkTypeEthernet},
		{data: eth, lt: layers.LinkTypeEthernet},
		{data: eth[:30], lt: layers.LinkTypeEthernet, wire: len(eth)},
		{data: []byte{0x45}, lt: layers.LinkTypeEthernet}, // too short for a link header
		{data: ipPacket(1), lt: 147},                      // a link type replay does not know
	}
	st, s, _ := replayFake(t, &Config{Open: opener(pkts, nil), Output: L3})
	if st.Packets != 2 || st.Skipped != 3 || st.Truncated != 1 {
		t.Errorf("L3: %d sent, %d skipped, %d truncated; want 2, 3 and 1", st.Packets, st.Skipped, st.Truncated)
	}
	if !bytes.Equal(s.sent[0].frame, ipPacket(9)) || !bytes.Equal(s.sent[1].frame, eth[14:30]) {
		t.Errorf("L3 frames:\n%x\n%x", s.sent[0].frame, s.sent[1].frame)
	}
	st, _, _ = replayFake(t, &Config{Open: opener(pkts, nil), Output: L2})
	if st.Packets != 3 || st.Skipped != 2 {
		t.Errorf("L2: %d sent, %d skipped; want 3 (ARP too) and 2", st.Packets, st.Skipped)
	}
}

func TestDamagedCapture(t *testing.T) {
	damage := &capture.FileError{Offset: 140, What: "truncated record: 42 of 100 bytes of packet data"}
	for _, top := range []bool{false, true} {
		st, err := Run(context.Background(), &Config{Open: opener(rawPackets(0, ms(1)), damage), Sender: &fakeSender{},
			Clock: newFakeClock(), Output: L3, TopSpeed: top, Loop: 3})
		var fe *capture.FileError
		if !errors.As(err, &fe) || fe.Offset != 140 {
			t.Errorf("top speed %v: got %v, want the FileError", top, err)
		}
		if st.Packets != 2 || st.Loops != 0 {
			t.Errorf("top speed %v: %d packets, %d loops; want the 2 before the damage, once", top, st.Packets, st.Loops)
		}
	}
}

func TestInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock := newFakeClock()
	s := &fakeSender{clock: clock, cancel: cancel, cancelAt: 3}
	st, err := Run(ctx, &Config{Open: opener(rawPackets(0, ms(1), ms(2), ms(3), ms(4), ms(5)), nil), Sender: s, Clock: clock, Output: L3, Loop: 2})
	if err != nil || !st.Interrupted || st.Packets != 3 {
		t.Errorf("got %v, interrupted %v after %d packets; want nil, true, 3", err, st.Interrupted, st.Packets)
	}
}

// TestSystemClock replays a few packets on the real clock: they all go, in
// order, none before its time.
func TestSystemClock(t *testing.T) {
	s := &fakeSender{}
	begin := time.Now()
	st, err := Run(context.Background(), &Config{Open: opener(rawPackets(0, ms(2), ms(4), ms(6), ms(8), ms(10)), nil), Sender: s, Output: L3})
	if err != nil {
		t.Fatal(err)
	}
	if st.Packets != 6 {
		t.Fatalf("%d packets sent, want 6", st.Packets)
	}
	for i, x := range s.sent {
		if early := begin.Add(ms(2 * float64(i))).Sub(x.at); early > 0 || x.frame[27] != byte(i) {
			t.Errorf("frame %d (packet %d) left %v before its time", i, x.frame[27], early)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := (systemClock{}).SleepUntil(ctx, time.Now().Add(time.Hour)); !errors.Is(err, context.Canceled) {
		t.Errorf("SleepUntil after cancel: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	open := opener(rawPackets(0), nil)
	for _, cfg := range []Config{
		{Sender: &fakeSender{}, Output: L3},
		{Open: open, Sender: &fakeSender{}},
		{Open: open, Sender: &fakeSender{}, Output: L3, PPS: 10, TopSpeed: true},
		{Open: open, Sender: &fakeSender{}, Output: L3, Multiplier: -1},
		{Open: open, Sender: &fakeSender{}, Output: L3, Loop: -1},
	} {
		if _, err := Run(context.Background(), &cfg); err == nil {
			t.Errorf("%+v: no error", cfg)
		}
	}
}

func TestProgress(t *testing.T) {
	var seen []int64
	clock := newFakeClock()
	s := &fakeSender{clock: clock}
	pkts := rawPackets(0, ms(400), ms(800), ms(1200), ms(1600), ms(2000), ms(2400))
	_, err := Run(context.Background(), &Config{Open: opener(pkts, nil), Sender: s, Clock: clock, Output: L3,
		Progress: func(st Stats) { seen = append(seen, st.Packets) }})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(seen) != "[4 7]" {
		t.Errorf("progress at %v packets, want [4 7] (about once a second)", seen)
	}
}
