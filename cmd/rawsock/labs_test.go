package main

// The security labs of the README, as tests: an IGMP querier answered by a
// member's kernel, a spoofed source that arrives (and what stops it), and
// fragments that arrive exactly as crafted, with what the receiving kernel
// does with them. Every lab is made of namespaces of the test's own.

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rawsock/rawsock/capture"
	"github.com/rawsock/rawsock/internal/netlab"
)

// TestLabIGMPQuerier: a member namespace joins a group with rawsock igmp; a
// querier namespace sends a crafted query, general or for the group, IGMPv2
// or IGMPv3; the member's kernel answers with a report, which rawsock sniff
// captures on the querier's side. rawsock read prints the capture as
// tcpdump does, and tshark decodes it without complaint.
func TestLabIGMPQuerier(t *testing.T) {
	tshark := netlab.RequireTool(t, "tshark")
	tcpdump := netlab.RequireTool(t, "tcpdump")
	bin := netlab.Binary(t)
	tests := []struct {
		name    string
		version string // the member's force_igmp_version
		query   string
		lines   []string // rawsock read -n without the times: the query, then the answer
		tshark  []string // in tshark's one-line and -V output
	}{
		{"v2 general", "2", "ip()/igmp(type=v2-query, mrcode=10)",
			[]string{"IP 198.51.100.1 > 224.0.0.1: igmp query v2 [max resp time 10]",
				"IP 198.51.100.2 > 239.1.2.3: igmp v2 report 239.1.2.3"},
			[]string{"Membership Query, general", "Membership Report group 239.1.2.3"}},
		{"v2 group", "2", "ip()/igmp(type=v2-query, mrcode=10, gaddr=239.1.2.3)",
			[]string{"IP 198.51.100.1 > 239.1.2.3: igmp query v2 [max resp time 10] [gaddr 239.1.2.3]",
				"IP 198.51.100.2 > 239.1.2.3: igmp v2 report 239.1.2.3"},
			[]string{"Membership Query, specific for group 239.1.2.3", "Membership Report group 239.1.2.3"}},
		{"v3 general", "3", "ip()/igmp(type=v3-query, mrcode=10)",
			[]string{"IP 198.51.100.1 > 224.0.0.1: igmp query v3 [max resp time 1.0s]",
				"IP 198.51.100.2 > 224.0.0.22: igmp v3 report, 1 group record(s)"},
			[]string{"Membership Query, general", "Membership Report", "Mode Is Exclude", "Multicast Address: 239.1.2.3"}},
		{"v3 group", "3", "ip()/igmp(type=v3-query, mrcode=10, gaddr=239.1.2.3)",
			[]string{"IP 198.51.100.1 > 239.1.2.3: igmp query v3 [max resp time 1.0s] [gaddr 239.1.2.3]",
				"IP 198.51.100.2 > 224.0.0.22: igmp v3 report, 1 group record(s)"},
			[]string{"Membership Query, specific for group 239.1.2.3", "Membership Report", "Mode Is Exclude", "Multicast Address: 239.1.2.3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			querier, member := netlab.Pair(t)
			member.Sysctl("net.ipv4.conf.eth0.force_igmp_version", tt.version)
			// The reports the join sends of itself go out 10 ms apart, so
			// they are over long before the query.
			member.Sysctl("net.ipv4.conf.eth0.igmpv2_unsolicited_report_interval", "10")
			member.Sysctl("net.ipv4.conf.eth0.igmpv3_unsolicited_report_interval", "10")
			join := member.Command(bin, "igmp", "join", "239.1.2.3", "-I", "eth0", "--duration", "1m")
			var joined sniffBuffer
			join.Stdout, join.Stderr = &joined, &joined
			member.Start(join)
			waitUntil(t, "the member joins", func() bool { return strings.Contains(joined.String(), "joined 239.1.2.3 on eth0") })
			time.Sleep(500 * time.Millisecond)

			file := filepath.Join(t.TempDir(), "querier.pcapng")
			sniff, _, stderr := startSniff(t, querier, "-i", "eth0", "-U", "-w", file, "igmp")
			if code, out := sendIn(t, querier, bin, "-I", "eth0", tt.query); code != 0 {
				t.Fatalf("send %s: status %d: %s", tt.query, code, out)
			}
			waitUntil(t, "the member's report", func() bool {
				return strings.Contains(labRead(t, bin, file), "IP 198.51.100.2 > ")
			})
			stop(t, sniff, syscall.SIGINT, stderr)

			got := withoutTimes(labRead(t, bin, file))
			if strings.Join(got, "\n") != strings.Join(tt.lines, "\n") {
				t.Errorf("the querier captured\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.lines, "\n"))
			}
			if captured, _, _ := summary(t, stderr.String()); captured != len(got) {
				t.Errorf("sniff says %d captured, the file holds %d", captured, len(got))
			}
			theirs, err := runTool(tcpdump, "-n", "-r", file)
			if err != nil {
				t.Fatalf("tcpdump: %v\n%s", err, theirs)
			}
			if w := withoutTimes(theirs); strings.Join(w, "\n") != strings.Join(got, "\n") {
				t.Errorf("tcpdump reads the file as\n%s\nrawsock as\n%s", strings.Join(w, "\n"), strings.Join(got, "\n"))
			}
			brief, err1 := runTool(tshark, "-n", "-r", file)
			full, err2 := runTool(tshark, "-n", "-V", "-r", file)
			if err := errors.Join(err1, err2); err != nil {
				t.Fatalf("tshark: %v\n%s", err, brief)
			}
			for _, want := range tt.tshark {
				if !strings.Contains(brief+full, want) {
					t.Errorf("tshark does not say %q:\n%s", want, brief)
				}
			}
			for _, bad := range []string{"Malformed", "[Checksum Status: Bad]", "Expert Info (Error", "Expert Info (Warning"} {
				if strings.Contains(full, bad) {
					t.Errorf("tshark says %q:\n%s", bad, full)
				}
			}
		})
	}
}

// TestLabSpoofedSource: an attacker sends echo requests from a victim's
// address to a target one router away; the victim sits behind the
// target's other interface:
//
//	attacker ── router ── target ── victim
//	198.51.100.2   .1 | 203.0.113.1   .2 | 192.0.2.1   192.0.2.2
//
// Strict reverse-path filtering (rp_filter 1, BCP 38) on the router drops
// the packet at the first hop. Without it the packet reaches the target
// with the victim's source — rawsock sniff and tcpdump capture it there —
// but the target's own strict filter drops it, since the target reaches
// the victim through its other interface. With loose filtering (2) the
// target answers, and the answer goes to the victim, never to the
// attacker.
func TestLabSpoofedSource(t *testing.T) {
	netlab.RequireTool(t, "tcpdump")
	bin := netlab.Binary(t)
	l := netlab.New(t)
	attacker, router, target, victim := l.Host("attacker"), l.Host("router"), l.Host("target"), l.Host("victim")
	l.Link(attacker, []string{"198.51.100.2/24"}, router, []string{"198.51.100.1/24"})
	l.Link(router, []string{"203.0.113.1/24"}, target, []string{"203.0.113.2/24"})
	l.Link(target, []string{"192.0.2.1/24"}, victim, []string{"192.0.2.2/24"})
	attacker.MustRun("ip", "route", "add", "default", "via", "198.51.100.1")
	router.MustRun("ip", "route", "add", "192.0.2.0/24", "via", "203.0.113.2")
	target.MustRun("ip", "route", "add", "default", "via", "203.0.113.1")
	victim.MustRun("ip", "route", "add", "default", "via", "192.0.2.1")
	router.Sysctl("net.ipv4.ip_forward", "1")
	// The filter in force on an interface is the larger of "all" and the
	// interface's own (ip-sysctl.rst); a new namespace copies "all" from
	// the host's, so both are set.
	rpFilter := func(h *netlab.Host, mode string) {
		h.Sysctl("net.ipv4.conf.all.rp_filter", mode)
		h.Sysctl("net.ipv4.conf.eth0.rp_filter", mode)
	}

	dir := t.TempDir()
	files := map[string]string{}
	type running struct {
		cmd    *exec.Cmd
		stderr *sniffBuffer
	}
	var sniffs []running
	for _, h := range []*netlab.Host{attacker, target, victim} {
		files[h.Name] = filepath.Join(dir, h.Name+".pcap")
		cmd, _, stderr := startSniff(t, h, "-i", "eth0", "-U", "-w", files[h.Name], "icmp")
		sniffs = append(sniffs, running{cmd, stderr})
	}
	stopTcpdump := startCapture(t, target, "eth0", "icmp")
	spoof := func(seq int) {
		t.Helper()
		expr := "ip(src=192.0.2.2, dst=203.0.113.2)/icmp(id=77, seq=" + strconv.Itoa(seq) + `)/raw(load="spoofed")`
		if code, out := sendIn(t, attacker, bin, expr); code != 0 {
			t.Fatalf("send %s: status %d: %s", expr, code, out)
		}
	}
	rpDrops := func(h *netlab.Host) int {
		return kernelCounter(t, h, "/proc/net/netstat", "TcpExt", "IPReversePathFilter")
	}

	// 1. The router filters: the packet goes no further than its first hop.
	rpFilter(router, "1")
	rpFilter(target, "0")
	before := rpDrops(router)
	spoof(1)
	waitUntil(t, "the router's reverse-path drop", func() bool { return rpDrops(router) > before })

	// 2. The router lets it through; the target's strict filter drops it.
	rpFilter(router, "0")
	rpFilter(target, "1")
	before = rpDrops(target)
	spoof(2)
	waitUntil(t, "the target's reverse-path drop", func() bool { return rpDrops(target) > before })

	// 3. Loose filtering: the target answers — the victim.
	rpFilter(target, "2")
	spoof(3)
	waitUntil(t, "the answer at the victim", func() bool {
		return strings.Contains(labRead(t, bin, files["victim"]), "echo reply, id 77, seq 3")
	})

	tcpdumpFile := stopTcpdump()
	for _, s := range sniffs {
		stop(t, s.cmd, syscall.SIGINT, s.stderr)
	}
	const (
		request = "IP 192.0.2.2 > 203.0.113.2: ICMP echo request, id 77, seq %d, length 15"
		reply   = "IP 203.0.113.2 > 192.0.2.2: ICMP echo reply, id 77, seq 3, length 15"
	)
	seqs := func(n ...int) []string {
		var out []string
		for _, s := range n {
			out = append(out, strings.Replace(request, "%d", strconv.Itoa(s), 1))
		}
		return out
	}
	for _, c := range []struct {
		host string
		want []string
	}{
		{"attacker", seqs(1, 2, 3)}, // out, and nothing back
		{"target", seqs(2, 3)},      // the router kept the first
		{"victim", []string{reply}}, // the answer to the third
	} {
		got := withoutTimes(labRead(t, bin, files[c.host]))
		if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("%s captured\n%s\nwant\n%s", c.host, strings.Join(got, "\n"), strings.Join(c.want, "\n"))
		}
	}
	theirs, err := runTool("tcpdump", "-n", "-r", tcpdumpFile)
	if err != nil {
		t.Fatalf("tcpdump: %v\n%s", err, theirs)
	}
	if got := withoutTimes(theirs); strings.Join(got, "\n") != strings.Join(seqs(2, 3), "\n") {
		t.Errorf("tcpdump on the target captured\n%s\nwant the requests 2 and 3", strings.Join(got, "\n"))
	}
}

