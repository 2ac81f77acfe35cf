package main

// Least privilege (issue 6): every command that needs a capability, run
// without it, fails with one line that names it (or the sysctl) and the
// fix, exit status 2, and sends nothing; what needs no capability works
// without one; ping gives up its capabilities once its socket is open.
// (sniff -Z is checked by TestSniffDropsPrivileges.)

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/rawsock/rawsock/internal/netlab"
)

// Tests run commands in-process too; ping must not take the test binary's
// own capabilities away when they do.
func init() { keepCapabilities = true }

// withoutPrivilege is how a test runs the binary without a privilege:
// the argv that comes before the binary's path.
type withoutPrivilege struct {
	name   string
	prefix []string
	root   bool // the uid stays 0
}

var privilegeDrops = []withoutPrivilege{
	{"nobody", []string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--"}, false},
	// capsh drops the capability from the bounding set and runs bash,
	// which runs rawsock: root, without CAP_NET_RAW.
	{"root without CAP_NET_RAW", []string{"capsh", "--drop=cap_net_raw", "--", "-c", `exec "$0" "$@"`}, true},
}

func TestPrivilegeMatrix(t *testing.T) {
	netlab.RequireTool(t, "setpriv")
	netlab.RequireTool(t, "capsh")
	a, b := netlab.Pair(t)
	bin := publicCopy(t, netlab.Binary(t))
	a.Sysctl("net.ipv4.ping_group_range", "1 0") // no group may open ICMP datagram sockets
	a.Sysctl("net.ipv4.ip_unprivileged_port_start", "1024")

	rawFix := []string{"needs CAP_NET_RAW", "setcap cap_net_raw,cap_net_admin+ep " + bin}
	pingFix := append([]string{"net.ipv4.ping_group_range", `sudo sysctl -w net.ipv4.ping_group_range="`}, rawFix...)
	cases := []struct {
		args       []string
		want       []string // in the one line on stderr
		nobodyOnly bool
	}{
		{[]string{"send", "ip(dst=198.51.100.2)/icmp()"}, rawFix, false},
		{[]string{"send", "-I", "eth0", "ip(dst=198.51.100.2)/icmp()"}, rawFix, false},
		{[]string{"send", "-I", "eth0", "ether()/ip(dst=198.51.100.2)/icmp()"}, rawFix, false},
		{[]string{"send", "--reply", "ip(dst=198.51.100.2)/tcp(dport=22, flags=S)"}, rawFix, false},
		{[]string{"send", "--flood", "-c", "100", "ip(dst=198.51.100.2)/udp(dport=9)"}, rawFix, false},
		{[]string{"sniff", "-i", "eth0", "-c", "1"}, rawFix, false},
		{[]string{"sniff", "-p", "-i", "eth0", "-c", "1", "icmp"}, rawFix, false},
		{[]string{"sniff", "--l3", "icmp", "-c", "1"}, rawFix, false},
		{[]string{"ping", "-c", "1", "198.51.100.2"}, pingFix, false},
		{[]string{"traceroute", "-I", "-n", "198.51.100.2"}, pingFix, false},
		{[]string{"traceroute", "-T", "-n", "198.51.100.2"}, rawFix, false},
		{[]string{"scan", "--syn", "-p", "22", "198.51.100.2"}, rawFix, false},
		{[]string{"scan", "--udp", "-p", "53", "198.51.100.2"}, rawFix, false},
		// Root may bind any port: only nobody is refused.
		{[]string{"listen", "tcp", "198.51.100.1:80"}, []string{"CAP_NET_BIND_SERVICE", "use a port above 1023"}, true},
	}
	stopCapture := startCapture(t, b, "eth0", "not ip6")
	for _, drop := range privilegeDrops {
		for _, c := range cases {
			if c.nobodyOnly && drop.root {
				continue
			}
			t.Run(drop.name+"/"+strings.Join(c.args, " "), func(t *testing.T) {
				code, stdout, stderr := runIn(t, a, drop.prefix[0], append(append(drop.prefix[1:], bin), c.args...)...)
				if code != 2 || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "rawsock: "+c.args[0]+": ") {
					t.Fatalf("status %d, stdout %q, stderr %q: want 2, nothing, and one line", code, stdout, stderr)
				}
				for _, w := range c.want {
					if !strings.Contains(stderr, w) {
						t.Errorf("stderr %q does not say %q", stderr, w)
					}
				}
			})
		}
	}
	file := stopCapture()
	if out, err := runTool("tcpdump", "-n", "-r", file); err != nil || len(withoutTimes(out)) != 0 {
		t.Errorf("commands without privilege sent packets (%v):\n%s", err, out)
	}
}

