package probe

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/rawsock/rawsock/sockets"
)

// FuzzParseReply feeds arbitrary datagrams to the raw IPv4 echo socket's
// reading of a reply, which checks the IP header itself, and holds it to
// ParseIPv4 and the identifier: a datagram is taken exactly when ParseIPv4
// takes its header and it is not another process's reply, and then the
// answer carries the header's TTL, what follows the header, the sender and
// the receive time.
func FuzzParseReply(f *testing.F) {
	f.Add(echoReply4, uint16(0x1234))
	f.Add(echoReply4[:27], uint16(0x1234))
	f.Add([]byte{0x4f, 0, 0, 20}, uint16(1))
	f.Fuzz(func(t *testing.T, b []byte, id uint16) {
		// filtered: no socket here to attach the identifier filter to.
		c := &echoSocket{raw: true, id: id, filtered: true}
		from := netip.MustParseAddr("192.0.2.7")
		at := time.Unix(1700000000, 123456789)
		m := &sockets.Message{Data: b, N: len(b), Addr: sockets.Inet(from, 0), Time: at}
		var a Answer
		ok := c.parseReply(m, &a)
		h, err := ParseIPv4(b)
		want := err == nil
		if want && len(b)-h.Len >= 8 && binary.BigEndian.Uint16(b[h.Len+4:]) != id {
			want = false
		}
		if ok != want {
			t.Fatalf("parseReply(%x, id %#x) took it: %v, want %v (ParseIPv4: %v)", b, id, ok, want, err)
		}
		if !ok {
			return
		}
		if a.TTL != h.TTL || len(a.ICMP) != len(b)-h.Len || a.From != from || !a.Time.Equal(at) || a.Err != nil {
			t.Fatalf("answer %+v for %x: want TTL %d, %d ICMP bytes, from %v at %v", a, b, h.TTL, len(b)-h.Len, from, at)
		}
	})
}
