package scan

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"
)

// The fixtures below were captured with tcpdump -X on the scanner's side of
// a netlab.Pair, scanning with testKey (fixtures_lab_test.go makes them
// again). Each comment is tcpdump's reading of the bytes; "incorrect"
// checksums on packets the kernel sent are veth's checksum offload, not an
// error.

// SYN probes, IPv4.
var (
	// 198.51.100.1.39171 > 198.51.100.2.22: Flags [S], cksum 0x6f62 (correct), seq 4153229234, win 1024, options [mss 1460]
	syn4to22 = "4500 002c 7277 0000 4006 b3ea c633 6401 c633 6402 9903 0016 f78d 3fb2 0000 0000 6002 0400 6f62 0000 0204 05b4"
	// 198.51.100.1.39171 > 198.51.100.2.81: Flags [S], cksum 0x3743 (correct), seq 3325733097, win 1024, options [mss 1460]
	syn4to81 = "4500 002c 7230 0000 4006 b431 c633 6401 c633 6402 9903 0051 c63a a8e9 0000 0000 6002 0400 3743 0000 0204 05b4"
	// 198.51.100.1.39171 > 198.51.100.2.8443: Flags [S], cksum 0x8116 (correct), seq 1056818601, win 1024, options [mss 1460]
	syn4to8443 = "4500 002c 529a 0000 4006 d3c7 c633 6401 c633 6402 9903 20fb 3efd c5a9 0000 0000 6002 0400 8116 0000 0204 05b4"
)

// Answers to the SYNs, IPv4.
var (
	// IP (tos 0x0, ttl 64, id 0, offset 0, flags [DF], proto TCP (6), length 44)
	// 198.51.100.2.22 > 198.51.100.1.39171: Flags [S.], cksum 0x5489 (incorrect -> 0xcb22), seq 1373264739, ack 4153229235, win 64240, options [mss 1460]
	synAck4from22 = "4500 002c 0000 4000 4006 e661 c633 6402 c633 6401 0016 9903 51da 5b63 f78d 3fb3 6012 faf0 5489 0000 0204 05b4"
	// IP (tos 0x0, ttl 64, id 0, offset 0, flags [DF], proto TCP (6), length 40)
	// 198.51.100.2.81 > 198.51.100.1.39171: Flags [R.], cksum 0x52ec (correct), seq 0, ack 3325733098, win 0
	rst4from81 = "4500 0028 0000 4000 4006 e665 c633 6402 c633 6401 0051 9903 0000 0000 c63a a8ea 5014 0000 52ec 0000"
	// IP (tos 0xc0, ttl 64, id 12670, offset 0, flags [none], proto ICMP (1), length 72)
	// 198.51.100.2 > 198.51.100.1: ICMP host 198.51.100.2 unreachable - admin prohibited filter, length 52
	//   198.51.100.1.39171 > 198.51.100.2.8443: Flags [S], seq 1056818601 (the probe, quoted whole)
	prohibited4tcp8443 = "45c0 0048 317e 0000 4001 f40c c633 6402 c633 6401 030d 517c 0000 0000 4500 002c 529a 0000 4006 d3c7 c633 6401 c633 6402 9903 20fb 3efd c5a9 0000 0000 6002 0400 8116 0000 0204 05b4"
	// The scanner's RST for the SYN-ACK from 22 (the kernel's own, id 0 and DF, went out before it).
	// IP (tos 0x0, ttl 64, id 29303, offset 0, flags [none], proto TCP (6), length 40)
	// 198.51.100.1.39171 > 198.51.100.2.22: Flags [R], cksum 0x8b1b (correct), seq 4153229235, win 0
	ourRST4to22 = "4500 0028 7277 0000 4006 b3ee c633 6401 c633 6402 9903 0016 f78d 3fb3 0000 0000 5004 0000 8b1b 0000"
)