// TestPrivilegeNotNeeded: what the kernel allows without a capability
// works as nobody: a multicast membership (IP_ADD_MEMBERSHIP asks for no
// capability; the kernel sends the reports), a UDP traceroute, and ping
// through an ICMP datagram socket once ping_group_range admits nobody.
func TestPrivilegeNotNeeded(t *testing.T) {
	netlab.RequireTool(t, "setpriv")
	a, b := netlab.Pair(t)
	bin := publicCopy(t, netlab.Binary(t))
	a.Sysctl("net.ipv4.ping_group_range", "65534 65534")
	nobody := privilegeDrops[0].prefix
	stopCapture := startCapture(t, b, "eth0", "igmp or udp or icmp")
	for _, args := range [][]string{
		{"igmp", "join", "239.1.2.3", "-I", "eth0", "--duration", "300ms"},
		{"traceroute", "-n", "-q", "1", "-m", "1", "198.51.100.2"},
		{"ping", "-v", "-c", "1", "198.51.100.2"},
	} {
		code, stdout, stderr := runIn(t, a, nobody[0], append(append(nobody[1:], bin), args...)...)
		if code != 0 {
			t.Errorf("%v as nobody: status %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
		if args[0] == "ping" && !strings.Contains(stderr, "using an ICMP datagram socket") {
			t.Errorf("ping as nobody: %q, want the datagram socket", stderr)
		}
	}
	file := stopCapture()
	out, err := runTool("tcpdump", "-n", "-r", file)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"IP 198.51.100.1 > 224.0.0.22: igmp v3 report",
		"IP 198.51.100.1.", // the traceroute's UDP probe
		"IP 198.51.100.1 > 198.51.100.2: ICMP echo request",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("b did not see %q:\n%s", want, out)
		}
	}
}

// TestPingDropsCapabilities: ping opens its raw socket with CAP_NET_RAW —
// as root, or as nobody through the binary's file capability — and then
// holds no capability at all, in every thread, while it goes on pinging.
func TestPingDropsCapabilities(t *testing.T) {
	setcap := netlab.RequireTool(t, "setcap")
	netlab.RequireTool(t, "setpriv")
	a, _ := netlab.Pair(t)
	a.Sysctl("net.ipv4.ping_group_range", "1 0") // only a raw socket will do
	bin := publicCopy(t, netlab.Binary(t))
	capBin := publicCopy(t, bin)
	if out, err := exec.Command(setcap, "cap_net_raw+ep", capBin).CombinedOutput(); err != nil {
		t.Fatalf("setcap: %v: %s", err, out)
	}
	for _, tt := range []struct {
		name string
		argv []string
		uid  string
	}{
		{"root", []string{bin}, "0"},
		{"file capability", []string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", capBin}, "65534"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			argv := append(tt.argv, "ping", "-v", "-i", "0.2", "-c", "100", "198.51.100.2")
			cmd := a.Command(argv[0], argv[1:]...)
			var stdout, stderr sniffBuffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			a.Start(cmd)
			waitUntil(t, "the first reply", func() bool { return strings.Contains(stdout.String(), " icmp_seq=1 ") })
			if !strings.Contains(stderr.String(), "using a raw ICMP socket") {
				t.Fatalf("stderr %q: want the raw socket, opened with CAP_NET_RAW", stderr.String())
			}
			pid := binaryPID(t, cmd)
			tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/status")
			if len(tasks) == 0 {
				t.Fatalf("no threads of pid %d", pid)
			}
			for _, f := range tasks {
				status, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				for _, want := range []string{
					"\nUid:\t" + strings.Repeat(tt.uid+"\t", 3) + tt.uid + "\n",
					"\nCapInh:\t0000000000000000\n", "\nCapPrm:\t0000000000000000\n",
					"\nCapEff:\t0000000000000000\n", "\nCapAmb:\t0000000000000000\n",
				} {
					if !bytes.Contains(status, []byte(want)) {
						t.Errorf("%s lacks %q:\n%s", f, strings.TrimSpace(want), status)
					}
				}
			}
			// Without them it goes on: the socket was all it needed.
			waitUntil(t, "a reply after the drop", func() bool { return strings.Contains(stdout.String(), " icmp_seq=3 ") })
			syscall.Kill(pid, syscall.SIGINT)
			if err := cmd.Wait(); err != nil || !strings.Contains(stdout.String(), "0% packet loss") {
				t.Errorf("after SIGINT: %v\n%s", err, stdout.String())
			}
		})
	}
}
