package scan_test

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/rawsock/rawsock/probe/scan"
)

// quietHost is a Prober standing in for a host where port 22 is open, 23
// closed, and every other port dropped by a firewall.
type quietHost struct{ replies chan scan.Reply }

func (h quietHost) Probe(port uint16) error {
	switch port {
	case 22:
		h.replies <- scan.Reply{Port: port, State: scan.Open, Reason: scan.ReasonSynAck}
	case 23:
		h.replies <- scan.Reply{Port: port, State: scan.Closed, Reason: scan.ReasonReset}
	}
	return nil
}

func (h quietHost) Replies() <-chan scan.Reply { return h.replies }
func (h quietHost) Close() error               { return nil }

// Run with a Prober of one's own: the real ones come from NewProber (raw
// sockets for SYN and UDP scans, connect(2) for Connect).
func Example() {
	ports, err := scan.ParsePorts("21-23")
	if err != nil {
		panic(err)
	}
	report, err := scan.Run(context.Background(), &scan.Config{
		Target:  netip.MustParseAddr("192.0.2.1"),
		Ports:   ports,
		Method:  scan.SYN,
		Prober:  quietHost{make(chan scan.Reply, len(ports))},
		Retries: 1,
		Timeout: 10 * time.Millisecond,
	})
	if err != nil {
		panic(err)
	}
	for _, r := range report.Results {
		fmt.Printf("%d/tcp %s %s (%d probes)\n", r.Port, r.State, r.Reason, r.Probes)
	}
	// Output:
	// 21/tcp filtered no-response (2 probes)
	// 22/tcp open syn-ack (1 probes)
	// 23/tcp closed reset (1 probes)
}

func ExampleParsePorts() {
	ports, err := scan.ParsePorts("22,80,8000-8002")
	fmt.Println(ports, err)
	_, err = scan.ParsePorts("90-80")
	fmt.Println(err)
	// Output:
	// [22 80 8000 8001 8002] <nil>
	// reversed port range "90-80": write it low to high, 80-90
}