// UDP probes and their answers, IPv4.
var (
	// 198.51.100.1.48051 > 198.51.100.2.53: [udp sum ok] 29299+ NS? . (17)
	udp4to53 = "4500 002d 7254 0000 4011 b401 c633 6401 c633 6402 bbb3 0035 0019 78f4 7273 0100 0001 0000 0000 0000 0000 0200 01"
	// 198.51.100.1.48051 > 198.51.100.2.54: [udp sum ok] UDP, length 0
	udp4to54 = "4500 001c 7257 0000 4011 b40f c633 6401 c633 6402 bbb3 0036 0008 ef89"
	// 198.51.100.1.48051 > 198.51.100.2.5001: [udp sum ok] UDP, length 0
	udp4to5001 = "4500 001c 61e8 0000 4011 c47e c633 6401 c633 6402 bbb3 1389 0008 dc36"
	// IP (tos 0x0, ttl 64, id 21394, offset 0, flags [DF], proto UDP (17), length 30)
	// 198.51.100.2.53 > 198.51.100.1.48051: [bad udp cksum 0x5486 -> 0x801b!] (offload) "ok"
	udp4from53 = "4500 001e 5392 4000 4011 92d2 c633 6402 c633 6401 0035 bbb3 000a 5486 6f6b"
	// IP (tos 0xc0, ttl 64, id 13157, offset 0, flags [none], proto ICMP (1), length 56)
	// 198.51.100.2 > 198.51.100.1: ICMP 198.51.100.2 udp port 54 unreachable, length 36
	portUnreach4udp54 = "45c0 0038 3365 0000 4001 f235 c633 6402 c633 6401 0303 5181 0000 0000 4500 001c 7257 0000 4011 b40f c633 6401 c633 6402 bbb3 0036 0008 ef89"
	// IP (tos 0xc0, ttl 64, id 13158, offset 0, flags [none], proto ICMP (1), length 56)
	// 198.51.100.2 > 198.51.100.1: ICMP host 198.51.100.2 unreachable - admin prohibited filter, length 36
	prohibited4udp5001 = "45c0 0038 3366 0000 4001 f234 c633 6402 c633 6401 030d 5177 0000 0000 4500 001c 61e8 0000 4011 c47e c633 6401 c633 6402 bbb3 1389 0008 dc36"
)

