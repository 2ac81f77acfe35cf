package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/rawsock/rawsock/internal/netlab"
	"github.com/rawsock/rawsock/probe"
)

// fakeResolver knows a few names and no addresses' names, so that no
// test lookup leaves the machine.
type fakeResolver map[string][]netip.Addr

func (r fakeResolver) LookupNetIP(_ context.Context, network, host string) ([]netip.Addr, error) {
	addrs, ok := r[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return addrs, nil
}

func (r fakeResolver) LookupAddr(context.Context, string) ([]string, error) {
	return nil, &net.DNSError{Err: "no such host", IsNotFound: true}
}

// withProbeFakes replaces the resolver and the root check for one test.
func withProbeFakes(t *testing.T, root bool) {
	t.Helper()
	oldR, oldRoot := resolver, isRoot
	resolver = fakeResolver{"server.example": {netip.MustParseAddr("203.0.113.2")}}
	isRoot = func() bool { return root }
	t.Cleanup(func() { resolver, isRoot = oldR, oldRoot })
}

// TestPingBadInput checks iputils' one-line errors and exit status 2 for
// a bad command line; nothing is sent.
func TestPingBadInput(t *testing.T) {
	tests := []struct {
		args []string
		root bool
		want string
	}{
		{[]string{}, false, "rawsock: ping: usage error: Destination address required"},
		{[]string{"-c", "abc", "203.0.113.2"}, false, "rawsock: ping: invalid argument: 'abc'"},
		{[]string{"-c", "0", "203.0.113.2"}, false, "rawsock: ping: invalid argument: '0': out of range: 1 <= value <= 9223372036854775807"},
		{[]string{"-i", "abc", "203.0.113.2"}, false, "rawsock: ping: bad timing interval: abc"},
		{[]string{"-i", "-1", "203.0.113.2"}, false, "rawsock: ping: bad timing interval: -1"},
		{[]string{"-i", "3000000", "203.0.113.2"}, false, "rawsock: ping: bad timing interval: 3000000"},
		{[]string{"-i", "0.001", "203.0.113.2"}, false, "rawsock: ping: cannot flood; minimal interval allowed for user is 2ms"},
		{[]string{"-f", "203.0.113.2"}, false, "rawsock: ping: cannot flood; minimal interval allowed for user is 2ms"},
		{[]string{"-l", "5", "203.0.113.2"}, false, "rawsock: ping: cannot set preload to value greater than 3: 5"},
		{[]string{"-l", "0", "203.0.113.2"}, true, "rawsock: ping: invalid argument: '0': out of range: 1 <= value <= 65536"},
		{[]string{"-t", "300", "203.0.113.2"}, true, "rawsock: ping: invalid argument: '300': out of range: 0 <= value <= 255"},
		{[]string{"-s", "-1", "203.0.113.2"}, true, "rawsock: ping: invalid argument: '-1': out of range: 0 <= value <= 65507"},
		{[]string{"-W", "0", "203.0.113.2"}, true, "rawsock: ping: bad linger time: 0"},
		{[]string{"-w", "x", "203.0.113.2"}, true, "rawsock: ping: invalid argument: 'x'"},
		{[]string{"-M", "xx", "203.0.113.2"}, true, "rawsock: ping: invalid -M argument: xx"},
		{[]string{"-Q", "zz", "203.0.113.2"}, true, "rawsock: ping: bad TOS value: zz"},
		{[]string{"-Q", "300", "203.0.113.2"}, true, "rawsock: ping: the decimal value of TOS bits must be in range 0-255: 300"},
		{[]string{"-p", "zz", "203.0.113.2"}, true, "rawsock: ping: patterns must be specified as hex digits: zz"},
		{[]string{"-4", "-6", "203.0.113.2"}, true, "rawsock: ping: only one -4 or -6 option may be specified"},
		{[]string{"-c", "1", "nosuch.example"}, true, "rawsock: ping: nosuch.example: Name or service not known"},
		{[]string{"-6", "-c", "1", "server.example"}, true, "rawsock: ping: server.example: Address family for hostname not supported"},
		{[]string{"-c", "1", "203.0.113.2", "198.51.100.1"}, true, "rawsock: ping: takes one destination, got 2: 203.0.113.2 198.51.100.1"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			withProbeFakes(t, tt.root)
			code, stdout, stderr := runCLI(t, "", append([]string{"ping"}, tt.args...)...)
			if code != 2 || stdout != "" || stderr != tt.want+"\n" {
				t.Errorf("got status %d, stdout %q, stderr %q; want 2, nothing, %q", code, stdout, stderr, tt.want)
			}
		})
	}
}

