package scan

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rawsock/rawsock/internal/netlab"
)

// The lab tests scan host b of a netlab.Pair from host a. The target's
// ports, and what each is made to do:
//
//	tcp 22, 80    listeners
//	tcp 81        nothing listens: the kernel answers RST
//	tcp 8080      an nftables rule drops the SYN
//	tcp 8443      an nftables rule answers ICMP administratively prohibited
//	udp 53        a service that answers every datagram
//	udp 161       a listener that never answers
//	udp 54        nothing listens: the kernel answers ICMP port unreachable
//	udp 5000      an nftables rule drops the datagram
//	udp 5001      an nftables rule answers ICMP administratively prohibited
var (
	labTCPPorts = []uint16{22, 80, 81, 8080, 8443}
	labUDPPorts = []uint16{53, 54, 161, 5000, 5001}
)

// labTarget makes h the scan target described above, with no ICMP rate
// limit, so that every closed UDP port gets its port unreachable however
// fast the scan.
func labTarget(t *testing.T, h *netlab.Host) {
	t.Helper()
	netlab.RequireTool(t, "nft")
	h.Sysctl("net.ipv4.icmp_ratelimit", "0")
	h.Sysctl("net.ipv6.icmp.ratelimit", "0")
	h.MustRun("nft", strings.Join([]string{
		"add table inet scanlab",
		"add chain inet scanlab in { type filter hook input priority 0 ; policy accept ; }",
		"add rule inet scanlab in tcp dport 8080 drop",
		"add rule inet scanlab in udp dport 5000 drop",
		"add rule inet scanlab in tcp dport 8443 reject with icmpx type admin-prohibited",
		"add rule inet scanlab in udp dport 5001 reject with icmpx type admin-prohibited",
	}, " ; "))
	h.MustDo(func() error {
		for _, port := range []string{"22", "80"} {
			l, err := net.Listen("tcp", "[::]:"+port)
			if err != nil {
				return err
			}
			t.Cleanup(func() { l.Close() })
		}
		for _, port := range []string{"53", "161"} {
			c, err := net.ListenPacket("udp", "[::]:"+port)
			if err != nil {
				return err
			}
			t.Cleanup(func() { c.Close() })
			if port == "53" {
				go answerUDP(c)
			}
		}
		return nil
	})
}

// answerUDP answers every datagram c receives with "ok", until c closes.
func answerUDP(c net.PacketConn) {
	buf := make([]byte, 2048)
	for {
		_, from, err := c.ReadFrom(buf)
		if err != nil {
			return
		}
		c.WriteTo([]byte("ok"), from)
	}
}

// labWant is what a scan of the lab target must find: the state and reason
// of each port.
func labWant(m Method, v6 bool) map[uint16]Result {
	if m == UDP {
		return map[uint16]Result{
			53:   {State: Open, Reason: ReasonUDPResponse},
			54:   {State: Closed, Reason: ReasonPortUnreach},
			161:  {State: OpenFiltered, Reason: ReasonNoResponse},
			5000: {State: OpenFiltered, Reason: ReasonNoResponse},
			5001: {State: Filtered, Reason: ReasonAdminProhibited},
		}
	}
	want := map[uint16]Result{
		22:   {State: Open, Reason: ReasonSynAck},
		80:   {State: Open, Reason: ReasonSynAck},
		81:   {State: Closed, Reason: ReasonReset},
		8080: {State: Filtered, Reason: ReasonNoResponse},
		8443: {State: Filtered, Reason: ReasonAdminProhibited},
	}
	if m == Connect {
		want[81] = Result{State: Closed, Reason: ReasonConnRefused}
		if !v6 {
			// IPv4's administratively prohibited reaches connect(2) as
			// EHOSTUNREACH; IPv6's as EACCES.
			want[8443] = Result{State: Filtered, Reason: ReasonHostUnreach}
		}
	}
	return want
}

// labScan runs a scan from host h: the prober is opened, and for a
// connect scan every probe's socket too, inside h's namespace.
func labScan(t *testing.T, h *netlab.Host, cfg *Config) *Report {
	t.Helper()
	var r *Report
	h.MustDo(func() error {
		p, err := NewProber(cfg.Method, cfg.Target, cfg.Timeout)
		if err != nil {
			return err
		}
		cfg.Prober = p
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		r, err = Run(ctx, cfg)
		return err
	})
	return r
}