// The same over IPv6; a raw IPv6 socket sends and receives what follows the
// 40-byte header.
var (
	// IP6 (hlim 64, next-header TCP (6) payload length: 24) 2001:db8::1.54675 > 2001:db8::2.22: Flags [S], cksum 0x2bc8 (correct), seq 4153229234, win 1024, options [mss 1460]
	syn6to22 = "6000 e6a6 0018 0640 2001 0db8 0000 0000 0000 0000 0000 0001 2001 0db8 0000 0000 0000 0000 0000 0002 d593 0016 f78d 3fb2 0000 0000 6002 0400 2bc8 0000 0204 05b4"
	// IP6 (hlim 64, next-header TCP (6) payload length: 24) 2001:db8::1.54675 > 2001:db8::2.81: Flags [S], cksum 0xf3a8 (correct), seq 3325733097, win 1024, options [mss 1460]
	syn6to81 = "6000 e6a6 0018 0640 2001 0db8 0000 0000 0000 0000 0000 0001 2001 0db8 0000 0000 0000 0000 0000 0002 d593 0051 c63a a8e9 0000 0000 6002 0400 f3a8 0000 0204 05b4"
	// IP6 (hlim 64, next-header TCP (6) payload length: 24) 2001:db8::1.54675 > 2001:db8::2.8443: Flags [S], cksum 0x3d7c (correct), seq 1056818601, win 1024, options [mss 1460]
	syn6to8443 = "6000 e6a6 0018 0640 2001 0db8 0000 0000 0000 0000 0000 0001 2001 0db8 0000 0000 0000 0000 0000 0002 d593 20fb 3efd c5a9 0000 0000 6002 0400 3d7c 0000 0204 05b4"
	// IP6 (hlim 64, next-header TCP (6) payload length: 24) 2001:db8::2.22 > 2001:db8::1.54675: Flags [S.], cksum 0x5b93 (incorrect -> 0xcbe0), seq 1185226788, ack 4153229235, win 64800, options [mss 1440]
	synAck6from22 = "6007 8341 0018 0640 2001 0db8 0000 0000 0000 0000 0000 0002 2001 0db8 0000 0000 0000 0000 0000 0001 0016 d593 46a5 2024 f78d 3fb3 6012 fd20 5b93 0000 0204 05a0"
	// IP6 (hlim 64, next-header TCP (6) payload length: 20) 2001:db8::2.81 > 2001:db8::1.54675: Flags [R.], cksum 0x5b8f (incorrect -> 0x0f52), seq 0, ack 3325733098, win 0
	rst6from81 = "600a f8fc 0014 0640 2001 0db8 0000 0000 0000 0000 0000 0002 2001 0db8 0000 0000 0000 0000 0000 0001 0051 d593 0000 0000 c63a a8ea 5014 0000 5b8f 0000"
	// IP6 (hlim 64, next-header ICMPv6 (58) payload length: 72) 2001:db8::2 > 2001:db8::1: [icmp6 sum ok] ICMP6, destination unreachable, unreachable prohibited 2001:db8::2
	prohibited6tcp8443 = "6001 6008 0048 3a40 2001 0db8 0000 0000 0000 0000 0000 0002 2001 0db8 0000 0000 0000 0000 0000 0001 0101 5626 0000 0000 6000 e6a6 0018 0640 2001 0db8 0000 0000 0000 0000 0000 0001 2001 0db8 0000 0000 0000 0000 0000 0002 d593 20fb 3efd c5a9 0000 0000 6002 0400 3d7c 0000 0204 05b4"
	// The scanner's RST for the SYN-ACK from 22.
	// IP6 (hlim 64, next-header TCP (6) payload length: 20) 2001:db8::1.54675 > 2001:db8::2.22: Flags [R], cksum 0x4781 (correct), seq 4153229235, win 0
	ourRST6to22 = "6000 e6a6 0014 0640 2001 0db8 0000 0000 0000 0000 0000 0001 2001 0db8 0000 0000 0000 0000 0000 0002 d593 0016 f78d 3fb3 0000 0000 5004 0000 4781 0000"

	// IP6 (hlim 64, next-header UDP (17) payload length: 25) 2001:db8::1.44933 > 2001:db8::2.53: [udp sum ok] 29299+ NS? . (17)
	udp6to53 = "6003 a2b3 0019 1140 2001 0db8 0000 0000 0000 0000 0000 0001 2001 0db8 0000 0000 0000 0000 0000 0002 af85 0035 0019 7e18 7273 0100 0001 0000 0000 0000 0000 0200 01"
	// IP6 (hlim 64, next-header UDP (17) payload length: 8) 2001:db8::1.44933 > 2001:db8::2.54: [udp sum ok] UDP, length 0
	udp6to54 = "6003 a2b3 0008 1140 2001 0db8 0000 0000 0000 0000 0000 0001 2001 0db8 0000 0000 0000 0000 0000 0002 af85 0036 0008 f4ad"
	// IP6 (hlim 64, next-header UDP (17) payload length: 8) 2001:db8::1.44933 > 2001:db8::2.5001: [udp sum ok] UDP, length 0
	udp6to5001 = "6003 a2b3 0008 1140 2001 0db8 0000 0000 0000 0000 0000 0001 2001 0db8 0000 0000 0000 0000 0000 0002 af85 1389 0008 e15a"
	// IP6 (hlim 64, next-header UDP (17) payload length: 10) 2001:db8::2.53 > 2001:db8::1.44933: [bad udp cksum 0x5b90 -> 0x853f!] (offload) "ok"
	udp6from53 = "6007 ea3f 000a 1140 2001 0db8 0000 0000 0000 0000 0000 0002 2001 0db8 0000 0000 0000 0000 0000 0001 0035 af85 000a 5b90 6f6b"
	// IP6 (hlim 64, next-header ICMPv6 (58) payload length: 56) 2001:db8::2 > 2001:db8::1: [icmp6 sum ok] ICMP6, destination unreachable, unreachable port, 2001:db8::2 udp port 54
	portUnreach6udp54 = "6008 561f 0038 3a40 2001 0db8 0000 0000 0000 0000 0000 0002 2001 0db8 0000 0000 0000 0000 0000 0001 0104 8f2e 0000 0000 6003 a2b3 0008 1140 2001 0db8 0000 0000 0000 0000 0000 0001 2001 0db8 0000 0000 0000 0000 0000 0002 af85 0036 0008 f4ad"
	// IP6 (hlim 64, next-header ICMPv6 (58) payload length: 56) 2001:db8::2 > 2001:db8::1: [icmp6 sum ok] ICMP6, destination unreachable, unreachable prohibited 2001:db8::2
	prohibited6udp5001 = "6001 6008 0038 3a40 2001 0db8 0000 0000 0000 0000 0000 0002 2001 0db8 0000 0000 0000 0000 0000 0001 0101 8f31 0000 0000 6003 a2b3 0008 1140 2001 0db8 0000 0000 0000 0000 0000 0001 2001 0db8 0000 0000 0000 0000 0000 0002 af85 1389 0008 e15a"
)