var (
	timesRE = regexp.MustCompile(`time[= ][0-9.]+ ?ms|= [0-9./]+ ms|ipg/ewma [0-9./]+ ms`)
	stampRE = regexp.MustCompile(`^\[[0-9.]+\] `)
)

// normalize blanks what differs between two runs of the same ping: the
// times.
func normalize(out string) string {
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		l = stampRE.ReplaceAllString(l, "[T] ")
		lines[i] = timesRE.ReplaceAllStringFunc(l, func(s string) string {
			switch {
			case strings.HasPrefix(s, "time="):
				return "time=T ms"
			case strings.HasPrefix(s, "time "):
				return "time Tms"
			case strings.HasPrefix(s, "ipg"):
				return "ipg/ewma T ms"
			}
			return "= T ms"
		})
	}
	return strings.Join(lines, "\n")
}

// runBoth runs iputils ping and rawsock ping with the same arguments in h
// and returns their outputs and exit statuses.
func runBoth(t *testing.T, h *netlab.Host, prefix []string, args ...string) (iputils, ours string, iputilsCode, ourCode int) {
	t.Helper()
	bin := netlab.Binary(t)
	run := func(argv ...string) (string, int) {
		cmd := h.Command("timeout", append([]string{"60"}, argv...)...)
		var out strings.Builder
		cmd.Stdout = &out
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return out.String(), code
	}
	iputils, iputilsCode = run(append(append(append([]string{}, prefix...), "ping"), args...)...)
	ours, ourCode = run(append(append(append([]string{}, prefix...), bin, "ping"), args...)...)
	return iputils, ours, iputilsCode, ourCode
}

