package main

import (
	"bufio"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rawsock/rawsock/internal/netlab"
)

func TestReadIGMPTables(t *testing.T) {
	dir := t.TempDir()
	igmp := filepath.Join(dir, "igmp")
	os.WriteFile(igmp, []byte("Idx\tDevice    : Count Querier\tGroup    Users Timer\tReporter\n"+
		"1\tlo        :     1      V3\n\t\t\t\t010000E0     1 0:00000000\t\t0\n"+
		"2\teth0      :     2      V2\n\t\t\t\t030201EF     1 0:00000000\t\t1\n\t\t\t\t010000E0     1 0:00000000\t\t0\n"), 0o644)
	got, err := readIGMP(igmp, "eth0")
	want := []netip.Addr{netip.MustParseAddr("239.1.2.3"), netip.MustParseAddr("224.0.0.1")}
	if err != nil || len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("got %v, %v; want %v", got, err, want)
	}
	ifc, err := readIGMPTable(igmp, "eth0")
	if err != nil || ifc.version != "V2" || !ifc.groups[0].reporter || ifc.groups[1].reporter {
		t.Errorf("got %+v, %v; want V2 with 239.1.2.3 reported", ifc, err)
	}
	igmp6 := filepath.Join(dir, "igmp6")
	os.WriteFile(igmp6, []byte("1    lo              ff020000000000000000000000000001     1 0000000C 0\n"+
		"2    eth0            ff150000000000000000000000000001     1 00000004 0\n"), 0o644)
	got, err = readIGMP6(igmp6, "eth0")
	if err != nil || len(got) != 1 || got[0] != netip.MustParseAddr("ff15::1") {
		t.Errorf("got %v, %v; want [ff15::1]", got, err)
	}
}

// A membership held by rawsock igmp is real: the kernel of the joining
// namespace sends the reports (seen by tcpdump on the other end of the
// link), lists the group, and announces the leave.
func TestIGMPJoinLeaveSeenByTcpdump(t *testing.T) {
	netlab.RequireTool(t, "tcpdump")
	bin := netlab.Binary(t)
	tests := []struct {
		name    string
		version string // force_igmp_version on the member, "" for the default (3)
		args    []string
		want    []string // substrings of tcpdump -v lines, each seen at least once
	}{
		{"v3", "", []string{"join", "239.1.2.3"},
			[]string{"igmp v3 report", "[gaddr 239.1.2.3 to_ex { }]", "[gaddr 239.1.2.3 to_in { }]"}},
		{"v2", "2", []string{"join", "239.1.2.3"},
			[]string{"igmp v2 report 239.1.2.3", "igmp leave 239.1.2.3"}},
		{"v3 source", "", []string{"join", "232.1.1.1", "--source", "198.51.100.7"},
			[]string{"[gaddr 232.1.1.1 allow { 198.51.100.7 }]", "[gaddr 232.1.1.1 block { 198.51.100.7 }]"}},
		{"v2 leave", "2", []string{"leave", "239.4.4.4"},
			[]string{"igmp v2 report 239.4.4.4", "igmp leave 239.4.4.4"}},
		{"mld", "", []string{"join", "ff15::1"},
			[]string{"multicast listener report v2", "[gaddr ff15::1 to_ex { }]", "[gaddr ff15::1 to_in { }]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := netlab.Pair(t)
			if tt.version != "" {
				a.Sysctl("net.ipv4.conf.eth0.force_igmp_version", tt.version)
			}
			filter := "igmp"
			if strings.Contains(tt.args[1], ":") {
				filter = "ip6 multicast"
			}
			dump := b.Command("timeout", "20", "tcpdump", "-l", "-n", "-vv", "-i", "eth0", filter)
			stdout, _ := dump.StdoutPipe()
			stderr, _ := dump.StderrPipe()
			b.Start(dump)
			waitForLine(t, stderr, "listening on")
			var lines []string
			done := make(chan struct{})
			go func() {
				defer close(done)
				sc := bufio.NewScanner(stdout)
				for sc.Scan() {
					lines = append(lines, sc.Text())
				}
			}()

			args := append(append([]string{"igmp"}, tt.args...), "-I", "eth0", "--duration", "1s", "-v")
			out := a.MustRun(append([]string{bin}, args...)...)
			if tt.args[0] == "join" && !strings.Contains(out, "kernel memberships on eth0: ["+tt.args[1]) {
				t.Errorf("the kernel did not list the group while joined:\n%s", out)
			}
			if got := a.MustRun("cat", "/proc/net/igmp", "/proc/net/igmp6"); strings.Contains(got, "030201EF") {
				t.Errorf("239.1.2.3 still joined after rawsock ended:\n%s", got)
			}
			time.Sleep(500 * time.Millisecond) // the leave's report is on its way
			dump.Process.Signal(syscall.SIGINT)
			<-done
			dump.Wait()
			all := strings.Join(lines, "\n")
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("tcpdump saw no %q in:\n%s", w, all)
				}
			}
		})
	}
}

func TestIGMPBadInput(t *testing.T) {
	tests := []struct {
		args []string
		msg  string
	}{
		{[]string{"igmp"}, "want 'join GROUP' or 'leave GROUP'"},
		{[]string{"igmp", "join", "10.1.2.3", "-I", "lo"}, `bad group "10.1.2.3"`},
		{[]string{"igmp", "join", "239.1.1.1"}, "give -I IFACE"},
		{[]string{"igmp", "join", "239.1.1.1", "-I", "no-such-if0"}, `unknown interface "no-such-if0"`},
		{[]string{"igmp", "join", "239.1.1.1", "-I", "lo", "--source", "x"}, `bad --source "x"`},
		{[]string{"igmp", "join", "ff15::1", "-I", "lo", "--source", "198.51.100.1"}, "IPv4 groups only"},
	}
	for _, tt := range tests {
		code, _, stderr := runCLI(t, "", tt.args...)
		if code != 2 || !strings.Contains(stderr, tt.msg) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: got %d %q; want 2 and one line with %q", tt.args, code, stderr, tt.msg)
		}
	}
}

// waitForLine reads r until a line contains s (tcpdump's "listening on").
func waitForLine(t *testing.T, r interface{ Read([]byte) (int, error) }, s string) {
	t.Helper()
	found := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			if strings.Contains(sc.Text(), s) {
				found <- true
				for sc.Scan() {
				}
				return
			}
		}
		found <- false
	}()
	select {
	case ok := <-found:
		if !ok {
			t.Fatalf("the stream ended before %q", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no %q within 10s", s)
	}
}
