package craft

import (
	"testing"

	"github.com/gopacket/gopacket/layers"
)

func TestAnswers(t *testing.T) {
	const (
		echo  = `ip(src=198.51.100.2, dst=203.0.113.2, id=5)/icmp(id=7, seq=1)/raw(load="abcdefgh")`
		syn   = `ip(src=198.51.100.2, dst=203.0.113.2, id=6)/tcp(sport=40000, dport=80, seq=1000)`
		dgram = `ip(src=198.51.100.2, dst=203.0.113.2, id=8)/udp(sport=5000, dport=33434)/raw(load="x")`
	)
	tests := []struct {
		name, sent, reply string
		want              Answer
	}{
		{"echo reply", echo, `ip(src=203.0.113.2, dst=198.51.100.2)/icmp(type=echo-reply, id=7, seq=1)/raw(load="abcdefgh")`, Reply},
		{"echo reply, other seq", echo, `ip(src=203.0.113.2, dst=198.51.100.2)/icmp(type=echo-reply, id=7, seq=2)`, NoAnswer},
		{"echo reply, other id", echo, `ip(src=203.0.113.2, dst=198.51.100.2)/icmp(type=echo-reply, id=8, seq=1)`, NoAnswer},
		{"echo reply from elsewhere", echo, `ip(src=203.0.113.9, dst=198.51.100.2)/icmp(type=echo-reply, id=7, seq=1)`, NoAnswer},
		{"our own request", echo, echo, NoAnswer},
		{"timestamp reply", `ip(src=198.51.100.2, dst=203.0.113.2)/icmp(type=timestamp-request, id=1, seq=2)`,
			`ip(src=203.0.113.2, dst=198.51.100.2)/icmp(type=timestamp-reply, id=1, seq=2)`, Reply},
		{"syn-ack", syn, `ip(src=203.0.113.2, dst=198.51.100.2)/tcp(sport=80, dport=40000, flags=SA, ack=1001)`, Reply},
		{"rst", syn, `ip(src=203.0.113.2, dst=198.51.100.2)/tcp(sport=80, dport=40000, flags=RA, ack=1001)`, Reply},
		{"tcp to another port", syn, `ip(src=203.0.113.2, dst=198.51.100.2)/tcp(sport=81, dport=40000, flags=SA)`, NoAnswer},
		{"udp reply", dgram, `ip(src=203.0.113.2, dst=198.51.100.2)/udp(sport=33434, dport=5000)`, Reply},
		{"port unreachable", dgram, `ip(src=203.0.113.2, dst=198.51.100.2)/icmp(type=dest-unreach, code=port-unreachable)/` + dgram, ICMPError},
		{"time exceeded from a router, quote cut to 8 bytes", syn,
			`ip(src=198.51.100.1, dst=198.51.100.2)/icmp(type=time-exceeded)/ip(src=198.51.100.2, dst=203.0.113.2, id=6, ttl=1, proto=tcp, len=40)/raw(load=hex:9c400050000003e8)`, ICMPError},
		{"error about another packet", syn,
			`ip(src=198.51.100.1, dst=198.51.100.2)/icmp(type=time-exceeded)/ip(src=198.51.100.2, dst=203.0.113.2, id=7, ttl=1, proto=tcp, len=40)/raw(load=hex:9c400050000003e8)`, NoAnswer},
		{"error quoting other ports", syn,
			`ip(src=198.51.100.1, dst=198.51.100.2)/icmp(type=time-exceeded)/ip(src=198.51.100.2, dst=203.0.113.2, id=6, ttl=1, proto=tcp, len=40)/raw(load=hex:9c400051000003e8)`, NoAnswer},
		{"icmp6 echo reply", `ip6(src=2001:db8::1, dst=2001:db8::2)/icmp6(id=3, seq=4)`,
			`ip6(src=2001:db8::2, dst=2001:db8::1)/icmp6(type=echo-reply, id=3, seq=4)`, Reply},
		{"icmp6 error", `ip6(src=2001:db8::1, dst=2001:db8::2)/udp(sport=1, dport=2)`,
			`ip6(src=2001:db8::2, dst=2001:db8::1)/icmp6(type=dest-unreach, code=4)/ip6(src=2001:db8::1, dst=2001:db8::2)/udp(sport=1, dport=2)`, ICMPError},
		{"v4 against v6", echo, `ip6(src=2001:db8::2, dst=2001:db8::1)/icmp6(type=echo-reply, id=7, seq=1)`, NoAnswer},
		{"multicast query answered by anyone", `ip(src=198.51.100.2, dst=224.0.0.1)/icmp(id=1, seq=1)`,
			`ip(src=198.51.100.7, dst=198.51.100.2)/icmp(type=echo-reply, id=1, seq=1)`, Reply},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := rebuild(t, tt.sent)
			r := rebuild(t, tt.reply)
			if got := Answers(s, layers.LayerTypeIPv4, r, layers.LayerTypeIPv4); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestAnswersKernel matches the port unreachable the kernel sent for a
// UDP datagram (both captured on a loopback, in Ethernet frames).
func TestAnswersKernel(t *testing.T) {
	sent := mustHex(t, `0000 0000 0000 0000 0000 0000 0800 4500 001f bafb 4000 4011 81d0 7f00 0001 7f00
	0001 881a 0009 000b fe1e 6869 0a`)
	reply := mustHex(t, kernelPackets[3].hex)
	if got := Answers(sent, layers.LayerTypeEthernet, reply, layers.LayerTypeEthernet); got != ICMPError {
		t.Errorf("got %v, want %v", got, ICMPError)
	}
	if got := Answers(reply, layers.LayerTypeEthernet, sent, layers.LayerTypeEthernet); got != NoAnswer {
		t.Errorf("backwards: got %v, want %v", got, NoAnswer)
	}
}