// TestPingAgainstIputils runs the same pings with iputils ping and with
// rawsock in the routed lab and wants the same output, times apart, and
// the same exit status.
func TestPingAgainstIputils(t *testing.T) {
	netlab.RequireTool(t, "ping")
	tests := []struct {
		name  string
		setup func(r *netlab.Routed)
		args  []string
		want  []string // lines rawsock's output must contain, beyond matching iputils
	}{
		{"across both routers", nil, []string{"-c", "3", "-i", "0.2", netlab.RoutedServer4},
			[]string{"64 bytes from 203.0.113.2: icmp_seq=3 ttl=62 time=T ms", "3 packets transmitted, 3 received, 0% packet loss, time Tms"}},
		{"across both routers v6", nil, []string{"-c", "3", "-i", "0.2", netlab.RoutedServer6},
			[]string{"PING 2001:db8:2::2(2001:db8:2::2) 56 data bytes", "64 bytes from 2001:db8:2::2: icmp_seq=1 ttl=62 time=T ms"}},
		{"ttl 1", nil, []string{"-c", "2", "-i", "0.2", "-t", "1", netlab.RoutedServer4},
			[]string{"From 198.51.100.1 icmp_seq=1 Time to live exceeded", "2 packets transmitted, 0 received, +2 errors, 100% packet loss, time Tms"}},
		{"ttl 1 v6", nil, []string{"-c", "2", "-i", "0.2", "-t", "1", netlab.RoutedServer6},
			[]string{"From 2001:db8:1::1 icmp_seq=2 Time exceeded: Hop limit"}},
		{"ttl 2", nil, []string{"-c", "1", "-t", "2", netlab.RoutedServer4},
			[]string{"From 192.0.2.2 icmp_seq=1 Time to live exceeded"}},
		{"unreachable route", func(r *netlab.Routed) { r.R2.RouteTo(netlab.Unreachable, netlab.RoutedServer4+"/32") },
			[]string{"-c", "2", "-i", "0.2", netlab.RoutedServer4}, []string{"From 192.0.2.2 icmp_seq=1 Destination Host Unreachable"}},
		{"prohibit route", func(r *netlab.Routed) { r.R2.RouteTo(netlab.Prohibit, netlab.RoutedServer4+"/32") },
			[]string{"-c", "1", netlab.RoutedServer4}, []string{"From 192.0.2.2 icmp_seq=1 Packet filtered"}},
		{"no route v6", func(r *netlab.Routed) { r.R1.Unroute("2001:db8:2::/64") },
			[]string{"-c", "1", netlab.RoutedServer6}, []string{"From 2001:db8:1::1 icmp_seq=1 Destination unreachable: No route"}},
		{"neighbour never answers", func(r *netlab.Routed) {
			r.Client.Sysctl("net.ipv4.neigh.eth0.mcast_solicit", "1")
			r.Client.Sysctl("net.ipv4.neigh.eth0.retrans_time_ms", "100")
		}, []string{"-c", "2", "-i", "0.3", "198.51.100.99"}, []string{"From 198.51.100.2 icmp_seq=1 Destination Host Unreachable"}},
		{"lost request", func(r *netlab.Routed) {
			nft(t, r.Server, "add table inet t", "add chain inet t in { type filter hook input priority 0 ; }",
				"add rule inet t in icmp type echo-request icmp sequence 2 drop")
		}, []string{"-c", "3", "-i", "0.2", "-W", "1", netlab.RoutedServer4}, []string{"3 packets transmitted, 2 received, 33.3333% packet loss, time Tms"}},
		{"duplicate", func(r *netlab.Routed) {
			nft(t, r.Server, "add table ip t", "add chain ip t out { type filter hook output priority 0 ; }",
				"add rule ip t out icmp type echo-reply icmp sequence 1 dup to "+netlab.RoutedR2Out4+" device eth0")
		}, []string{"-c", "2", "-i", "0.2", netlab.RoutedServer4}, []string{"64 bytes from 203.0.113.2: icmp_seq=1 ttl=62 time=T ms (DUP!)", "2 packets transmitted, 2 received, +1 duplicates, 0% packet loss, time Tms"}},
		{"quiet", nil, []string{"-q", "-c", "2", "-i", "0.2", netlab.RoutedServer4}, nil},
		{"small", nil, []string{"-c", "1", "-s", "4", netlab.RoutedServer4}, []string{"12 bytes from 203.0.113.2: icmp_seq=1 ttl=62"}},
		{"pattern and timestamps", nil, []string{"-c", "1", "-p", "ab", "-D", netlab.RoutedServer4}, []string{"PATTERN: 0xab"}},
		{"interface", nil, []string{"-c", "1", "-I", "eth0", netlab.RoutedServer4}, []string{"PING 203.0.113.2 (203.0.113.2) from 198.51.100.2 eth0: 56(84) bytes of data."}},
		{"source address", nil, []string{"-c", "1", "-I", netlab.RoutedClient4, netlab.RoutedServer4}, nil},
		{"flood", nil, []string{"-f", "-c", "50", netlab.RoutedServer4}, nil},
		{"preload", nil, []string{"-l", "3", "-c", "3", netlab.RoutedServer4}, []string{"pipe 3"}},
		{"deadline", nil, []string{"-w", "1", "-c", "3", "203.0.113.77"}, []string{"1 packets transmitted, 0 received, 100% packet loss, time Tms"}},
		{"too big with DF", nil, []string{"-c", "1", "-W", "1", "-s", "2000", "-M", "do", netlab.RoutedServer4}, []string{"1 packets transmitted, 0 received, +1 errors, 100% packet loss, time Tms"}},
	}
	shared := netlab.NewRouted(t) // for the cases that change nothing in the lab
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := shared
			if tt.setup != nil {
				r = netlab.NewRouted(t)
				tt.setup(r)
			}
			iputils, ours, ic, oc := runBoth(t, r.Client, nil, tt.args...)
			ni, no := normalize(iputils), normalize(ours)
			if tt.name == "flood" {
				// The dots and backspaces interleave by timing.
				ni, no = strings.ReplaceAll(ni, ".\b \b", ""), strings.ReplaceAll(no, ".\b \b", "")
			}
			if ni != no {
				t.Errorf("ping %s: output differs from iputils'\niputils:\n%s\nrawsock:\n%s", strings.Join(tt.args, " "), iputils, ours)
			}
			if ic != oc {
				t.Errorf("exit status: iputils %d, rawsock %d", ic, oc)
			}
			for _, w := range tt.want {
				if !strings.Contains(no, w) {
					t.Errorf("rawsock's output lacks %q:\n%s", w, ours)
				}
			}
		})
	}
}