// TestProbeBytes builds each probe and compares it with what tcpdump saw
// on the wire, where it judged every checksum correct.
func TestProbeBytes(t *testing.T) {
	tests := []struct {
		name   string
		method Method
		v6     bool
		port   uint16
		wire   string
	}{
		{"syn4 22", SYN, false, 22, syn4to22},
		{"syn4 81", SYN, false, 81, syn4to81},
		{"syn4 8443", SYN, false, 8443, syn4to8443},
		{"udp4 53 dns", UDP, false, 53, udp4to53},
		{"udp4 54", UDP, false, 54, udp4to54},
		{"udp4 5001", UDP, false, 5001, udp4to5001},
		{"syn6 22", SYN, true, 22, syn6to22},
		{"syn6 81", SYN, true, 81, syn6to81},
		{"syn6 8443", SYN, true, 8443, syn6to8443},
		{"udp6 53 dns", UDP, true, 53, udp6to53},
		{"udp6 54", UDP, true, 54, udp6to54},
		{"udp6 5001", UDP, true, 5001, udp6to5001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := unhex(t, tt.wire)
			if tt.v6 {
				want = want[ipv6Len:]
			}
			var b [maxProbe]byte
			n := testCodec(tt.method, tt.v6).probe(b[:], tt.port)
			if got := b[:n]; !bytes.Equal(got, want) {
				t.Errorf("got  % x\nwant % x", got, want)
			}
		})
	}
}

// TestResetBytes checks the RST that answers a SYN-ACK against the one the
// scanner sent in the capture.
func TestResetBytes(t *testing.T) {
	for _, tt := range []struct {
		name     string
		v6       bool
		synAck   string
		wire     string
		expected int
	}{
		{"ipv4", false, synAck4from22, ourRST4to22, ipv4Len + tcpRSTLen},
		{"ipv6", true, synAck6from22, ourRST6to22, tcpRSTLen},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := testCodec(SYN, tt.v6)
			var rep Reply
			var ack uint32
			var ok bool
			if tt.v6 {
				rep, ack, ok = c.tcpReply6(split6(unhex(t, tt.synAck)))
			} else {
				rep, ack, ok = c.tcpReply4(unhex(t, tt.synAck))
			}
			if !ok || rep.State != Open {
				t.Fatalf("SYN-ACK not recognized: %+v, %v", rep, ok)
			}
			want := unhex(t, tt.wire)
			if tt.v6 {
				want = want[ipv6Len:]
			}
			var b [ipv4Len + tcpRSTLen]byte
			n := c.reset(b[:], rep.Port, ack)
			if n != tt.expected || !bytes.Equal(b[:n], want) {
				t.Errorf("got  % x\nwant % x", b[:n], want)
			}
		})
	}
}