// TestLabAgainstNmap scans the lab target with each method over IPv4 and
// IPv6, checks every port's state and reason, and checks that nmap, run
// in the same lab with the same retries, finds the same state for every
// port.
func TestLabAgainstNmap(t *testing.T) {
	netlab.RequireTool(t, "nmap")
	a, b := netlab.Pair(t)
	labTarget(t, b)
	for _, v6 := range []bool{false, true} {
		target := target4
		if v6 {
			target = target6
		}
		for _, m := range []Method{SYN, UDP, Connect} {
			t.Run(fmt.Sprintf("%v %v", m, target), func(t *testing.T) {
				ports := labTCPPorts
				if m == UDP {
					ports = labUDPPorts
				}
				r := labScan(t, a, &Config{Target: target, Ports: ports, Method: m, Retries: 1, Timeout: time.Second, MinTimeout: 100 * time.Millisecond})
				want := labWant(m, v6)
				if len(r.Results) != len(want) || r.Interrupted {
					t.Fatalf("got %d results, want %d: %+v", len(r.Results), len(want), r.Results)
				}
				for _, got := range r.Results {
					w := want[got.Port]
					if got.State != w.State || got.Reason != w.Reason {
						t.Errorf("port %d: got %v %v, want %v %v", got.Port, got.State, got.Reason, w.State, w.Reason)
					}
					if m != Connect && got.Reason != ReasonNoResponse && (got.TTL != 64 || got.From != target) {
						t.Errorf("port %d: answer from %v with TTL %d, want the target's 64", got.Port, got.From, got.TTL)
					}
				}
				nm := nmapScan(t, a, m, target, ports, "-p", joinPorts(ports))
				for _, got := range r.Results {
					if n, ok := nm.states[got.Port]; !ok || n != got.State.String() {
						t.Errorf("port %d: we say %v, nmap says %q", got.Port, got.State, n)
					}
				}
			})
		}
	}
	// --top N must be nmap's --top-ports N, and agree port for port.
	t.Run("top 100", func(t *testing.T) {
		if !hasNmapServices() {
			t.Skip("needs nmap's nmap-services for the ranking")
		}
		ports, source := TopPorts(100, "tcp")
		r := labScan(t, a, &Config{Target: target4, Ports: ports, Method: SYN, Retries: 1, Timeout: time.Second, MinTimeout: 100 * time.Millisecond})
		nm := nmapScan(t, a, SYN, target4, nil, "--top-ports", "100")
		if len(nm.scanned) != 100 || len(r.Results) != 100 {
			t.Fatalf("nmap scanned %d ports, we %d (%s ranking), want 100 each", len(nm.scanned), len(r.Results), source)
		}
		for _, got := range r.Results {
			if !nm.scanned[got.Port] {
				t.Errorf("port %d is in our top 100, not in nmap's", got.Port)
			}
			want := "closed"
			if n, ok := nm.states[got.Port]; ok {
				want = n // nmap lists the ports that are not in its "Not shown" line
			}
			if got.State.String() != want {
				t.Errorf("port %d: we say %v, nmap says %s", got.Port, got.State, want)
			}
		}
	})
}

// nmapResult is what nmap's XML output says of one scan.
type nmapResult struct {
	states  map[uint16]string // the ports nmap lists one by one
	scanned map[uint16]bool   // every port scanned, from <scaninfo services=…>
}

// nmapScan runs nmap in h against target with the method's scan type and
// the retries and timing of the lab scans, and reads its XML output.
func nmapScan(t *testing.T, h *netlab.Host, m Method, target netip.Addr, ports []uint16, portArgs ...string) nmapResult {
	t.Helper()
	typ := map[Method]string{SYN: "-sS", UDP: "-sU", Connect: "-sT"}[m]
	args := []string{"nmap", typ, "-n", "-Pn", "--max-retries", "1", "-oX", "-"}
	if target.Is6() {
		args = append(args, "-6")
	}
	args = append(append(args, portArgs...), target.String())
	out := h.MustRun(args...)
	var doc struct {
		ScanInfo struct {
			Services string `xml:"services,attr"`
		} `xml:"scaninfo"`
		Ports []struct {
			ID    uint16 `xml:"portid,attr"`
			State struct {
				State string `xml:"state,attr"`
			} `xml:"state"`
		} `xml:"host>ports>port"`
	}
	if err := xml.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("nmap's XML: %v\n%s", err, out)
	}
	res := nmapResult{states: map[uint16]string{}, scanned: map[uint16]bool{}}
	for _, p := range doc.Ports {
		res.states[p.ID] = p.State.State
	}
	list, err := ParsePorts(doc.ScanInfo.Services)
	if err != nil {
		t.Fatalf("nmap's scaninfo services %q: %v", doc.ScanInfo.Services, err)
	}
	for _, p := range list {
		res.scanned[p] = true
	}
	return res
}