// nft runs nftables commands in h.
func nft(t *testing.T, h *netlab.Host, cmds ...string) {
	t.Helper()
	netlab.RequireTool(t, "nft")
	h.MustRun("nft", strings.Join(cmds, " ; "))
}

// TestPingUnprivileged runs rawsock ping as nobody, with no capability:
// the ICMP datagram socket works when net.ipv4.ping_group_range allows
// nobody's group, and the error says what to change when it does not.
func TestPingUnprivileged(t *testing.T) {
	netlab.RequireTool(t, "setpriv")
	r := netlab.NewRouted(t)
	bin := netlab.Binary(t)
	nobody := []string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"}

	r.Client.Sysctl("net.ipv4.ping_group_range", "0 2147483647")
	for _, dst := range []string{netlab.RoutedServer4, netlab.RoutedServer6} {
		iputils, ours, ic, oc := runBoth(t, r.Client, nobody, "-c", "2", "-i", "0.2", dst)
		if normalize(iputils) != normalize(ours) || ic != 0 || oc != 0 {
			t.Errorf("as nobody, ping %s: got status %d\n%s\nwant as iputils (%d):\n%s", dst, oc, ours, ic, iputils)
		}
		out, err := r.Client.Run(append(nobody, bin, "ping", "-v", "-c", "1", dst)...)
		if err != nil || !strings.Contains(out, "using an ICMP datagram socket (SOCK_DGRAM)") {
			t.Errorf("-v as nobody does not name the datagram socket (%v):\n%s", err, out)
		}
	}
	out, _ := r.Client.Run(append(nobody, bin, "ping", "-i", "0.001", "-c", "1", netlab.RoutedServer4)...)
	if want := "rawsock: ping: cannot flood; minimal interval allowed for user is 2ms\n"; out != want {
		t.Errorf("too short an interval as nobody: got %q, want %q", out, want)
	}

	r.Client.Sysctl("net.ipv4.ping_group_range", "1 0")
	argv := append(nobody, bin, "ping", "-c", "1", netlab.RoutedServer4)
	cmd := r.Client.Command(argv[0], argv[1:]...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 2 {
		t.Fatalf("not allowed: got %v, want exit status 2", err)
	}
	msg := stderr.String()
	for _, want := range []string{"net.ipv4.ping_group_range", "CAP_NET_RAW", "sysctl -w", "setcap"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error does not mention %s: %q", want, msg)
		}
	}
	if strings.Count(msg, "\n") != 1 {
		t.Errorf("the error is not one line: %q", msg)
	}
}

