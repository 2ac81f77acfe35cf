package main

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/rawsock/rawsock/internal/netlab"
)

// snmp reads one counter of /proc/net/snmp in host h: proto is the line's
// name ("Tcp"), field the column ("OutRsts").
func snmp(t *testing.T, h *netlab.Host, proto, field string) int {
	t.Helper()
	var names []string
	for _, line := range strings.Split(h.MustRun("cat", "/proc/net/snmp"), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != proto+":" {
			continue
		}
		if names == nil {
			names = f
			continue
		}
		for i, name := range names {
			if name == field && i < len(f) {
				n, err := strconv.Atoi(f[i])
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
		}
	}
	t.Fatalf("no %s %s in /proc/net/snmp", proto, field)
	return 0
}

// Every packet a flood says it sent reaches the kernel it was sent to,
// whichever of the senders sent it: the kernel's own counters, read in
// the namespace, agree with the count the flood prints.
func TestLabFlood(t *testing.T) {
	h := netlab.Loopback(t)
	bin := netlab.Binary(t)
	for _, tt := range []struct {
		expr         string
		proto, field string
		count        int
	}{
		// The kernel answers each SYN to a closed port with an RST.
		{"ip(dst=127.0.0.1)/tcp(dport=9, flags=S)", "Tcp", "OutRsts", 20000},
		{"ip(dst=127.0.0.1)/icmp(type=echo-reply)", "Icmp", "InEchoReps", 20000},
		// Fifty ports, each packet to a closed one.
		{"ip(dst=127.0.0.1)/udp(sport=4000, dport=1-50)", "Udp", "NoPorts", 20000},
	} {
		t.Run(tt.expr, func(t *testing.T) {
			before := snmp(t, h, tt.proto, tt.field)
			code, out := sendIn(t, h, bin, "--flood", "-c", strconv.Itoa(tt.count), tt.expr)
			got := snmp(t, h, tt.proto, tt.field) - before
			if code != 0 || !strings.HasPrefix(out, fmt.Sprintf("sent %d packets in ", tt.count)) {
				t.Fatalf("status %d: %s", code, out)
			}
			if got != tt.count {
				t.Errorf("%s %s went up by %d, want %d", tt.proto, tt.field, got, tt.count)
			}
		})
	}
}

// A flood of ether() frames leaves through AF_PACKET and each reaches the
// other end of the link.
func TestLabFloodEther(t *testing.T) {
	a, b, bin := lab(t)
	mac := strings.TrimSpace(b.MustRun("cat", "/sys/class/net/eth0/address"))
	before := snmp(t, b, "Udp", "NoPorts")
	code, out := sendIn(t, a, bin, "-I", "eth0", "--flood", "-c", "5000",
		"ether(dst="+mac+")/ip(src=198.51.100.1, dst=198.51.100.2)/udp(sport=4000, dport=9)")
	if code != 0 || !strings.HasPrefix(out, "sent 5000 packets in ") {
		t.Fatalf("status %d: %s", code, out)
	}
	if got := snmp(t, b, "Udp", "NoPorts") - before; got != 5000 {
		t.Errorf("b's Udp NoPorts went up by %d, want 5000", got)
	}
}
