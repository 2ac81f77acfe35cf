package filter_test

import (
	"encoding/hex"
	"fmt"
	"os"

	"github.com/gopacket/gopacket/layers"

	"github.com/rawsock/rawsock/capture/filter"
)

// Compile a filter, print it as tcpdump -d does, and run it over a frame.
func Example() {
	prog, err := filter.Compile("tcp dst port 80 and tcp[tcpflags] & tcp-syn != 0", layers.LinkTypeEthernet, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	filter.Dump(os.Stdout, prog, filter.Assembly)

	m, err := filter.NewMatcher(prog)
	if err != nil {
		fmt.Println(err)
		return
	}
	// 02:00:00:00:00:01 > 02:00:00:00:00:02, IPv4, 198.51.100.2.40000 >
	// 203.0.113.2.80: Flags [S], seq 1, win 64240, length 0
	frame, _ := hex.DecodeString("020000000002020000000001080045000028000100004006" +
		"1497c6336402cb0071029c40005000000001000000005002faf06e500000")
	fmt.Println("SYN to port 80:", m.Match(frame, len(frame)))

	// An error names the token and its column.
	_, err = filter.Compile("tcp dst port 80 and host example.com", layers.LinkTypeEthernet, 0)
	fmt.Println(err)
	// Output:
	// (000) ldh      [12]
	// (001) jeq      #0x86dd          jt 13	jf 2
	// (002) jeq      #0x800           jt 3	jf 13
	// (003) ldb      [23]
	// (004) jeq      #0x6             jt 5	jf 13
	// (005) ldh      [20]
	// (006) jset     #0x1fff          jt 13	jf 7
	// (007) ldxb     4*([14]&0xf)
	// (008) ldh      [x + 16]
	// (009) jeq      #0x50            jt 10	jf 13
	// (010) ldb      [x + 27]
	// (011) jset     #0x2             jt 12	jf 13
	// (012) ret      #262144
	// (013) ret      #0
	// SYN to port 80: true
	// column 26, "example.com": "example.com" is not an address, and rawsock does not look up host names: write the address
}

// Programs printed by tcpdump -ddd (or Dump with Decimal) compile back.
func ExampleParseDecimal() {
	prog, err := filter.ParseDecimal("4\n40 0 0 12\n21 0 1 2054\n6 0 0 262144\n6 0 0 0\n")
	if err != nil {
		fmt.Println(err)
		return
	}
	filter.Dump(os.Stdout, prog, filter.Assembly)
	// Output:
	// (000) ldh      [12]
	// (001) jeq      #0x806           jt 2	jf 3
	// (002) ret      #262144
	// (003) ret      #0
}
