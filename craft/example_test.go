package craft_test

import (
	"fmt"
	"net/netip"

	"github.com/gopacket/gopacket/layers"
	"github.com/rawsock/rawsock/craft"
)

// Parse an expression once, then build each packet it expands into.
func Example() {
	t, err := craft.Parse(`ip(src=198.51.100.2, dst=203.0.113.2, id=1)/tcp(sport=40000, dport=22-23, seq=1)`)
	if err != nil {
		fmt.Println(err)
		return
	}
	b, err := craft.NewBuilder(t, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for b.Next() {
		fmt.Printf("%x\n", b.Bytes())
	}
	// Output:
	// 450000280001000040061497c6336402cb0071029c4000160000000100000000500220008d520000
	// 450000280001000040061497c6336402cb0071029c4000170000000100000000500220008d510000
}

// A mistake says where it is.
func ExampleParse_error() {
	_, err := craft.Parse(`ip(tll=3)/icmp()`)
	fmt.Println(err)
	// Output:
	// unknown field "tll" in ip() at column 4; did you mean "ttl"?
}

// Layer values make a packet without an expression.
func ExampleStack() {
	s := craft.Stack{
		&craft.IPv4{Version: 4, TTL: 64, ID: 1,
			Src: netip.MustParseAddr("198.51.100.2"), Dst: netip.MustParseAddr("203.0.113.2")},
		&craft.ICMPv4{Type: craft.ICMPEchoRequest, ID: 7, Seq: 1},
	}
	b, err := s.Bytes()
	fmt.Printf("%x %v\n", b, err)
	// Output:
	// 4500001c00010000400114a8c6336402cb0071020800f7f700070001 <nil>
}

// Expr writes a packet back as the expression that rebuilds it.
func ExampleExpr() {
	b, _ := craft.Stack{
		&craft.IPv4{Version: 4, TTL: 1, ID: 9,
			Src: netip.MustParseAddr("198.51.100.2"), Dst: netip.MustParseAddr("203.0.113.2")},
		&craft.UDP{SrcPort: 5000, DstPort: 33434},
	}.Bytes()
	s, err := craft.Expr(b, layers.LayerTypeIPv4)
	fmt.Println(s, err)
	// Output:
	// ip(id=9, ttl=1, src=198.51.100.2, dst=203.0.113.2)/udp(sport=5000, dport=33434) <nil>
}
