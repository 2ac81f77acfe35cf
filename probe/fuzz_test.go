package probe

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/net/bpf"
)

// FuzzParse feeds arbitrary bytes to every parser of received data: the
// IPv4 header, the echo header and the control messages.
func FuzzParse(f *testing.F) {
	f.Add(echoReply4)
	f.Add(echoReply4[20:])
	f.Add([]byte{0x46, 0, 0, 0})
	f.Add(cmsg(41, 25, make([]byte, 44)))
	f.Fuzz(func(t *testing.T, b []byte) {
		if h, err := ParseIPv4(b); err == nil {
			if h.Len < 20 || h.Len > len(b) {
				t.Fatalf("header length %d outside 20..%d", h.Len, len(b))
			}
			ParseEcho(b[h.Len:])
		}
		if e, err := ParseEcho(b); err == nil && len(e.Data) != len(b)-8 {
			t.Fatalf("data of %d bytes from %d", len(e.Data), len(b))
		}
		parseControls(b)
		parseExtendedErr(b)
		parseSockaddr(b)
		Checksum(b)
	})
}

// FuzzEchoFilter checks the kernel filter against the engine's own test
// of the same packet: a packet the filter passes is an echo reply with the
// identifier.
func FuzzEchoFilter(f *testing.F) {
	f.Add(echoReply4, false, uint16(0x1234))
	f.Add([]byte{129, 0, 0, 0, 0x12, 0x34, 0, 1}, true, uint16(0x1234))
	f.Fuzz(func(t *testing.T, pkt []byte, v6 bool, id uint16) {
		vm, err := bpf.NewVM(EchoFilter(v6, id))
		if err != nil {
			t.Fatal(err)
		}
		n, err := vm.Run(pkt)
		if err != nil || n == 0 {
			return
		}
		icmp := pkt
		if !v6 {
			h := int(pkt[0]&0x0f) * 4
			icmp = pkt[h:]
		}
		e, err := ParseEcho(icmp)
		if err != nil || e.Type != echoType(v6, true) || e.ID != id {
			t.Fatalf("filter passed % x, which is not an echo reply with identifier %d", pkt, id)
		}
	})
}

// FuzzPingAnswers hands the engine arbitrary answers: no panic, and the
// counts stay consistent.
func FuzzPingAnswers(f *testing.F) {
	f.Add(echoReply4[20:], []byte{}, uint8(0), uint8(0), true)
	f.Add([]byte{}, echoReply4[20:], uint8(11), uint8(0), false)
	f.Fuzz(func(t *testing.T, icmp, quote []byte, typ, code uint8, raw bool) {
		clock := newClock()
		sent := 0
		fe := &fakeEcho{clock: clock, dst: server4, id: 0x1234, raw: raw, script: func(seq uint16, req []byte) []arrival {
			sent++
			a := arrival{after: time.Millisecond, ans: Answer{ICMP: icmp, From: server4, TTL: 64}}
			if len(quote) > 0 {
				a.ans = Answer{Quote: quote, From: router4, TTL: -1, Err: &ICMPError{From: router4, Type: typ, Code: code}}
			}
			return []arrival{a, reply(req, server4, 64, 2*time.Millisecond)}
		}}
		cfg := &PingConfig{Addr: netip.MustParseAddr("203.0.113.2"), Host: "h", Count: 3, Linger: time.Second, Clock: clock}
		s, err := Ping(context.Background(), fe, cfg, &JSONReporter{Out: discard{}})
		if err != nil {
			t.Fatal(err)
		}
		if s.Received > s.Transmitted || s.Transmitted > 3 || s.Transmitted < 1 {
			t.Fatalf("got %d received of %d sent", s.Received, s.Transmitted)
		}
	})
}

type discard struct{}

func (discard) Write(b []byte) (int, error) { return len(b), nil }