// recognize runs the codec's reading of one received packet, as the raw
// socket it arrives on would hand it over.
func recognize(c *codec, pkt []byte, icmp bool) (Reply, bool) {
	if c.dst.Is6() {
		if len(pkt) < ipv6Len {
			return Reply{}, false
		}
		seg, from, hops := split6(pkt)
		switch {
		case icmp:
			return c.icmpReply6(seg, from, hops)
		case c.method == UDP:
			return c.udpReply6(seg, from, hops)
		}
		rep, _, ok := c.tcpReply6(seg, from, hops)
		return rep, ok
	}
	switch {
	case icmp:
		return c.icmpReply4(pkt)
	case c.method == UDP:
		return c.udpReply4(pkt)
	}
	rep, _, ok := c.tcpReply4(pkt)
	return rep, ok
}

func TestReplies(t *testing.T) {
	tests := []struct {
		name   string
		method Method
		v6     bool
		icmp   bool
		pkt    string
		want   Reply
	}{
		{"syn-ack4", SYN, false, false, synAck4from22, Reply{22, Open, ReasonSynAck, 64, target4}},
		{"reset4", SYN, false, false, rst4from81, Reply{81, Closed, ReasonReset, 64, target4}},
		{"prohibited4 tcp", SYN, false, true, prohibited4tcp8443, Reply{8443, Filtered, ReasonAdminProhibited, 64, target4}},
		{"udp-response4", UDP, false, false, udp4from53, Reply{53, Open, ReasonUDPResponse, 64, target4}},
		{"port-unreach4", UDP, false, true, portUnreach4udp54, Reply{54, Closed, ReasonPortUnreach, 64, target4}},
		{"prohibited4 udp", UDP, false, true, prohibited4udp5001, Reply{5001, Filtered, ReasonAdminProhibited, 64, target4}},
		{"syn-ack6", SYN, true, false, synAck6from22, Reply{22, Open, ReasonSynAck, 64, target6}},
		{"reset6", SYN, true, false, rst6from81, Reply{81, Closed, ReasonReset, 64, target6}},
		{"prohibited6 tcp", SYN, true, true, prohibited6tcp8443, Reply{8443, Filtered, ReasonAdminProhibited, 64, target6}},
		{"udp-response6", UDP, true, false, udp6from53, Reply{53, Open, ReasonUDPResponse, 64, target6}},
		{"port-unreach6", UDP, true, true, portUnreach6udp54, Reply{54, Closed, ReasonPortUnreach, 64, target6}},
		{"prohibited6 udp", UDP, true, true, prohibited6udp5001, Reply{5001, Filtered, ReasonAdminProhibited, 64, target6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := recognize(testCodec(tt.method, tt.v6), unhex(t, tt.pkt), tt.icmp)
			if !ok || got != tt.want {
				t.Errorf("got %+v, %v; want %+v", got, ok, tt.want)
			}
		})
	}
}

