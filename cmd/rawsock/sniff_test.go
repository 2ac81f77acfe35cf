package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rawsock/rawsock/internal/netlab"
)

// startSniff starts "rawsock sniff ARGS" in host h and waits until it
// listens; it returns the command and its outputs.
func startSniff(t *testing.T, h *netlab.Host, args ...string) (*exec.Cmd, *bytes.Buffer, *sniffBuffer) {
	t.Helper()
	bin := netlab.Binary(t)
	cmd := h.Command(bin, append([]string{"sniff"}, args...)...)
	var stdout bytes.Buffer
	stderr := &sniffBuffer{}
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	cmd.Env = append(os.Environ(), "TZ=UTC")
	h.Start(cmd)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stderr.String(), "listening on") {
		if time.Now().After(deadline) {
			t.Fatalf("sniff did not start: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return cmd, &stdout, stderr
}

// stop sends sig and waits for the command, which must exit 0.
func stop(t *testing.T, cmd *exec.Cmd, sig syscall.Signal, stderr *sniffBuffer) {
	t.Helper()
	time.Sleep(200 * time.Millisecond) // let the last packets arrive
	cmd.Process.Signal(sig)
	if err := cmd.Wait(); err != nil && sig != syscall.SIGKILL {
		t.Fatalf("sniff after %v: %v\n%s", sig, err, stderr.String())
	}
}

var summaryRE = regexp.MustCompile(`(\d+) packets captured\n(\d+) packets received by filter\n(\d+) packets dropped by kernel\n`)

func summary(t *testing.T, stderr string) (captured, received, dropped int) {
	t.Helper()
	m := summaryRE.FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no summary in %q", stderr)
	}
	a, _ := strconv.Atoi(m[1])
	b, _ := strconv.Atoi(m[2])
	c, _ := strconv.Atoi(m[3])
	return a, b, c
}

// TestSniffSeesPings: a live capture in a namespace sees the pings the
// kernel sends and answers, and stops after -c.
func TestSniffSeesPings(t *testing.T) {
	a, b := netlab.Pair(t)
	cmd, stdout, stderr := startSniff(t, b, "-i", "eth0", "-n", "-c", "6", "icmp")
	a.MustRun("ping", "-c", "3", "-i", "0.2", "198.51.100.2")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("sniff: %v\n%s", err, stderr.String())
	}
	out := stdout.String()
	if n := linesWith(out, "IP 198.51.100.1 > 198.51.100.2: ICMP echo request, id "); n != 3 {
		t.Errorf("got %d echo requests, want 3:\n%s", n, out)
	}
	if n := linesWith(out, "IP 198.51.100.2 > 198.51.100.1: ICMP echo reply, id "); n != 3 {
		t.Errorf("got %d echo replies, want 3:\n%s", n, out)
	}
	if c, _, _ := summary(t, stderr.String()); c != 6 {
		t.Errorf("captured %d, want 6", c)
	}
}

// TestSniffFilterInKernel: with a filter, the packets outside it never
// reach the process: the kernel counts only the matching ones as received,
// and the file holds only them.
func TestSniffFilterInKernel(t *testing.T) {
	a, b := netlab.Pair(t)
	file := filepath.Join(t.TempDir(), "icmp.pcap")
	cmd, _, stderr := startSniff(t, b, "-i", "eth0", "-w", file, "icmp")
	py := netlab.Python(t)
	a.MustRun(py, "-c", `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(50):
    s.sendto(b"not icmp", ("198.51.100.2", 9))`)
	a.MustRun("ping", "-c", "2", "-i", "0.2", "198.51.100.2")
	stop(t, cmd, syscall.SIGINT, stderr)
	captured, received, dropped := summary(t, stderr.String())
	// 2 requests, 2 replies, and the kernel's port unreachable answers
	// to some of the 50 datagrams (rate-limited): all ICMP.
	if received != captured || dropped != 0 || captured < 4 || captured > 54 {
		t.Errorf("captured %d, received by filter %d, dropped %d: want the ICMP packets only", captured, received, dropped)
	}
	_, out, _ := runCLI(t, "", "read", "-n", file)
	if n := strings.Count(out, "\n"); n != captured || linesWith(out, "ICMP") != n {
		t.Errorf("file holds %d packets, %d of them ICMP; want %d ICMP:\n%s", n, linesWith(out, "ICMP"), captured, out)
	}
	if linesWith(out, "echo request") != 2 {
		t.Errorf("want the 2 echo requests in the file:\n%s", out)
	}
}

