package main

import (
	"encoding/json"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/rawsock/rawsock/internal/netlab"
	"github.com/rawsock/rawsock/probe"
)

// TestTracerouteBadInput checks the one-line errors and exit status 2;
// nothing is sent.
func TestTracerouteBadInput(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{}, "rawsock: traceroute: no destination: give a host"},
		{[]string{"-m", "300", "203.0.113.2"}, "rawsock: traceroute: max hops cannot be more than 255"},
		{[]string{"-f", "0", "203.0.113.2"}, "rawsock: traceroute: first hop out of range"},
		{[]string{"-f", "5", "-m", "3", "203.0.113.2"}, "rawsock: traceroute: first hop out of range"},
		{[]string{"-q", "11", "203.0.113.2"}, "rawsock: traceroute: no more than 10 probes per hop"},
		{[]string{"-q", "0", "203.0.113.2"}, "rawsock: traceroute: no more than 10 probes per hop"},
		{[]string{"-w", "abc", "203.0.113.2"}, "rawsock: traceroute: cannot handle -w option with arg abc: use MAX[,HERE,NEAR] in seconds"},
		{[]string{"-m", "x", "203.0.113.2"}, "rawsock: traceroute: cannot handle -m option with arg x: give a whole number"},
		{[]string{"-p", "70000", "203.0.113.2"}, "rawsock: traceroute: cannot handle -p option with arg 70000: use 1-65535"},
		{[]string{"-I", "-T", "203.0.113.2"}, "rawsock: traceroute: only one of -I, -T and -U may be given"},
		{[]string{"-4", "-6", "203.0.113.2"}, "rawsock: traceroute: only one of -4 and -6 may be given"},
		{[]string{"nosuch.example"}, "rawsock: traceroute: nosuch.example: Name or service not known"},
		{[]string{"203.0.113.2", "60", "x"}, "rawsock: traceroute: too many arguments: give HOST [PACKETLEN]"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			withProbeFakes(t, true)
			code, stdout, stderr := runCLI(t, "", append([]string{"traceroute"}, tt.args...)...)
			if code != 2 || stdout != "" || stderr != tt.want+"\n" {
				t.Errorf("got status %d, stdout %q, stderr %q; want 2, nothing, %q", code, stdout, stderr, tt.want)
			}
		})
	}
}

var traceTimeRE = regexp.MustCompile(`  [0-9]+\.[0-9]+ ms`)

// traceBoth runs traceroute(8) and rawsock traceroute with the same
// arguments, in theirs and ours, and returns both outputs with the times
// blanked.
func traceBoth(t *testing.T, theirs, ours *netlab.Host, args ...string) (string, string) {
	t.Helper()
	bin := netlab.Binary(t)
	run := func(h *netlab.Host, argv ...string) string {
		out, err := h.Run(append([]string{"timeout", "60"}, argv...)...)
		if err != nil {
			t.Fatalf("%v", err)
		}
		return traceTimeRE.ReplaceAllString(out, "  T ms")
	}
	return run(theirs, append([]string{"traceroute"}, args...)...), run(ours, append([]string{bin, "traceroute"}, args...)...)
}

var hopRE = regexp.MustCompile(`(?m)^ ?\d+  (\S+)  `)