// TestRepliesRejected changes one thing in a real answer that makes it no
// answer to our probe, and checks that the codec refuses it.
func TestRepliesRejected(t *testing.T) {
	other4 := netip.MustParseAddr("198.51.100.9").As4()
	tests := []struct {
		name   string
		method Method
		v6     bool
		icmp   bool
		pkt    string
		change func(b []byte)
	}{
		{"ack off by one", SYN, false, false, synAck4from22, func(b []byte) { b[31]++ }},
		{"no ack flag", SYN, false, false, rst4from81, func(b []byte) { b[33] = tcpRST }},
		{"other source port", SYN, false, false, synAck4from22, func(b []byte) { b[21]++ }},
		{"other destination port", SYN, false, false, synAck4from22, func(b []byte) { b[23]++ }},
		{"from another host", SYN, false, false, synAck4from22, func(b []byte) { copy(b[12:16], other4[:]) }},
		{"to another host", SYN, false, false, rst4from81, func(b []byte) { copy(b[16:20], other4[:]) }},
		{"later fragment", SYN, false, false, synAck4from22, func(b []byte) { b[7] = 1 }},
		{"SYN alone", SYN, false, false, synAck4from22, func(b []byte) { b[33] = tcpSYN | tcpACK | tcpFIN }},
		{"truncated", SYN, false, false, synAck4from22, func(b []byte) { b[3] = 30 }},
		{"udp answer to a syn scan", SYN, false, false, udp4from53, func([]byte) {}},
		{"icmp quotes another seq", SYN, false, true, prohibited4tcp8443, func(b []byte) { b[8+20+20+7]++ }},
		{"icmp quotes another sport", UDP, false, true, portUnreach4udp54, func(b []byte) { b[8+20+20]++ }},
		{"icmp about another target", UDP, false, true, portUnreach4udp54, func(b []byte) { copy(b[8+20+16:], other4[:]) }},
		{"icmp quotes tcp in a udp scan", UDP, false, true, prohibited4tcp8443, func([]byte) {}},
		{"icmp fragmentation needed", UDP, false, true, portUnreach4udp54, func(b []byte) { b[21] = 4 }},
		{"icmp echo reply", UDP, false, true, portUnreach4udp54, func(b []byte) { b[20] = 0 }},
		{"udp to another port", UDP, false, false, udp4from53, func(b []byte) { b[22]++ }},
		{"v6 from another host", SYN, true, false, synAck6from22, func(b []byte) { b[23] = 9 }},
		{"v6 ack off by one", SYN, true, false, synAck6from22, func(b []byte) { b[40+11]++ }},
		{"v6 icmp quotes another seq", SYN, true, true, prohibited6tcp8443, func(b []byte) { b[40+8+40+7]++ }},
		{"v6 icmp about another target", UDP, true, true, portUnreach6udp54, func(b []byte) { b[40+8+39] = 9 }},
		{"v6 icmp packet too big", UDP, true, true, portUnreach6udp54, func(b []byte) { b[40] = 2 }},
		{"v6 udp from another host", UDP, true, false, udp6from53, func(b []byte) { b[23] = 9 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testCodec(tt.method, tt.v6)
			pkt := unhex(t, tt.pkt)
			if _, ok := recognize(c, pkt, tt.icmp); !ok && tt.name != "udp answer to a syn scan" && tt.name != "icmp quotes tcp in a udp scan" {
				t.Fatalf("the unchanged fixture is not recognized")
			}
			tt.change(pkt)
			if got, ok := recognize(c, pkt, tt.icmp); ok {
				t.Errorf("got %+v, want no reply", got)
			}
		})
	}
}