// TestSniffLikeTcpdump: rawsock and tcpdump capturing the same traffic at
// the same time print the same lines, VLAN tags (which the kernel hands
// over apart from the frame) included.
func TestSniffLikeTcpdump(t *testing.T) {
	tcpdump := netlab.RequireTool(t, "tcpdump")
	a, b := netlab.Pair(t)
	py := netlab.Python(t)
	if err := exec.Command(py, "-c", "import scapy").Run(); err != nil {
		t.Skip("needs python3-scapy to send tagged frames (make test installs it)")
	}
	const n = 8
	td := b.Command(tcpdump, "-i", "eth0", "-n", "-e", "-t", "-c", strconv.Itoa(n), "not ip6")
	var tdOut, tdErr sniffBuffer
	td.Stdout, td.Stderr = &tdOut, &tdErr
	b.Start(td)
	cmd, stdout, stderr := startSniff(t, b, "-i", "eth0", "-n", "-e", "-t", "-c", strconv.Itoa(n), "not ip6")
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(tdErr.String(), "listening on"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("tcpdump did not start: %s", tdErr.String())
		}
	}
	a.MustRun("ping", "-c", "2", "-i", "0.2", "198.51.100.2")
	a.MustRun(py, "-c", `
import logging; logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import Ether, Dot1Q, IP, UDP, sendp
e = Ether(src="02:00:00:00:00:0a", dst="ff:ff:ff:ff:ff:ff")
sendp(e/Dot1Q(vlan=100, prio=3)/IP(src="192.0.2.1", dst="192.0.2.2")/UDP(sport=1234, dport=5678)/b"tagged", iface="eth0", verbose=0)
sendp(e/Dot1Q(vlan=200)/IP(src="192.0.2.1", dst="192.0.2.2")/UDP(sport=1234, dport=5678)/b"tagged again", iface="eth0", verbose=0)`)
	// Whatever else makes the count (ARP), then both stop.
	a.Run("ping", "-c", "2", "-i", "0.2", "198.51.100.2")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("sniff: %v\n%s", err, stderr.String())
	}
	if err := td.Wait(); err != nil {
		t.Fatalf("tcpdump: %v\n%s", err, tdErr.String())
	}
	if stdout.String() != tdOut.String() {
		t.Errorf("rawsock and tcpdump saw different packets:\nrawsock:\n%s\ntcpdump:\n%s", stdout.String(), tdOut.String())
	}
	if !strings.Contains(stdout.String(), "ethertype 802.1Q (0x8100), length 52: vlan 100, p 3, ethertype IPv4 (0x0800), 192.0.2.1.1234 > 192.0.2.2.5678: UDP, length 6") {
		t.Errorf("no tagged frame in:\n%s", stdout.String())
	}
}

// TestSniffCookedVLANLikeTcpdump: on "any" with the v1 cooked header, the
// kernel has taken each frame's 802.1Q tag off, and rawsock puts it back
// after the header as libpcap does; both print the same lines, and the
// files they write hold the same bytes.
func TestSniffCookedVLANLikeTcpdump(t *testing.T) {
	tcpdump := netlab.RequireTool(t, "tcpdump")
	a, b := netlab.Pair(t)
	py := netlab.Python(t)
	if err := exec.Command(py, "-c", "import scapy").Run(); err != nil {
		t.Skip("needs python3-scapy to send tagged frames (make test installs it)")
	}
	const n = 4
	dir := t.TempDir()
	tdFile, rsFile := filepath.Join(dir, "tcpdump.pcap"), filepath.Join(dir, "rawsock.pcap")
	args := []string{"-i", "any", "-y", "LINUX_SLL", "-n", "-e", "-t", "-c", strconv.Itoa(n), "-U", "udp"}
	td := b.Command(tcpdump, append(args, "-w", tdFile)...)
	var tdErr sniffBuffer
	td.Stderr = &tdErr
	b.Start(td)
	cmd, _, stderr := startSniff(t, b, append(args, "-w", rsFile)...)
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(tdErr.String(), "listening on"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("tcpdump did not start: %s", tdErr.String())
		}
	}
	a.MustRun(py, "-c", `
import logging; logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import Ether, Dot1Q, IP, IPv6, UDP, sendp
e = Ether(src="02:00:00:00:00:0a", dst="ff:ff:ff:ff:ff:ff")
sendp(e/Dot1Q(vlan=100, prio=3)/IP(src="192.0.2.1", dst="192.0.2.2")/UDP(sport=1234, dport=5678)/b"tagged", iface="eth0", verbose=0)
sendp(e/Dot1Q(vlan=100, prio=3, id=1)/IP(src="192.0.2.1", dst="192.0.2.2")/UDP(sport=1234, dport=5678)/b"drop eligible", iface="eth0", verbose=0)
sendp(e/Dot1Q(vlan=200)/IPv6(src="2001:db8:c8::1", dst="2001:db8:c8::2")/UDP(sport=1234, dport=5678)/b"tagged IPv6", iface="eth0", verbose=0)
sendp(e/IP(src="192.0.2.1", dst="192.0.2.2")/UDP(sport=1234, dport=5678)/b"untagged", iface="eth0", verbose=0)`)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("sniff: %v\n%s", err, stderr.String())
	}
	if err := td.Wait(); err != nil {
		t.Fatalf("tcpdump: %v\n%s", err, tdErr.String())
	}
	print := func(file string) string {
		out, err := exec.Command(tcpdump, "-n", "-e", "-t", "-r", file).Output()
		if err != nil {
			t.Fatalf("tcpdump -r %s: %v", file, err)
		}
		return string(out)
	}
	want, got := print(tdFile), print(rsFile)
	if got != want {
		t.Errorf("rawsock and tcpdump captured different frames:\nrawsock:\n%s\ntcpdump:\n%s", got, want)
	}
	if !strings.Contains(got, "ethertype 802.1Q (0x8100), length 61: vlan 100, p 3, DEI, ethertype IPv4, 192.0.2.1.1234 > 192.0.2.2.5678: UDP, length 13") {
		t.Errorf("no tagged frame with its tag in:\n%s", got)
	}
	rs, err := exec.Command(netlab.Binary(t), "read", "-n", "-e", "-t", rsFile).Output()
	if err != nil {
		t.Fatalf("rawsock read: %v", err)
	}
	if string(rs) != want {
		t.Errorf("rawsock read prints:\n%s\ntcpdump prints:\n%s", rs, want)
	}
	tdFrames, rsFrames := replayRead(t, tdFile), replayRead(t, rsFile)
	if len(tdFrames) != n || len(rsFrames) != n {
		t.Fatalf("%d and %d packets in the files, want %d each", len(rsFrames), len(tdFrames), n)
	}
	for i := range tdFrames {
		if !bytes.Equal(tdFrames[i].data, rsFrames[i].data) {
			t.Errorf("packet %d: rawsock wrote %x, tcpdump %x", i+1, rsFrames[i].data, tdFrames[i].data)
		}
	}
}