// TestTracerouteAgainstTraceroute traces the routed lab in all three
// modes and both families, and through a silent hop and unreachable
// routes, with traceroute(8) and with rawsock: the same lines, times
// apart, and the path r1, r2, server.
func TestTracerouteAgainstTraceroute(t *testing.T) {
	netlab.RequireTool(t, "traceroute")
	shared := netlab.NewRouted(t)
	path4 := []string{netlab.RoutedR1In4, netlab.RoutedR2In4, netlab.RoutedServer4}
	path6 := []string{netlab.RoutedR1In6, netlab.RoutedR2In6, netlab.RoutedServer6}
	tests := []struct {
		name  string
		setup func(r *netlab.Routed)
		args  []string
		hops  []string // the hops rawsock must list
		last  string   // the last line rawsock must print
	}{
		{"udp", nil, []string{"-n", "-w", "2", netlab.RoutedServer4}, path4, ""},
		{"udp v6", nil, []string{"-n", "-w", "2", netlab.RoutedServer6}, path6, ""},
		{"icmp", nil, []string{"-n", "-I", "-w", "2", netlab.RoutedServer4}, path4, ""},
		{"icmp v6", nil, []string{"-n", "-I", "-w", "2", netlab.RoutedServer6}, path6, ""},
		{"tcp", nil, []string{"-n", "-T", "-p", "80", "-w", "2", netlab.RoutedServer4}, path4, ""},
		{"tcp v6", nil, []string{"-n", "-T", "-p", "80", "-w", "2", netlab.RoutedServer6}, path6, ""},
		{"first and max hops", nil, []string{"-n", "-f", "2", "-m", "2", "-q", "1", netlab.RoutedServer4}, path4[1:2], ""},
		{"silent hop", func(r *netlab.Routed) { r.R2.Silence() }, []string{"-n", "-w", "1", netlab.RoutedServer4},
			[]string{netlab.RoutedR1In4, netlab.RoutedServer4}, " 3  203.0.113.2  T ms  T ms  T ms"},
		{"host unreachable", func(r *netlab.Routed) { r.R2.RouteTo(netlab.Unreachable, netlab.RoutedServer4+"/32") },
			[]string{"-n", "-w", "1", netlab.RoutedServer4}, nil, " 2  192.0.2.2  T ms !H  T ms !H  T ms !H"},
		{"prohibited", func(r *netlab.Routed) { r.R2.RouteTo(netlab.Prohibit, netlab.RoutedServer4+"/32") },
			[]string{"-n", "-I", "-w", "1", netlab.RoutedServer4}, nil, " 2  192.0.2.2  T ms !X  T ms !X  T ms !X"},
		{"no route", func(r *netlab.Routed) { r.R1.Unroute("203.0.113.0/24") },
			[]string{"-n", "-T", "-w", "1", netlab.RoutedServer4}, nil, " 1  198.51.100.1  T ms !N  T ms !N  T ms !N"},
		{"no route v6", func(r *netlab.Routed) { r.R1.Unroute("2001:db8:2::/64") },
			[]string{"-n", "-w", "1", netlab.RoutedServer6}, nil, " 1  2001:db8:1::1  T ms !N  T ms !N  T ms !N"},
		{"prohibited v6", func(r *netlab.Routed) { r.R2.RouteTo(netlab.Prohibit, netlab.RoutedServer6+"/128") },
			[]string{"-n", "-w", "1", netlab.RoutedServer6}, nil, " 2  2001:db8:12::2  T ms !X  T ms !X  T ms !X"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A router answers from an unreachable route, or for want of
			// one, at most five times in a burst and then once a second
			// (net.ipv4.route.error_cost and error_burst, which only the
			// host's own namespace may change): each tool gets a lab of
			// its own then.
			a, b := shared, shared
			if tt.setup != nil {
				a, b = netlab.NewRouted(t), netlab.NewRouted(t)
				tt.setup(a)
				tt.setup(b)
			}
			theirs, ours := traceBoth(t, a.Client, b.Client, tt.args...)
			if theirs != ours {
				t.Errorf("traceroute %s: output differs\ntraceroute(8):\n%s\nrawsock:\n%s", strings.Join(tt.args, " "), theirs, ours)
			}
			if tt.hops != nil {
				var got []string
				for _, m := range hopRE.FindAllStringSubmatch(ours, -1) {
					got = append(got, m[1])
				}
				if strings.Join(got, " ") != strings.Join(tt.hops, " ") {
					t.Errorf("got hops %v, want %v:\n%s", got, tt.hops, ours)
				}
			}
			if tt.last != "" {
				lines := strings.Split(strings.TrimSpace(ours), "\n")
				if got := lines[len(lines)-1]; got != tt.last {
					t.Errorf("last line: got %q, want %q", got, tt.last)
				}
			}
		})
	}
}

// TestTracerouteUnprivileged traces as nobody: UDP needs nothing, TCP
// says which capability it needs.
func TestTracerouteUnprivileged(t *testing.T) {
	netlab.RequireTool(t, "setpriv")
	r := netlab.NewRouted(t)
	bin := netlab.Binary(t)
	nobody := []string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"}
	out := r.Client.MustRun(append(nobody, bin, "traceroute", "-n", "-q", "1", netlab.RoutedServer4)...)
	if !strings.Contains(out, "\n 3  203.0.113.2  ") {
		t.Errorf("udp as nobody did not reach the server:\n%s", out)
	}
	cmd := r.Client.Command(nobody[0], append(append(nobody[1:], bin), "traceroute", "-T", "-n", netlab.RoutedServer4)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(stderr.String(), "needs CAP_NET_RAW") {
		t.Errorf("tcp as nobody: got %v, %q; want exit status 2 naming CAP_NET_RAW", err, stderr.String())
	}
}

// TestTracerouteJSON reads rawsock traceroute --json across the lab.
func TestTracerouteJSON(t *testing.T) {
	r := netlab.NewRouted(t)
	out := r.Client.MustRun(netlab.Binary(t), "traceroute", "--json", "-n", "-q", "2", netlab.RoutedServer6)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 {
		t.Fatalf("got %d lines, want 3 hops and a summary:\n%s", len(lines), out)
	}
	var hop probe.JSONHop
	var sum probe.JSONTraceSummary
	if err := json.Unmarshal([]byte(lines[1]), &hop); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[3]), &sum); err != nil {
		t.Fatal(err)
	}
	if hop.Hop != 2 || len(hop.Probes) != 2 || hop.Probes[1].Addr != netlab.RoutedR2In6 || hop.Probes[1].TimeMS == nil {
		t.Errorf("hop 2: got %+v", hop)
	}
	if !sum.Reached || sum.Hops != 3 || sum.Addr != netlab.RoutedServer6 {
		t.Errorf("summary: got %+v", sum)
	}
}