// TestLabFragmentsAsCrafted sends tiny and overlapping fragments, made by
// --frag and --frag-overlap and written by hand with ip(frag=…,
// flags=MF). rawsock sniff and tcpdump on the far side capture exactly the
// bytes --dry-run shows, in the order sent; the far kernel reassembles the
// tiny ones, in any order, and answers; it drops a datagram whose
// fragments overlap, whole (Linux since 4.19, as RFC 5722 asks of IPv6),
// even when the overlapping bytes agree; a fragment that only repeats bytes
// already held is ignored: the first copy wins.
func TestLabFragmentsAsCrafted(t *testing.T) {
	netlab.RequireTool(t, "tcpdump")
	a, b, bin := lab(t)
	// The ICMP echo request the hand-written fragments carry: 8 bytes of
	// header and 16 of data, cut into three pieces of 8.
	msg := dryRun(t, a, bin, `ip(dst=198.51.100.2)/icmp(id=23, seq=1)/raw(load="AAAAAAAABBBBBBBB")`)[0][20:]
	piece := func(id, frag int, mf bool, data []byte) string {
		flags := ""
		if mf {
			flags = "flags=MF, "
		}
		return "ip(dst=198.51.100.2, id=" + strconv.Itoa(id) + ", " + flags + "frag=" + strconv.Itoa(frag) +
			", proto=icmp)/raw(load=hex:" + hex.EncodeToString(data) + ")"
	}
	tests := []struct {
		name     string
		sends    [][]string // one rawsock send per element
		answered int        // the echo id answered, or 0 when the datagram is dropped
		data     string     // the data of the answer
	}{
		{"tiny", [][]string{{"--seed", "11", "--frag", "8", `ip(dst=198.51.100.2)/icmp(id=21, seq=1)/raw(load="tiny fragments!!")`}},
			21, "tiny fragments!!"},
		{"overlapping", [][]string{{"--seed", "12", "--frag", "16", "--frag-overlap", "8", `ip(dst=198.51.100.2)/icmp(id=22, seq=1)/raw(load="overlapping fragments")`}},
			0, ""},
		{"by hand, last first", [][]string{{piece(4323, 2, false, msg[16:24])}, {piece(4323, 0, true, msg[0:8])}, {piece(4323, 1, true, msg[8:16])}},
			23, "AAAAAAAABBBBBBBB"},
		{"by hand, overlapping with the same bytes", [][]string{{piece(4324, 0, true, msg[0:16])}, {piece(4324, 1, false, msg[8:24])}},
			0, ""},
		{"by hand, repeated with other bytes", [][]string{{piece(4325, 0, true, msg[0:8])}, {piece(4325, 1, true, msg[8:16])},
			{piece(4325, 1, true, []byte("ZZZZZZZZ"))}, {piece(4325, 2, false, msg[16:24])}},
			23, "AAAAAAAABBBBBBBB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "far.pcap")
			sniff, _, stderr := startSniff(t, b, "-i", "eth0", "-U", "-w", file, "ip")
			stopTcpdump := startCapture(t, b, "eth0", "ip")
			okBefore := kernelCounter(t, b, "/proc/net/snmp", "Ip", "ReasmOKs")
			failBefore := kernelCounter(t, b, "/proc/net/snmp", "Ip", "ReasmFails")
			var want [][]byte
			for _, args := range tt.sends {
				want = append(want, dryRun(t, a, bin, args...)...)
				if code, out := sendIn(t, a, bin, args...); code != 0 {
					t.Fatalf("send %v: status %d: %s", args, code, out)
				}
			}
			if tt.answered != 0 {
				waitUntil(t, "the echo reply", func() bool { return len(echoReplies(t, file)) > 0 })
			} else {
				waitUntil(t, "the reassembly failure", func() bool {
					return kernelCounter(t, b, "/proc/net/snmp", "Ip", "ReasmFails") > failBefore
				})
			}
			time.Sleep(200 * time.Millisecond) // a reply the kernel might still send
			stop(t, sniff, syscall.SIGINT, stderr)
			tcpdumpFile := stopTcpdump()

			for tool, f := range map[string]string{"rawsock sniff": file, "tcpdump": tcpdumpFile} {
				got := ipPackets(t, f, "198.51.100.1")
				if len(got) != len(want) {
					t.Errorf("%s captured %d packets from the sender, want the %d sent", tool, len(got), len(want))
					continue
				}
				for i := range want {
					if !bytes.Equal(got[i], want[i]) {
						t.Errorf("%s: packet %d is\n%x\nwant\n%x", tool, i+1, got[i], want[i])
					}
				}
			}
			replies := echoReplies(t, file)
			oks := kernelCounter(t, b, "/proc/net/snmp", "Ip", "ReasmOKs") - okBefore
			fails := kernelCounter(t, b, "/proc/net/snmp", "Ip", "ReasmFails") - failBefore
			if tt.answered == 0 {
				if len(replies) != 0 || oks != 0 || fails != 1 {
					t.Errorf("replies %v, reassembled %d, failed %d: want the datagram dropped", replies, oks, fails)
				}
				return
			}
			if len(replies) != 1 || replies[tt.answered] != tt.data || oks != 1 || fails != 0 {
				t.Errorf("replies %v, reassembled %d, failed %d: want one reassembly and the echo id %d answered with %q",
					replies, oks, fails, tt.answered, tt.data)
			}
		})
	}
}

