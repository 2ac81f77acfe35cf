package craft

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestParseErrors checks that each mistake is reported at its column, with
// the hint the issue asks for.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		expr, want string
	}{
		{`ip(tll=3)`, `unknown field "tll" in ip() at column 4; did you mean "ttl"?`},
		{`ip(ttl=300)`, `ttl=300 in ip() is out of range 0-255 at column 8`},
		{`tcp()/ip()`, `an expression starts with ether(), ip() or ip6(), not tcp() at column 1; write ip(dst=…)/tcp(…)`},
		{`ip()/tcp()/ip()`, `cannot carry ip inside tcp at column 12; tcp carries raw`},
		{`ip()/udp()/tcp()`, `cannot carry tcp inside udp at column 12; udp carries raw`},
		{`ip()/raw()/raw()`, `cannot carry raw inside raw at column 12; raw carries nothing`},
		{`ip()/icnp()`, `unknown layer "icnp" at column 6; did you mean "icmp"?`},
		{`ip()/zzzz()`, `unknown layer "zzzz" at column 6; the layers are ether, ip, ip6, icmp, icmp6, igmp, tcp, udp, raw`},
		{`ip()/icmp(type=echo-requst)`, `unknown value "echo-requst" for type in icmp() at column 16; did you mean "echo-request"?`},
		{`ip()/icmp(type=dest-unreach, code=port-unreach)`, `unknown value "port-unreach" for code in icmp() at column 35; did you mean "port-unreachable"?`},
		{`ip()/icmp(gw=192.0.2.1)`, `field gw does not apply to icmp type echo-request at column 11`},
		{`ip(dst=2001:db8::1)`, `dst in ip() takes an IPv4 address, not 2001:db8::1 at column 8`},
		{`ip6(dst=192.0.2.1)`, `dst in ip6() takes an IPv6 address, not 192.0.2.1 at column 9`},
		{`ip(dst=192.0.2.300)`, `bad IPv4 address "192.0.2.300" for dst in ip() at column 8`},
		{`ip(ttl=3, ttl=4)`, `field ttl given twice in ip() (first at column 4) at column 11`},
		{`ip(ttl=3`, `ip() is not closed: add ")" at column 3`},
		{`ip(ttl)`, `expected = after field ttl in ip(), found ")" at column 7`},
		{`ip(ttl=)`, `expected a value, found ")" at column 8`},
		{`ip() tcp()`, `unexpected "tcp" after ip(): layers are separated by / at column 6`},
		{``, `empty expression: write layers such as ip(dst=…)/icmp() at column 1`},
		{`ip()/raw(load="abc)`, `string not closed: add the closing " at column 15`},
		{`ip()/raw(load="\q")`, `unknown escape \q in string: use \\ \" \' \n \r \t \0 or \xHH at column 16`},
		{`ip()/raw(load=hex:abc)`, `bad hex for load in raw(): odd number of hex digits at column 19`},
		{`ip()/tcp(flags=SX)`, `unknown flag "X" for flags in tcp() at column 17; use the letters FSRPAUECN`},
		{`ip(flags=DF+XF)`, `unknown flag "XF" for flags in ip() at column 13; use DF, MF, evil`},
		{`ip()/tcp(dport=25-20)`, `range 25-20 for dport in tcp() runs backwards: write 20-25 at column 16`},
		{`ip()/tcp(dport=[])`, `empty list for dport in tcp() at column 16`},
		{`ip()/tcp(options=[mss])`, `mss() in options in tcp() takes one number: write mss(n) at column 19`},
		{`ip()/tcp(options=[mms(1460)])`, `unknown option "mms" in options in tcp() at column 19; did you mean "mss"?`},
		{`ip(options=[lsrr()])`, `lsrr() in options in ip() takes one to nine addresses at column 13`},
		{`ip(options=[rr, rr])`, `options in ip() take 78 bytes, more than the 40 a header has room for at column 12`},
		{`ip()/igmp(type=v2-report, qrv=3)`, `field qrv does not apply to igmp type v2-report at column 27`},
		{`ip()/igmp(type=v3-report, records=[{rtype=4, madr=239.1.1.1}])`, `unknown field "madr" in an igmp group record at column 46; did you mean "maddr"?`},
		{`ip()/raw(load=@/nonexistent/file)`, `cannot read /nonexistent/file for load in raw(): no such file or directory at column 15`},
		{`ether(dst=ff:ff)`, `bad MAC address ff:ff for dst in ether(): write it as 02:00:00:00:00:01 at column 11`},
		{`ip(dst=198.51.100.0/8)`, `prefix 198.51.100.0/8 for dst in ip() is too big: at most /16 (65536 addresses) at column 8`},
		{`ip(ttl=[1,[2]])`, `a list inside a list for ttl in ip(): write one list of values at column 11`},
		{`ip(ttl=0-255)/tcp(sport=0-65535, dport=0-65535, seq=0-4294967295)`, `the expression expands to too many packets: use smaller ranges at column 49`},
		{`ip(tos=x1)`, `bad value "x1" for tos in ip(): want a number 0-255 at column 8`},
		{`ip()/icmp6()`, `cannot carry icmp6 inside ip at column 6; ip carries icmp, igmp, tcp, udp, ip, ip6, raw`},
		{`ip6()/icmp6(chksum=1, cksum=2)`, `field cksum given twice in icmp6() (first at column 13) at column 23`},
		{`ip(ttl=ü)`, `bad value "ü" for ttl in ip(): want a number 0-255 at column 8`},
		{`ip(ttl="ü")`, `ttl in ip() takes a number, not "ü" at column 8`},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			_, err := Parse(tt.expr)
			if err == nil {
				t.Fatalf("Parse(%q) succeeded, want %q", tt.expr, tt.want)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got %T %v, want *Error", err, err)
			}
			if err.Error() != tt.want {
				t.Errorf("Parse(%q):\n got %s\nwant %s", tt.expr, err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is more than one line: %q", err)
			}
		})
	}
}

