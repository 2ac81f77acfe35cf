package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"net/netip"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rawsock/rawsock/internal/netlab"
	"github.com/rawsock/rawsock/probe/scan"
)

// TestScanBadInput: every mistake on the command line is one line on
// stderr and status 2, before anything is sent. The host is loopback, so
// that even a check that failed to stop the scan would send nowhere else.
func TestScanBadInput(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"scan"}, "want one HOST to scan, got 0 arguments"},
		{[]string{"scan", "-p", "22", "127.0.0.1", "127.0.0.2"}, "want one HOST to scan, got 2 arguments"},
		{[]string{"scan", "127.0.0.1"}, "which ports? give -p PORTS"},
		{[]string{"scan", "-p", "", "127.0.0.1"}, "which ports? give -p PORTS"},
		{[]string{"scan", "-p", "90-80", "127.0.0.1"}, `reversed port range "90-80": write it low to high, 80-90`},
		{[]string{"scan", "-p", "0", "127.0.0.1"}, "port 0 out of range"},
		{[]string{"scan", "-p", "1-65536", "127.0.0.1"}, "port 65536 out of range"},
		{[]string{"scan", "-p", "22,,80", "127.0.0.1"}, "empty item"},
		{[]string{"scan", "-p", "ssh", "127.0.0.1"}, `bad port "ssh"`},
		{[]string{"scan", "-p", "22", "no-such-host.invalid"}, `unknown host "no-such-host.invalid"`},
		{[]string{"scan", "-p-", "no-such-host.invalid"}, `unknown host "no-such-host.invalid"`},
		{[]string{"scan", "-p", "22", "-6", "127.0.0.1"}, "not an IPv6 address"},
		{[]string{"scan", "-p", "22", "--bogus", "127.0.0.1"}, "unknown flag: --bogus"},
		{[]string{"scan", "-p", "22", "--syn", "--udp", "127.0.0.1"}, "choose one of --syn, --udp and --connect"},
		{[]string{"scan", "-p", "22", "--top", "5", "127.0.0.1"}, "give -p or --top, not both"},
		{[]string{"scan", "--top", "70000", "127.0.0.1"}, "bad --top 70000"},
		{[]string{"scan", "--top", "-1", "127.0.0.1"}, "bad --top -1"},
		{[]string{"scan", "-p", "22", "--rate", "-5", "127.0.0.1"}, "bad --rate -5"},
		{[]string{"scan", "-p", "22", "--retries", "-1", "127.0.0.1"}, "bad --retries -1"},
		{[]string{"scan", "-p", "22", "--timeout", "0s", "127.0.0.1"}, "bad --timeout 0s"},
		{[]string{"scan", "-p", "22", "--timeout", "soon", "127.0.0.1"}, `invalid argument "soon"`},
		{[]string{"scan", "-p", "22", "--parallel", "0", "127.0.0.1"}, "bad --parallel 0"},
		{[]string{"scan", "-p", "22", "-4", "-6", "127.0.0.1"}, "choose one of -4 and -6"},
		{[]string{"scan", "-p", "22", "--open", "--all", "127.0.0.1"}, "choose one of --open and --all"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "", tt.args...)
			if code != 2 || stdout != "" {
				t.Errorf("got status %d, stdout %q; want 2 and nothing", code, stdout)
			}
			if !strings.HasPrefix(stderr, "rawsock: scan: ") || !strings.Contains(stderr, tt.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr: got %q, want one line with %q", stderr, tt.want)
			}
		})
	}
}