func joinPorts(ports []uint16) string {
	s := make([]string, len(ports))
	for i, p := range ports {
		s[i] = strconv.Itoa(int(p))
	}
	return strings.Join(s, ",")
}

func hasNmapServices() bool {
	_, source := TopPorts(1, "tcp")
	return source == "nmap-services"
}

// TestLabReset checks with tcpdump on the target that the scanner answers a
// SYN-ACK with a RST of its own (IP identification and sequence number as
// the codec makes them), beside the one its kernel sends, and that the
// target is left with no connection, half-open or established.
func TestLabReset(t *testing.T) {
	netlab.RequireTool(t, "tcpdump")
	a, b := netlab.Pair(t)
	labTarget(t, b)
	for _, target := range []netip.Addr{target4, target6} {
		dump := startTcpdump(t, b, "(ip and tcp[tcpflags] & tcp-rst != 0) or (ip6 proto 6 and ip6[40+13] & 4 != 0)")
		var p *rawProber
		a.MustDo(func() (err error) {
			p, err = openRaw(SYN, target, testKey)
			return err
		})
		if err := p.Probe(22); err != nil {
			t.Fatal(err)
		}
		select {
		case rep := <-p.Replies():
			if rep.Port != 22 || rep.State != Open {
				t.Fatalf("got %+v, want 22 open", rep)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no SYN-ACK from port 22")
		}
		sport := p.c.sport
		seq := p.c.seq(22) + 1
		// Both RSTs: ours, and the kernel's, which has no socket for the
		// connection either.
		out := dump.waitFor(t, 2)
		p.Close()
		ours := fmt.Sprintf("%d > %s.22: Flags [R], cksum", sport, target)
		if !strings.Contains(out, ours) || !strings.Contains(out, fmt.Sprintf("seq %d, win 0", seq)) {
			t.Errorf("no RST from port %d with seq %d in:\n%s", sport, seq, out)
		}
		if target.Is4() && !strings.Contains(out, fmt.Sprintf("id %d, offset 0, flags [none]", uint16(testKey>>48)^22)) {
			t.Errorf("our RST (IP id %d, no DF) is not among:\n%s", uint16(testKey>>48)^22, out)
		}
		if ss := b.MustRun("ss", "-Htn", "state", "syn-recv", "state", "established"); strings.TrimSpace(ss) != "" {
			t.Errorf("the target kept connections:\n%s", ss)
		}
	}
}

// tcpdump is a capture running in a lab host.
type tcpdump struct {
	out *lockedBuffer
}

// startTcpdump starts tcpdump -v on h's eth0 with a filter, and returns
// once it captures.
func startTcpdump(t *testing.T, h *netlab.Host, filter string) *tcpdump {
	t.Helper()
	d := &tcpdump{out: &lockedBuffer{}}
	cmd := h.Command("tcpdump", "-i", "eth0", "-n", "-l", "-v", filter)
	cmd.Env = append(cmd.Environ(), "TZ=UTC")
	cmd.Stdout, cmd.Stderr = d.out, d.out
	h.Start(cmd)
	d.waitText(t, "listening on")
	return d
}

// waitFor waits until n RSTs have been printed, and returns the output.
func (d *tcpdump) waitFor(t *testing.T, n int) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		out := d.out.String()
		if strings.Count(out, "Flags [R]") >= n {
			time.Sleep(50 * time.Millisecond) // let the last lines through
			return d.out.String()
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("tcpdump printed fewer than %d RSTs:\n%s", n, d.out.String())
	return ""
}

func (d *tcpdump) waitText(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(d.out.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("tcpdump did not print %q:\n%s", s, d.out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// lockedBuffer is a bytes.Buffer that a process writes while a test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