// TestSniffAnyAndL3: -i any prints each packet's interface and direction;
// --l3 icmp captures with a raw IPv4 socket.
func TestSniffAnyAndL3(t *testing.T) {
	a, b := netlab.Pair(t)
	anyCmd, anyOut, anyErr := startSniff(t, b, "-n", "-c", "2", "icmp")
	l3Cmd, l3Out, l3Err := startSniff(t, b, "--l3", "icmp", "-n", "-c", "1")
	a.MustRun("ping", "-c", "1", "198.51.100.2")
	if err := anyCmd.Wait(); err != nil {
		t.Fatalf("sniff -i any: %v\n%s", err, anyErr.String())
	}
	if err := l3Cmd.Wait(); err != nil {
		t.Fatalf("sniff --l3: %v\n%s", err, l3Err.String())
	}
	if !strings.Contains(anyOut.String(), " eth0  In  IP 198.51.100.1 > 198.51.100.2: ICMP echo request") ||
		!strings.Contains(anyOut.String(), " eth0  Out IP 198.51.100.2 > 198.51.100.1: ICMP echo reply") {
		t.Errorf("-i any:\n%s", anyOut.String())
	}
	if !strings.Contains(anyErr.String(), "link-type LINUX_SLL2") || !strings.Contains(l3Err.String(), "link-type RAW") {
		t.Errorf("link types: %q %q", anyErr.String(), l3Err.String())
	}
	if !strings.Contains(l3Out.String(), "IP 198.51.100.1 > 198.51.100.2: ICMP echo request") {
		t.Errorf("--l3 icmp:\n%s", l3Out.String())
	}
}

// TestSniffStops: SIGTERM flushes the file (tshark reads it) and prints
// the summary; with -U a capture killed outright is readable up to its
// last packet.
func TestSniffStops(t *testing.T) {
	tshark := netlab.RequireTool(t, "tshark")
	a, b := netlab.Pair(t)
	dir := t.TempDir()
	for _, tt := range []struct {
		name string
		sig  syscall.Signal
		args []string
	}{
		{"term.pcapng", syscall.SIGTERM, nil},
		{"int.pcap", syscall.SIGINT, nil},
		{"kill.pcap", syscall.SIGKILL, []string{"-U"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(dir, tt.name)
			cmd, _, stderr := startSniff(t, b, append([]string{"-i", "eth0", "-w", file, "icmp"}, tt.args...)...)
			a.MustRun("ping", "-c", "3", "-i", "0.2", "198.51.100.2")
			stop(t, cmd, tt.sig, stderr)
			want := 6
			if tt.sig != syscall.SIGKILL {
				if c, _, _ := summary(t, stderr.String()); c != want {
					t.Errorf("summary says %d captured, want %d", c, want)
				}
			}
			out, err := exec.Command(tshark, "-r", file).CombinedOutput()
			if err != nil {
				t.Fatalf("tshark: %v\n%s", err, out)
			}
			if n := linesWith(string(out), "ICMP"); n != want || strings.Contains(string(out), "Malformed") {
				t.Errorf("tshark reads %d ICMP packets, want %d:\n%s", n, want, out)
			}
		})
	}
}

