//go:build scanfixtures

package scan

// This file regenerates the packet fixtures of packet_test.go: it scans a
// lab target with the fixed key of testCodec and prints, as tcpdump -X
// shows them, the probes sent and every answer. Run it as root with
//
//	go test -tags scanfixtures -run TestMakeFixtures -v ./probe/scan

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/rawsock/rawsock/internal/netlab"
)

func TestMakeFixtures(t *testing.T) {
	a, b := netlab.Pair(t)
	labTarget(t, b)
	for _, tc := range []struct {
		m      Method
		target string
		ports  []uint16
	}{
		{SYN, "198.51.100.2", []uint16{22, 81, 8443}},
		{UDP, "198.51.100.2", []uint16{53, 54, 5001}},
		{SYN, "2001:db8::2", []uint16{22, 81, 8443}},
		{UDP, "2001:db8::2", []uint16{53, 54, 5001}},
	} {
		var out bytes.Buffer
		dump := a.Command("tcpdump", "-i", "eth0", "-n", "-U", "-X", "-vv", "host", tc.target)
		dump.Stdout, dump.Stderr = &out, &out
		a.Start(dump)
		time.Sleep(time.Second)
		var p *rawProber
		a.MustDo(func() (err error) {
			p, err = openRaw(tc.m, netip.MustParseAddr(tc.target), testKey)
			return err
		})
		for _, port := range tc.ports {
			if err := p.Probe(port); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(time.Second)
		p.Close()
		dump.Process.Signal(os.Interrupt)
		dump.Wait()
		fmt.Printf("==== %v %s\n%s\n", tc.m, tc.target, out.String())
	}
}