// TestExpansion checks the number and the order of the packets ranges and
// lists make: every combination, the last field turning fastest.
func TestExpansion(t *testing.T) {
	tests := []struct {
		expr  string
		count uint64
		want  []string // ttl/dport/dst of each packet
	}{
		{`ip(src=192.0.2.1)/tcp(dport=20-25)`, 6, []string{"64 20", "64 21", "64 22", "64 23", "64 24", "64 25"}},
		{`ip(src=192.0.2.1, ttl=[1,2,3])`, 3, []string{"1", "2", "3"}},
		{`ip(src=192.0.2.1, ttl=[1,5-6])/udp(dport=[53,0x50])`, 6,
			[]string{"1 53", "1 80", "5 53", "5 80", "6 53", "6 80"}},
		{`ip(src=192.0.2.1, dst=198.51.100.254-198.51.101.1)`, 4,
			[]string{"198.51.100.254", "198.51.100.255", "198.51.101.0", "198.51.101.1"}},
		{`ip(src=192.0.2.1, dst=198.51.100.8/30)`, 4,
			[]string{"198.51.100.8", "198.51.100.9", "198.51.100.10", "198.51.100.11"}},
		{`ip(src=192.0.2.1, dst=198.51.100.1-3)`, 3, []string{"198.51.100.1", "198.51.100.2", "198.51.100.3"}},
		{`ip(src=192.0.2.1)/icmp(type=[echo-request, timestamp-request], seq=[1,2])`, 4,
			[]string{"8 1", "8 2", "13 1", "13 2"}},
		{`ip(src=192.0.2.1)/raw(load=["a", "bc"], size=[1, 3])`, 4, []string{"a", "aaa", "b", "bcb"}},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			tpl, err := Parse(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			if tpl.Count() != tt.count {
				t.Errorf("Count: got %d, want %d", tpl.Count(), tt.count)
			}
			b, err := NewBuilder(tpl, &Options{Seed: 1, Source: noRoute})
			if err != nil {
				t.Fatal(err)
			}
			for pass := 0; pass < 2; pass++ {
				var got []string
				for b.Next() {
					got = append(got, describePacket(b.Layers()))
				}
				if b.Err() != nil {
					t.Fatal(b.Err())
				}
				if fmt.Sprint(got) != fmt.Sprint(tt.want) {
					t.Errorf("pass %d: got %q, want %q", pass, got, tt.want)
				}
				b.Reset()
			}
		})
	}
}

func describePacket(s Stack) string {
	ip := s[0].(*IPv4)
	switch l := s[len(s)-1].(type) {
	case *TCP:
		return fmt.Sprint(ip.TTL, " ", l.DstPort)
	case *UDP:
		return fmt.Sprint(ip.TTL, " ", l.DstPort)
	case *ICMPv4:
		return fmt.Sprint(l.Type, " ", l.Seq)
	case *Raw:
		return string(l.Load)
	}
	if ip.TTL != 64 {
		return fmt.Sprint(ip.TTL)
	}
	return ip.Dst.String()
}

// TestKeptExactly checks that fields the user sets are written as given,
// however wrong, and computed ones follow the packet otherwise.
func TestKeptExactly(t *testing.T) {
	// ip(src=198.51.100.2, dst=203.0.113.2, id=1, proto=17)/icmp(id=1, seq=1, chksum=0)
	// 4500 001c 0001 0000 4011 1498 c633 6402 cb00 7102 | 0800 0000 0001 0001
	got, _ := build(t, `ip(src=198.51.100.2, dst=203.0.113.2, id=1, proto=17)/icmp(id=1, seq=1, chksum=0)`)
	want := mustHex(t, "4500001c0001000040111498c6336402cb007102 0800000000010001")
	if string(got[0]) != string(want) {
		t.Errorf("got %x, want %x", got[0], want)
	}
	// Left out, the same fields are computed.
	got, _ = build(t, `ip(src=198.51.100.2, dst=203.0.113.2, id=1)/icmp(id=1, seq=1)`)
	want = mustHex(t, "4500001c00010000400114a8c6336402cb007102 0800f7fd00010001")
	if string(got[0]) != string(want) {
		t.Errorf("got %x, want %x", got[0], want)
	}
}

// TestIPTimestampOption checks ts(2) against RFC 791's layout: type 68,
// length 4+4n, pointer 5, overflow and flag 0, then n empty slots.
func TestIPTimestampOption(t *testing.T) {
	got, _ := build(t, `ip(src=198.51.100.2, dst=203.0.113.2, id=1, options=[ts(2)])`)
	// 4800 0020 0001 0000 4000 xxxx c633 6402 cb00 7102
	// 440c 0500 0000 0000 0000 0000
	opts := got[0][20:]
	if want := mustHex(t, "440c0500 00000000 00000000"); string(opts) != string(want) {
		t.Errorf("options: got %x, want %x", opts, want)
	}
	if got[0][0] != 0x48 {
		t.Errorf("ihl: got %#x, want 0x48", got[0][0])
	}
}