// TestSniffDropsPrivileges: -Z leaves root once the socket and first file
// are open (no capability left), and rotation keeps making files.
func TestSniffDropsPrivileges(t *testing.T) {
	a, b := netlab.Pair(t)
	// A directory the user nobody may write in, unlike t.TempDir's.
	dir, err := os.MkdirTemp("", "rawsock-sniff-z-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o777)
	name := filepath.Join(dir, "rot-%H%M%S.pcap")
	cmd, _, stderr := startSniff(t, b, "-i", "eth0", "-w", name, "-G", "1", "-W", "3", "-Z", "nobody", "icmp")
	status, err := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Uid:\t65534\t65534\t65534\t65534", "CapEff:\t0000000000000000", "CapPrm:\t0000000000000000"} {
		if !strings.Contains(string(status), want) {
			t.Errorf("/proc/PID/status lacks %q:\n%s", want, status)
		}
	}
	// Pings for about 3.5 seconds: -G 1 -W 3 makes three files, then stops.
	go a.Run("ping", "-c", "18", "-i", "0.2", "198.51.100.2")
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("sniff: %v\n%s", err, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("sniff -G 1 -W 3 did not stop by itself\n%s", stderr.String())
	}
	files, _ := filepath.Glob(filepath.Join(dir, "rot-*.pcap"))
	if len(files) != 3 {
		t.Fatalf("got files %v, want 3", files)
	}
	owners := map[uint32]int{}
	for _, f := range files {
		st, _ := os.Stat(f)
		owners[st.Sys().(*syscall.Stat_t).Uid]++
		if _, _, stderr := runCLI(t, "", "read", f); strings.Contains(stderr, "rawsock:") {
			t.Errorf("%s: %s", f, stderr)
		}
	}
	if owners[0] != 1 || owners[65534] != 2 {
		t.Errorf("file owners %v: want the first file root's and the later ones nobody's", owners)
	}
}

func TestSniffUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"sniff", "-i", "nosuchif0"}, `rawsock: sniff: -i nosuchif0: no interface "nosuchif0" here`},
		{[]string{"sniff", "--l3", "bogus"}, `rawsock: sniff: --l3 "bogus": give a protocol name`},
		{[]string{"sniff", "-y", "EN10MB"}, `rawsock: sniff: -y "EN10MB": rawsock captures -i any as LINUX_SLL2 or LINUX_SLL`},
		{[]string{"sniff", "-W", "3", "-w", "x.pcap", "tcp"}, ""},
		{[]string{"sniff", "tcp", "port", "70000"}, "rawsock: sniff: filter: "},
	}
	for _, tt := range tests {
		code, _, stderr := runCLI(t, "", tt.args...)
		if tt.want == "" {
			continue
		}
		if code != 2 || !strings.HasPrefix(stderr, tt.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tt.args, code, stderr, tt.want)
		}
	}
	code, out, _ := runCLI(t, "", "sniff", "-d", "-i", "any", "icmp")
	if code != 0 || !strings.Contains(out, "ret      #262144") {
		t.Errorf("sniff -d: exit %d\n%s", code, out)
	}
}

// sniffBuffer is a bytes.Buffer that a running command writes while the
// test reads it.
type sniffBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *sniffBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *sniffBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// linesWith counts the lines of out that contain s.
func linesWith(out, s string) int {
	n := 0
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, s) {
			n++
		}
	}
	return n
}

// TestSniffWithoutPrivilege: without CAP_NET_RAW, sniff fails with one line
// naming the capability and the fix, and exit status 2.
func TestSniffWithoutPrivilege(t *testing.T) {
	setpriv := netlab.RequireTool(t, "setpriv")
	h := netlab.Loopback(t)
	bin := netlab.Binary(t)
	for _, args := range [][]string{{"sniff", "-i", "lo", "-c", "1"}, {"sniff", "--l3", "icmp", "-c", "1"}, {"sniff", "-c", "1", "icmp"}} {
		cmd := h.Command(setpriv, append([]string{"--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--", bin}, args...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != 2 {
			t.Errorf("%v without privilege: got %v, want exit status 2 (%s)", args, err, stderr.String())
			continue
		}
		msg := stderr.String()
		if strings.Count(msg, "\n") != 1 || !strings.Contains(msg, "rawsock: sniff: ") || !strings.Contains(msg, "needs CAP_NET_RAW") ||
			!strings.Contains(msg, "setcap cap_net_raw,cap_net_admin+ep") {
			t.Errorf("%v without privilege: stderr %q, want one line naming CAP_NET_RAW and setcap", args, msg)
		}
	}
}