// scanTestReport is a report as a SYN scan of the lab would make it.
func scanTestReport() *scan.Report {
	r := &scan.Report{
		Target: netip.MustParseAddr("203.0.113.2"), Method: scan.SYN, Ports: 34, Sent: 36, Replies: 33,
		Elapsed: 1500 * time.Millisecond,
	}
	r.Results = append(r.Results,
		scan.Result{Port: 22, State: scan.Open, Reason: scan.ReasonSynAck, TTL: 64, From: r.Target, RTT: 120 * time.Microsecond, Probes: 1},
		scan.Result{Port: 80, State: scan.Open, Reason: scan.ReasonSynAck, TTL: 64, From: r.Target, RTT: 95 * time.Microsecond, Probes: 1})
	for p := uint16(1000); p < 1030; p++ {
		r.Results = append(r.Results, scan.Result{Port: p, State: scan.Closed, Reason: scan.ReasonReset, TTL: 64, From: r.Target, Probes: 1})
	}
	r.Results = append(r.Results,
		scan.Result{Port: 8080, State: scan.Filtered, Reason: scan.ReasonNoResponse, Probes: 2},
		scan.Result{Port: 8443, State: scan.Filtered, Reason: scan.ReasonAdminProhibited, TTL: 64, From: r.Target, Probes: 1})
	return r
}

var scanTestServices = `ssh		22/tcp
http		80/tcp		www
http-alt	8080/tcp	webcache
domain		53/udp
`