// waitUntil polls cond until it holds, and fails t when it does not within
// 10 seconds. It waits for what must happen; it measures nothing.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(30 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 10s", what)
		}
	}
}

// labRead is rawsock read -n of file, times in UTC.
func labRead(t *testing.T, bin, file string) string {
	t.Helper()
	out, err := runTool(bin, "read", "-n", file)
	if err != nil && !strings.Contains(out, "reading from file") {
		t.Fatalf("rawsock read %s: %v\n%s", file, err, out)
	}
	return out
}

// withoutTimes returns the packet lines of tcpdump-style output without
// their times and without the "reading from file" line.
func withoutTimes(out string) []string {
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" || strings.HasPrefix(l, "reading from file") {
			continue
		}
		if _, rest, ok := strings.Cut(l, " "); ok {
			l = rest
		}
		lines = append(lines, l)
	}
	return lines
}

// kernelCounter reads one counter of /proc/net/snmp or /proc/net/netstat
// in h's namespace: pairs of lines, "Group: names…" then "Group: values…".
func kernelCounter(t *testing.T, h *netlab.Host, file, group, name string) int {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(h.MustRun("cat", file)))
	var names []string
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || f[0] != group+":" {
			continue
		}
		if names == nil {
			names = f
			continue
		}
		for i, n := range names {
			if n == name && i < len(f) {
				v, err := strconv.Atoi(f[i])
				if err != nil {
					t.Fatalf("%s %s: %q", file, name, f[i])
				}
				return v
			}
		}
		break
	}
	t.Fatalf("no %s %s in %s", group, name, file)
	return 0
}

