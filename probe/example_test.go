package probe_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"time"

	"github.com/rawsock/rawsock/probe"
)

// Ping 127.0.0.1 three times, printing as iputils ping does. As root the
// socket is a raw one with a kernel filter; otherwise it is the ICMP
// datagram socket, if net.ipv4.ping_group_range allows it.
func Example() {
	dst := netip.MustParseAddr("127.0.0.1")
	conn, err := probe.OpenEcho(&probe.EchoOptions{Dst: dst})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close()
	cfg := &probe.PingConfig{Host: "127.0.0.1", Addr: dst, Count: 3, Interval: 200 * time.Millisecond, IntervalSet: true}
	stats, err := probe.Ping(context.Background(), conn, cfg, &probe.TextReporter{Out: os.Stdout, Err: os.Stderr})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("exit status", probe.ExitCode(cfg, stats))
}

// The statistics block iputils ping ends with, from counts and
// microseconds.
func ExampleStatsText() {
	s := &probe.PingStats{
		Host: "203.0.113.2", Transmitted: 3, Received: 2, Timing: true,
		Elapsed: 2002 * time.Millisecond, MinUS: 49, AvgUS: 53, MaxUS: 58, MdevUS: 4,
	}
	fmt.Print(probe.StatsText(s))
	// Output:
	//
	// --- 203.0.113.2 ping statistics ---
	// 3 packets transmitted, 2 received, 33.3333% packet loss, time 2002ms
	// rtt min/avg/max/mdev = 0.049/0.053/0.058/0.004 ms
}

// What ping and traceroute print for an ICMP error.
func ExampleICMPError() {
	for _, e := range []probe.ICMPError{
		{Type: 11, Code: 0},
		{Type: 3, Code: 1},
		{V6: true, Type: 1, Code: 0},
		{Type: 3, Code: 13},
	} {
		fmt.Printf("%q %q\n", e.String(), e.Mark())
	}
	// Output:
	// "Time to live exceeded" ""
	// "Destination Host Unreachable" "!H"
	// "Destination unreachable: No route" "!N"
	// "Packet filtered" "!X"
}

// Round-trip times as iputils rounds them.
func ExampleFormatRTT() {
	for _, us := range []int64{45, 1234, 12345, 123456} {
		fmt.Println(probe.FormatRTT(us), "ms")
	}
	// Output:
	// 0.045 ms
	// 1.23 ms
	// 12.3 ms
	// 123 ms
}
