package csum_test

import (
	"fmt"
	"net/netip"

	"github.com/rawsock/rawsock/internal/csum"
)

// The checksum of a UDP datagram covers an IPv4 pseudo-header: sum it with
// Pseudo, add the datagram (its checksum field zero) and fold once. Scapy
// gives the same 0x9b16 for IP(src=…, dst=…)/UDP(sport=5000, dport=33434)/"hi".
func Example() {
	src, dst := netip.MustParseAddr("198.51.100.1"), netip.MustParseAddr("203.0.113.2")
	udp := []byte{0x13, 0x88, 0x82, 0x9a, 0x00, 0x0a, 0x00, 0x00, 'h', 'i'}
	sum := csum.Fold(csum.Sum(udp, csum.Pseudo(src, dst, 17, len(udp))))
	fmt.Printf("%#04x\n", sum)
	udp[6], udp[7] = byte(sum>>8), byte(sum)
	fmt.Println(csum.Fold(csum.Sum(udp, csum.Pseudo(src, dst, 17, len(udp)))) == 0)
	// Output:
	// 0x9b16
	// true
}
