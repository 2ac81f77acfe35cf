package scan

import (
	"encoding/hex"
	"net/netip"
	"strings"
	"testing"
)

// testKey is the secret of the fixtures' scans: with it, testCodec derives
// the sequence numbers the captured answers acknowledge.
const testKey = 0x7261_7773_6f63_6b21

// The scanner and the target of the fixtures, a netlab.Pair.
var (
	scanner4 = netip.MustParseAddr("198.51.100.1")
	target4  = netip.MustParseAddr("198.51.100.2")
	scanner6 = netip.MustParseAddr("2001:db8::1")
	target6  = netip.MustParseAddr("2001:db8::2")
)

// testCodec returns the codec of the scan the fixtures were captured from:
// method m against the IPv4 or the IPv6 target, from the source port that
// scan had.
func testCodec(m Method, v6 bool) *codec {
	c := &codec{method: m, src: scanner4, dst: target4, key: testKey, ttl: probeTTL}
	if v6 {
		c.src, c.dst = scanner6, target6
	}
	switch {
	case m == UDP && v6:
		c.sport = 44933
	case m == UDP:
		c.sport = 48051
	case v6:
		c.sport = 54675
	default:
		c.sport = 39171
	}
	return c
}

// unhex decodes hex digits written in groups, as tcpdump -X prints them.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatalf("bad fixture %q: %v", s, err)
	}
	return b
}

// split6 takes an IPv6 packet apart the way a raw IPv6 socket does: the
// payload, and the sender and hop limit that recvmsg reports beside it.
func split6(pkt []byte) (payload []byte, from netip.Addr, hops uint8) {
	return pkt[ipv6Len:], netip.AddrFrom16([16]byte(pkt[8:24])), pkt[7]
}