// TestPingBroadcast wants -b for a broadcast address, like iputils.
func TestPingBroadcast(t *testing.T) {
	r := netlab.NewRouted(t)
	bin := netlab.Binary(t)
	out, err := r.Client.Run(bin, "ping", "-c", "1", "198.51.100.255")
	if want := "rawsock: ping: Do you want to ping broadcast? Then -b. If not, check your local firewall rules\n"; err == nil || out != want {
		t.Errorf("without -b: got %q (%v), want %q", out, err, want)
	}
	iputils, _ := r.Client.Run("ping", "-c", "1", "198.51.100.255")
	if !strings.Contains(iputils, strings.TrimPrefix(strings.TrimSpace(out), "rawsock: ")) {
		t.Errorf("iputils says otherwise: %q", iputils)
	}
	out, _ = r.Client.Run(bin, "ping", "-b", "-c", "1", "-W", "1", "198.51.100.255")
	if !strings.HasPrefix(out, "WARNING: pinging broadcast address\n") {
		t.Errorf("with -b: got %q", out)
	}
}

// TestPingJSON reads rawsock ping --json across the lab.
func TestPingJSON(t *testing.T) {
	r := netlab.NewRouted(t)
	out := r.Client.MustRun(netlab.Binary(t), "ping", "--json", "-c", "2", "-i", "0.2", netlab.RoutedServer4)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want 3:\n%s", len(lines), out)
	}
	var rep probe.JSONReply
	var sum probe.JSONSummary
	if err := json.Unmarshal([]byte(lines[1]), &rep); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[2]), &sum); err != nil {
		t.Fatal(err)
	}
	if rep.Type != "reply" || rep.Seq != 2 || rep.TTL == nil || *rep.TTL != 62 || rep.TimeMS == nil || *rep.TimeMS <= 0 {
		t.Errorf("reply: got %+v", rep)
	}
	if sum.Type != "summary" || sum.Transmitted != 2 || sum.Received != 2 || sum.MinMS == nil {
		t.Errorf("summary: got %+v", sum)
	}
}

// TestPingSignals sends SIGQUIT to a running rawsock ping, which prints
// the running statistics on stderr and goes on, then SIGINT, which ends
// it with the statistics block and status 0, as iputils does.
func TestPingSignals(t *testing.T) {
	r := netlab.NewRouted(t)
	cmd := r.Client.Command(netlab.Binary(t), "ping", "-i", "0.2", "-c", "100", netlab.RoutedServer4)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	r.Client.Start(cmd)
	// ip netns exec runs rawsock as its own child: signal rawsock itself.
	lines := bufio.NewScanner(stdout)
	var out strings.Builder
	for lines.Scan() && !strings.Contains(lines.Text(), "icmp_seq=2 ") {
		out.WriteString(lines.Text() + "\n")
	}
	pid := rawsockPID(t, r.Client)
	syscall.Kill(pid, syscall.SIGQUIT)
	for lines.Scan() && !strings.Contains(lines.Text(), "icmp_seq=4 ") {
	}
	syscall.Kill(pid, syscall.SIGINT)
	for lines.Scan() {
		out.WriteString(lines.Text() + "\n")
	}
	err = cmd.Wait()
	if err != nil {
		t.Errorf("after SIGINT: %v, want status 0", err)
	}
	if !regexp.MustCompile(`^\r\d+/\d+ packets, \d+% loss, min/avg/ewma/max = [0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+ ms\n$`).MatchString(stderr.String()) {
		t.Errorf("SIGQUIT: got %q on stderr, want the running statistics", stderr.String())
	}
	if !strings.Contains(out.String(), "--- 203.0.113.2 ping statistics ---") {
		t.Errorf("SIGINT: no statistics:\n%s", out.String())
	}
}

// rawsockPID finds the rawsock process running in h.
func rawsockPID(t *testing.T, h *netlab.Host) int {
	t.Helper()
	out, err := exec.Command("ip", "netns", "pids", h.NS).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range strings.Fields(string(out)) {
		comm, _ := os.ReadFile("/proc/" + f + "/comm")
		if strings.TrimSpace(string(comm)) == "rawsock" {
			pid, _ := strconv.Atoi(f)
			return pid
		}
	}
	t.Fatalf("no rawsock process in %s", h.Name)
	return 0
}
