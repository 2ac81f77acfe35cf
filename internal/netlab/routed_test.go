package netlab_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/rawsock/rawsock/internal/netlab"
)

// TestRouted checks the routed lab with the system's own ping and
// traceroute: two forwarding hops (ttl 62 at the server), time exceeded
// from r1 at TTL 1, the path r1, r2, server in both families, and that
// every namespace is gone after the test.
func TestRouted(t *testing.T) {
	netlab.RequireTool(t, "ping")
	netlab.RequireTool(t, "traceroute")
	var names []string
	t.Run("lab", func(t *testing.T) {
		r := netlab.NewRouted(t)
		for _, h := range r.Hosts() {
			names = append(names, h.NS)
		}
		c := r.Client
		for _, tc := range []struct{ dst, ttlWord, r1 string }{
			{netlab.RoutedServer4, "ttl=62", netlab.RoutedR1In4},
			{netlab.RoutedServer6, "ttl=62", netlab.RoutedR1In6},
		} {
			out := c.MustRun("ping", "-c", "1", "-W", "5", tc.dst)
			if !strings.Contains(out, tc.ttlWord) {
				t.Errorf("ping %s: want %s in\n%s", tc.dst, tc.ttlWord, out)
			}
			out, _ = c.Run("ping", "-c", "1", "-W", "5", "-t", "1", tc.dst)
			if !strings.Contains(out, "From "+tc.r1+" icmp_seq=1 Time") {
				t.Errorf("ping -t 1 %s: want time exceeded from %s in\n%s", tc.dst, tc.r1, out)
			}
		}
		for _, tc := range []struct {
			dst  string
			hops []string
		}{
			{netlab.RoutedServer4, []string{netlab.RoutedR1In4, netlab.RoutedR2In4, netlab.RoutedServer4}},
			{netlab.RoutedServer6, []string{netlab.RoutedR1In6, netlab.RoutedR2In6, netlab.RoutedServer6}},
		} {
			if got := traceHops(t, c, tc.dst); strings.Join(got, " ") != strings.Join(tc.hops, " ") {
				t.Errorf("traceroute %s: got hops %v, want %v", tc.dst, got, tc.hops)
			}
		}
	})
	out := mustOutput(t, "ip", "netns", "list")
	for _, ns := range names {
		if strings.Contains(out, ns) {
			t.Errorf("namespace %s still exists after the test", ns)
		}
	}
}

// TestRoutedFaults checks each way of breaking the path against the
// system's traceroute: a silent hop, the three route kinds and a missing
// route.
func TestRoutedFaults(t *testing.T) {
	netlab.RequireTool(t, "traceroute")
	tests := []struct {
		name  string
		fault func(r *netlab.Routed)
		dst   string
		want  string // the last line of traceroute -n's output, as a regexp
	}{
		{"silent r2", func(r *netlab.Routed) { r.R2.Silence() }, netlab.RoutedServer4,
			`^ 3  203\.0\.113\.2 `},
		{"unreachable", func(r *netlab.Routed) { r.R2.RouteTo(netlab.Unreachable, netlab.RoutedServer4+"/32") }, netlab.RoutedServer4,
			`^ 2  192\.0\.2\.2  [0-9.]+ ms !H  [0-9.]+ ms !H  [0-9.]+ ms !H$`},
		{"prohibit", func(r *netlab.Routed) { r.R2.RouteTo(netlab.Prohibit, netlab.RoutedServer4+"/32") }, netlab.RoutedServer4,
			`^ 2  192\.0\.2\.2  [0-9.]+ ms !X  [0-9.]+ ms !X  [0-9.]+ ms !X$`},
		{"no route", func(r *netlab.Routed) { r.R1.Unroute("203.0.113.0/24") }, netlab.RoutedServer4,
			`^ 1  198\.51\.100\.1  [0-9.]+ ms !N  [0-9.]+ ms !N  [0-9.]+ ms !N$`},
		{"no route v6", func(r *netlab.Routed) { r.R1.Unroute("2001:db8:2::/64") }, netlab.RoutedServer6,
			`^ 1  2001:db8:1::1  [0-9.]+ ms !N  [0-9.]+ ms !N  [0-9.]+ ms !N$`},
		{"blackhole", func(r *netlab.Routed) { r.R2.RouteTo(netlab.Blackhole, netlab.RoutedServer4+"/32") }, netlab.RoutedServer4,
			`^ 3  \* \* \*$`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := netlab.NewRouted(t)
			tt.fault(r)
			out, _ := r.Client.Run("traceroute", "-n", "-q", "3", "-w", "1", "-m", "3", tt.dst)
			t.Logf("traceroute -n %s:\n%s", tt.dst, out)
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if last := lines[len(lines)-1]; !regexp.MustCompile(tt.want).MatchString(last) {
				t.Errorf("last line %q does not match %q", last, tt.want)
			}
			if tt.name == "silent r2" && !strings.Contains(out, "\n 2  * * *\n") {
				t.Errorf("hop 2 is not silent")
			}
		})
	}
}

var hopLine = regexp.MustCompile(`^ ?\d+  (\S+)  `)

// traceHops runs traceroute -n and returns the address of each hop.
func traceHops(t *testing.T, h *netlab.Host, dst string) []string {
	t.Helper()
	out := h.MustRun("traceroute", "-n", "-q", "1", "-w", "2", dst)
	var hops []string
	for _, line := range strings.Split(out, "\n") {
		if m := hopLine.FindStringSubmatch(line); m != nil {
			hops = append(hops, m[1])
		}
	}
	return hops
}