func TestScanTable(t *testing.T) {
	services, err := scan.ParseServices(strings.NewReader(scanTestServices))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		o    scanOptions
		want string
	}{
		{"default", scanOptions{}, `scan report for 203.0.113.2 (syn scan, 34 tcp ports)
Not shown: 30 closed tcp ports (reset)
PORT     STATE    SERVICE  REASON
22/tcp   open     ssh      syn-ack
80/tcp   open     http     syn-ack
8080/tcp filtered http-alt no-response
8443/tcp filtered unknown  admin-prohibited

34 ports of 203.0.113.2 scanned in 1.50s: 2 open, 30 closed, 2 filtered (36 probes sent, 33 answers)
`},
		{"open", scanOptions{open: true}, `scan report for 203.0.113.2 (syn scan, 34 tcp ports)
Not shown: 30 closed tcp ports (reset), 2 filtered tcp ports (1 admin-prohibited, 1 no-response)
PORT   STATE SERVICE REASON
22/tcp open  ssh     syn-ack
80/tcp open  http    syn-ack

34 ports of 203.0.113.2 scanned in 1.50s: 2 open, 30 closed, 2 filtered (36 probes sent, 33 answers)
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			tt.o.writeTable(&b, scanTestReport(), services)
			if b.String() != tt.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), tt.want)
			}
		})
	}
	var b bytes.Buffer
	(&scanOptions{all: true}).writeTable(&b, scanTestReport(), services)
	if n := strings.Count(b.String(), "/tcp "); n != 34 || strings.Contains(b.String(), "Not shown") {
		t.Errorf("--all: got %d port lines, want 34 and no \"Not shown\":\n%s", n, b.String())
	}
	r := scanTestReport()
	r.Interrupted, r.Results = true, r.Results[:2]
	if got, want := summaryLine(r), "interrupted: 2 of 34 ports of 203.0.113.2 scanned in 1.50s: 2 open (36 probes sent, 33 answers)"; got != want {
		t.Errorf("interrupted summary:\ngot  %s\nwant %s", got, want)
	}
}

func TestScanJSON(t *testing.T) {
	services, _ := scan.ParseServices(strings.NewReader(scanTestServices))
	var b bytes.Buffer
	writeScanJSON(&b, scanTestReport(), services)
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 35 {
		t.Fatalf("got %d lines, want 34 ports and a summary", len(lines))
	}
	var first scanPortJSON
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	want := scanPortJSON{Type: "port", Host: "203.0.113.2", Port: 22, Proto: "tcp", State: "open", Service: "ssh",
		Reason: "syn-ack", TTL: 64, From: "203.0.113.2", RTTms: 0.12, Probes: 1}
	if first != want {
		t.Errorf("first line: got %+v, want %+v", first, want)
	}
	if !strings.Contains(lines[33], `"state":"filtered"`) || strings.Contains(lines[32], `"rtt_ms"`) || strings.Contains(lines[32], `"from"`) {
		t.Errorf("a silent port carries rtt_ms or from: %s", lines[32])
	}
	var sum scanSummaryJSON
	if err := json.Unmarshal([]byte(lines[34]), &sum); err != nil {
		t.Fatal(err)
	}
	wantSum := scanSummaryJSON{Type: "summary", Host: "203.0.113.2", Method: "syn", Proto: "tcp", Ports: 34, Scanned: 34,
		Open: 2, Closed: 30, Filtered: 2, ProbesSent: 36, Replies: 33, ElapsedS: 1.5}
	if sum != wantSum {
		t.Errorf("summary: got %+v, want %+v", sum, wantSum)
	}
}

// scanLab is a netlab.Pair whose host b is a scan target: TCP listeners on
// 22 and 80, a UDP service answering on 53, nothing on TCP 81 and UDP 54,
// and nftables rules made here, in b: TCP 8080 and UDP 5000 dropped, TCP
// 8443 and UDP 5001 refused with ICMP administratively prohibited, and
// TCP 2000-2999 dropped with a counter, for the signal tests.
func scanLab(t *testing.T) (a, b *netlab.Host) {
	t.Helper()
	netlab.RequireTool(t, "nft")
	a, b = netlab.Pair(t)
	b.Sysctl("net.ipv4.icmp_ratelimit", "0")
	b.Sysctl("net.ipv6.icmp.ratelimit", "0")
	b.MustRun("nft", strings.Join([]string{
		"add table inet scantest",
		"add chain inet scantest in { type filter hook input priority 0 ; policy accept ; }",
		"add rule inet scantest in tcp dport 8080 drop",
		"add rule inet scantest in udp dport 5000 drop",
		"add rule inet scantest in tcp dport 8443 reject with icmpx type admin-prohibited",
		"add rule inet scantest in udp dport 5001 reject with icmpx type admin-prohibited",
		"add rule inet scantest in tcp dport 2000-2999 counter drop",
	}, " ; "))
	b.MustDo(func() error {
		for _, port := range []string{"22", "80"} {
			l, err := net.Listen("tcp", "[::]:"+port)
			if err != nil {
				return err
			}
			t.Cleanup(func() { l.Close() })
		}
		c, err := net.ListenPacket("udp", "[::]:53")
		if err != nil {
			return err
		}
		t.Cleanup(func() { c.Close() })
		go func() {
			buf := make([]byte, 2048)
			for {
				_, from, err := c.ReadFrom(buf)
				if err != nil {
					return
				}
				c.WriteTo([]byte("ok"), from)
			}
		}()
		return nil
	})
	return a, b
}

// runScan runs the binary in h and returns its status and output.
func runScan(t *testing.T, h *netlab.Host, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runIn(t, h, netlab.Binary(t), args...)
}

// runIn runs a program in h and returns its status and output.
func runIn(t *testing.T, h *netlab.Host, name string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := h.Command(name, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errb.String()
}

var scanRow = regexp.MustCompile(`(?m)^(\d+)/(tcp|udp) +(\S+) +(\S+) +(\S+)$`)

// scanRows reads the table: "port/proto" to "state service reason".
func scanRows(out string) map[string]string {
	rows := map[string]string{}
	for _, m := range scanRow.FindAllStringSubmatch(out, -1) {
		rows[m[1]+"/"+m[2]] = m[3] + " " + m[4] + " " + m[5]
	}
	return rows
}

// TestScanLab runs the binary's three scans in the lab and reads its table
// and its JSON.
func TestScanLab(t *testing.T) {
	a, _ := scanLab(t)
	tcp := map[string]string{
		"22/tcp":   "open ssh syn-ack",
		"80/tcp":   "open http syn-ack",
		"81/tcp":   "closed unknown reset",
		"8080/tcp": "filtered http-alt no-response",
		"8443/tcp": "filtered unknown admin-prohibited",
	}
	udp := map[string]string{
		"53/udp":   "open domain udp-response",
		"54/udp":   "closed unknown port-unreach",
		"5000/udp": "open|filtered unknown no-response",
		"5001/udp": "filtered unknown admin-prohibited",
	}
	tests := []struct {
		name    string
		args    []string
		rows    map[string]string
		summary string
	}{
		{"syn", []string{"-p", "22,80,81,8080,8443", "198.51.100.2"}, tcp,
			"5 ports of 198.51.100.2 scanned in "},
		{"syn ipv6", []string{"-p", "22,80,81,8080,8443", "2001:db8::2"}, tcp,
			"5 ports of 2001:db8::2 scanned in "},
		{"udp", []string{"--udp", "-p", "53,54,5000,5001", "198.51.100.2"}, udp,
			"4 ports of 198.51.100.2 scanned in "},
		{"connect", []string{"--connect", "-p", "22,80,81,8080,8443", "198.51.100.2"}, map[string]string{
			"22/tcp": "open ssh syn-ack", "80/tcp": "open http syn-ack", "81/tcp": "closed unknown conn-refused",
			"8080/tcp": "filtered http-alt no-response", "8443/tcp": "filtered unknown host-unreach",
		}, "5 ports of 198.51.100.2 scanned in "},
	}
	services, _ := scan.LoadServices(scan.ServicesFile)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runScan(t, a, append([]string{"scan"}, tt.args...)...)
			if code != 0 || stderr != "" {
				t.Fatalf("status %d, stderr %q", code, stderr)
			}
			got := scanRows(stdout)
			for port, want := range tt.rows {
				// The service column comes from this machine's /etc/services.
				p, _ := strconv.Atoi(strings.Split(port, "/")[0])
				name := services.Name(uint16(p), strings.Split(port, "/")[1])
				if name == "" {
					name = "unknown"
				}
				f := strings.Fields(want)
				want = f[0] + " " + name + " " + f[2]
				if got[port] != want {
					t.Errorf("%s: got %q, want %q in\n%s", port, got[port], want, stdout)
				}
			}
			if len(got) != len(tt.rows) || !strings.Contains(stdout, tt.summary) {
				t.Errorf("got %d rows, want %d, and a summary with %q:\n%s", len(got), len(tt.rows), tt.summary, stdout)
			}
		})
	}
	t.Run("json", func(t *testing.T) {
		code, stdout, stderr := runScan(t, a, "scan", "--json", "-p", "22,81,8080", "198.51.100.2")
		if code != 0 || stderr != "" {
			t.Fatalf("status %d, stderr %q", code, stderr)
		}
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		if len(lines) != 4 {
			t.Fatalf("got %d lines, want 3 ports and a summary:\n%s", len(lines), stdout)
		}
		var ports []scanPortJSON
		for _, l := range lines[:3] {
			var p scanPortJSON
			if err := json.Unmarshal([]byte(l), &p); err != nil {
				t.Fatalf("%v: %s", err, l)
			}
			ports = append(ports, p)
		}
		if p := ports[0]; p.Port != 22 || p.State != "open" || p.Reason != "syn-ack" || p.TTL != 64 || p.From != "198.51.100.2" || p.RTTms <= 0 {
			t.Errorf("port 22: got %+v", p)
		}
		if p := ports[2]; p.Port != 8080 || p.State != "filtered" || p.Reason != "no-response" || p.Probes != 2 || p.TTL != 0 {
			t.Errorf("port 8080: got %+v", p)
		}
		var sum scanSummaryJSON
		if err := json.Unmarshal([]byte(lines[3]), &sum); err != nil || sum.Type != "summary" || sum.Ports != 3 ||
			sum.Open != 1 || sum.Closed != 1 || sum.Filtered != 1 || sum.ProbesSent != 4 || sum.Interrupted {
			t.Errorf("summary: got %+v, %v", sum, err)
		}
	})
}

// TestScanSignals interrupts a scan whose first 100 ports (22 and 80 open,
// the rest closed) are decided and whose dropped ports still wait: the binary prints the ports decided and
// the summary, and exits 130 after SIGINT, 143 after SIGTERM.
func TestScanSignals(t *testing.T) {
	a, b := scanLab(t)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			before := dropped(t, b)
			// With 100 probes at most waiting, the first probe to a dropped
			// port leaves only once all of 1-100 have their answers.
			cmd := a.Command(netlab.Binary(t), "scan", "-r", "--parallel", "100", "--timeout", "1m", "--retries", "0",
				"-p", "1-100,2000-2999", "198.51.100.2")
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			a.Start(cmd)
			deadline := time.Now().Add(30 * time.Second)
			for dropped(t, b) < before+100 {
				if time.Now().After(deadline) {
					t.Fatalf("the probes never reached the dropped ports; stderr %q", errb.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			cmd.Process.Signal(sig)
			cmd.Wait()
			if code, want := cmd.ProcessState.ExitCode(), 128+int(sig); code != want {
				t.Errorf("exit status %d, want %d; stderr %q", code, want, errb.String())
			}
			stdout := out.String()
			for _, want := range []string{
				"Not shown: 98 closed tcp ports (reset)",
				"22/tcp open  ssh",
				"interrupted: 100 of 1100 ports of 198.51.100.2 scanned in ",
				": 2 open, 98 closed (",
			} {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
			if errb.Len() != 0 {
				t.Errorf("stderr: %q", errb.String())
			}
		})
	}
}

var nftPackets = regexp.MustCompile(`counter packets (\d+)`)

// dropped returns how many probes the lab's counted drop rule has dropped.
func dropped(t *testing.T, b *netlab.Host) int {
	m := nftPackets.FindStringSubmatch(b.MustRun("nft", "list", "table", "inet", "scantest"))
	if m == nil {
		t.Fatal("no counter in the lab's nftables table")
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestScanWithoutCapability runs the binary as root without CAP_NET_RAW
// (dropped from its bounding set by setpriv): the default falls back to a
// connect scan and says so, --syn and --udp fail with one line naming the
// capability.
func TestScanWithoutCapability(t *testing.T) {
	netlab.RequireTool(t, "setpriv")
	a, _ := scanLab(t)
	drop := []string{"--bounding-set", "-net_raw", "--inh-caps", "-net_raw", netlab.Binary(t), "scan"}
	t.Run("default", func(t *testing.T) {
		code, stdout, stderr := runIn(t, a, "setpriv", append(drop, "-p", "22,81", "198.51.100.2")...)
		if code != 0 {
			t.Fatalf("status %d, stderr %q", code, stderr)
		}
		if !strings.Contains(stderr, "a SYN scan needs CAP_NET_RAW") || !strings.Contains(stderr, "running a connect scan instead") ||
			strings.Count(stderr, "\n") != 1 {
			t.Errorf("stderr: got %q, want one line saying the scan falls back to connect", stderr)
		}
		rows := scanRows(stdout)
		if !strings.Contains(stdout, "(connect scan, 2 tcp ports)") || !strings.HasPrefix(rows["22/tcp"], "open ") ||
			!strings.HasPrefix(rows["81/tcp"], "closed ") || !strings.HasSuffix(rows["81/tcp"], " conn-refused") {
			t.Errorf("not a connect scan's table:\n%s", stdout)
		}
	})
	for _, flag := range []string{"--syn", "--udp"} {
		t.Run(flag, func(t *testing.T) {
			code, stdout, stderr := runIn(t, a, "setpriv", append(drop, flag, "-p", "53", "198.51.100.2")...)
			if code != 2 || stdout != "" {
				t.Errorf("status %d, stdout %q; want 2 and nothing", code, stdout)
			}
			if !strings.HasPrefix(stderr, "rawsock: scan: ") || !strings.Contains(stderr, "needs CAP_NET_RAW") ||
				!strings.Contains(stderr, "setcap") || strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr: got %q, want one line naming CAP_NET_RAW and the fix", stderr)
			}
		})
	}
}