// TestICMPVerdicts checks the reading of every ICMP code: nmap's reasons,
// and port unreachable closing a UDP port only when the target itself sent
// it.
func TestICMPVerdicts(t *testing.T) {
	router := netip.MustParseAddr("198.51.100.254").As4()
	tests := []struct {
		typ, code  uint8
		method     Method
		fromRouter bool
		state      State
		reason     Reason
	}{
		{3, 0, UDP, true, Filtered, ReasonNetUnreach},
		{3, 1, UDP, true, Filtered, ReasonHostUnreach},
		{3, 2, UDP, false, Filtered, ReasonProtoUnreach},
		{3, 3, UDP, false, Closed, ReasonPortUnreach},
		{3, 3, UDP, true, Filtered, ReasonPortUnreach},
		{3, 9, UDP, true, Filtered, ReasonNetProhibited},
		{3, 10, UDP, true, Filtered, ReasonHostProhibited},
		{3, 13, UDP, false, Filtered, ReasonAdminProhibited},
		{11, 0, UDP, true, Filtered, ReasonTimeExceeded},
		{3, 3, SYN, false, Filtered, ReasonPortUnreach},
	}
	for _, tt := range tests {
		pkt := unhex(t, portUnreach4udp54)
		if tt.method == SYN {
			pkt = unhex(t, prohibited4tcp8443)
		}
		pkt[20], pkt[21] = tt.typ, tt.code
		if tt.fromRouter {
			copy(pkt[12:16], router[:])
		}
		rep, ok := testCodec(tt.method, false).icmpReply4(pkt)
		if !ok || rep.State != tt.state || rep.Reason != tt.reason {
			t.Errorf("%v type %d code %d (router %v): got %v %v, %v; want %v %v",
				tt.method, tt.typ, tt.code, tt.fromRouter, rep.State, rep.Reason, ok, tt.state, tt.reason)
		}
	}
}

// TestSeqDiffers checks that sequence numbers change with the key, so that
// no two scans acknowledge alike, and that they spread over the whole
// 32-bit space.
func TestSeqDiffers(t *testing.T) {
	c, d := testCodec(SYN, false), testCodec(SYN, false)
	d.key++
	same, high := 0, 0
	for port := 1; port <= 65535; port++ {
		s := c.seq(uint16(port))
		if s == d.seq(uint16(port)) {
			same++
		}
		if s >= 1<<31 {
			high++
		}
	}
	if same > 2 {
		t.Errorf("%d ports have the same sequence number under another key", same)
	}
	if high < 30000 || high > 35535 {
		t.Errorf("%d of 65535 sequence numbers have the top bit set, want about half", high)
	}
}

// TestProbeAllocs guards the send path: building a probe allocates nothing.
func TestProbeAllocs(t *testing.T) {
	for _, m := range []Method{SYN, UDP} {
		c := testCodec(m, false)
		var b [maxProbe]byte
		port := uint16(0)
		if n := testing.AllocsPerRun(1000, func() { port++; c.probe(b[:], port|1) }); n != 0 {
			t.Errorf("%v: %v allocations per probe, want 0", m, n)
		}
	}
}

// TestUDPPayloads decodes the protocol payloads with what reads them: the
// DNS query and the NTP request must be what their RFCs describe.
func TestUDPPayloads(t *testing.T) {
	q := udpPayload(53)
	if len(q) != 17 || binary.BigEndian.Uint16(q[4:]) != 1 || q[12] != 0 || binary.BigEndian.Uint16(q[13:]) != 2 {
		t.Errorf("DNS query: got % x, want one question for . NS", q)
	}
	if p := udpPayload(123); len(p) != 48 || p[0]&7 != 3 || p[0]>>3&7 != 4 {
		t.Errorf("NTP request: got % x, want 48 bytes, version 4, mode 3", p)
	}
	if p := udpPayload(137); len(p) != 50 || string(p[13:15]) != "CK" || binary.BigEndian.Uint16(p[46:]) != 0x21 {
		t.Errorf("NetBIOS status: got % x", p)
	}
	if p := udpPayload(161); len(p) != 2+int(p[1]) || p[0] != 0x30 {
		t.Errorf("SNMP: BER length %d does not cover % x", p[1], p)
	}
	if p := udpPayload(9); p != nil {
		t.Errorf("port 9: got % x, want an empty datagram", p)
	}
	for port := range 65536 {
		if n := len(udpPayload(uint16(port))); ipv4Len+udpLen+n > maxProbe {
			t.Errorf("port %d: payload of %d bytes does not fit maxProbe", port, n)
		}
	}
}