// dryRun returns the bytes rawsock send --dry-run makes of args in h.
func dryRun(t *testing.T, h *netlab.Host, bin string, args ...string) [][]byte {
	t.Helper()
	out := h.MustRun(append([]string{bin, "send", "--dry-run", "--json"}, args...)...)
	var pkts [][]byte
	dec := json.NewDecoder(strings.NewReader(out))
	for {
		var p dryPacket
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("--dry-run --json: %v\n%s", err, out)
		}
		b, err := hex.DecodeString(p.Hex)
		if err != nil {
			t.Fatal(err)
		}
		pkts = append(pkts, b)
	}
	return pkts
}

// ipPackets returns the IPv4 packets from src in an Ethernet capture, in
// order, without link header or padding.
func ipPackets(t *testing.T, file, src string) [][]byte {
	t.Helper()
	var out [][]byte
	forEachIPv4(t, file, func(ip []byte) {
		if len(ip) >= 20 && netip.AddrFrom4([4]byte(ip[12:16])).String() == src {
			out = append(out, bytes.Clone(ip))
		}
	})
	return out
}

// echoReplies returns the data of the ICMP echo replies in an Ethernet
// capture, by echo id.
func echoReplies(t *testing.T, file string) map[int]string {
	t.Helper()
	out := map[int]string{}
	forEachIPv4(t, file, func(ip []byte) {
		ihl := int(ip[0]&0xf) * 4
		if len(ip) < ihl+8 || ip[9] != 1 || ip[ihl] != 0 || ip[6]&0x3f != 0 || ip[7] != 0 {
			return
		}
		out[int(ip[ihl+4])<<8|int(ip[ihl+5])] = string(ip[ihl+8:])
	})
	return out
}

func forEachIPv4(t *testing.T, file string, fn func(ip []byte)) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := capture.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	for {
		data, _, err := r.ReadPacket()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if len(data) < 34 || data[12] != 0x08 || data[13] != 0x00 {
			continue
		}
		ip := data[14:]
		if n := int(ip[2])<<8 | int(ip[3]); n >= 20 && n <= len(ip) {
			ip = ip[:n]
		}
		fn(ip)
	}
}
