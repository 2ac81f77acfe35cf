package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/sys/unix"

	"github.com/rawsock/rawsock/capture"
	"github.com/rawsock/rawsock/internal/netlab"
)

// replayFixture is the path of a file in pcaps/.
func replayFixture(name string) string { return filepath.Join("..", "..", "pcaps", name) }

// TestReplayBadInput: mistakes on the command line, files that cannot be
// read or replayed, and unknown interfaces are one line on stderr, found
// before any socket is opened (these run in the test's own namespace and
// send nothing).
func TestReplayBadInput(t *testing.T) {
	dir := t.TempDir()
	// A capture of a link type replay cannot re-frame (147, user 0).
	odd := filepath.Join(dir, "user0.pcap")
	f, err := os.Create(odd)
	if err != nil {
		t.Fatal(err)
	}
	w, err := capture.NewWriter(f, capture.Pcap, 147, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.WritePacket(gopacket.CaptureInfo{Timestamp: time.Unix(1, 0), CaptureLength: 4, Length: 4}, []byte{1, 2, 3, 4})
	w.Flush()
	f.Close()
	unreadable := filepath.Join(dir, "secret.pcap")
	os.WriteFile(unreadable, nil, 0)

	tcp := replayFixture("tcp.pcap")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{}, 2, "missing FILE"},
		{[]string{"--l3", tcp, tcp}, 2, "one FILE at a time"},
		{[]string{tcp}, 2, "where to? give -I IFACE"},
		{[]string{"-I", "nosuch0", tcp}, 2, "-I nosuch0: no such interface here: 'ip link' lists them"},
		{[]string{"--l3", filepath.Join(dir, "none.pcap")}, 2, "none.pcap: no such file or directory"},
		{[]string{"--l3", dir}, 2, "is a directory"},
		{[]string{"--l3", replayFixture("malformed/bad-magic.pcap")}, 1, "bad-magic.pcap: byte 0: not a pcap or pcapng file"},
		{[]string{"--l3", replayFixture("malformed/truncated-header.pcap")}, 1, "byte 0: truncated pcap file header"},
		{[]string{"--l3", odd}, 2, "link type 147 cannot be replayed: rawsock replays EN10MB, LINUX_SLL"},
		{[]string{"--l3", "--pps", "0", tcp}, 2, "bad --pps 0: want packets per second, above 0"},
		{[]string{"--l3", "--pps", "-5", tcp}, 2, "bad --pps -5"},
		{[]string{"--l3", "--pps", "fast", tcp}, 2, `invalid argument "fast" for "-p, --pps" flag`},
		{[]string{"--l3", "-x", "0", tcp}, 2, "bad -x 0: want a speed factor above 0"},
		{[]string{"--l3", "-x", "-2", tcp}, 2, "bad -x -2"},
		{[]string{"--l3", "--mbps", "0", tcp}, 2, "bad --mbps 0"},
		{[]string{"--l3", "--pps", "10", "-x", "2", tcp}, 2, "--multiplier and --pps both set the pace: give one"},
		{[]string{"--l3", "--topspeed", "--mbps", "5", tcp}, 2, "--mbps and --topspeed both set the pace"},
		{[]string{"--l3", "--loop", "0", tcp}, 2, "bad --loop 0: want how many times to replay the file, 1 or more (rawsock never loops forever)"},
		{[]string{"--l3", "-c", "-1", tcp}, 2, "bad -c -1"},
		{[]string{"--l3", "--batch", "5000", tcp}, 2, "bad --batch 5000"},
		{[]string{"--l3", "--duration", "-1s", tcp}, 2, "positive durations"},
		{[]string{"--l3", "--loop", "2", "-"}, 2, "--loop reads the file again: give a file, not standard input"},
		{[]string{"--l3", "--src", "198.51.100.300", tcp}, 2, `--src: rule "198.51.100.300": "198.51.100.300" is not an IPv4 or IPv6 address`},
		{[]string{"--l3", "--dst", "198.51.100.1=2001:db8::1", tcp}, 2, "--dst: rule \"198.51.100.1=2001:db8::1\" maps IPv4 to IPv6 or back"},
		{[]string{"--l3", "--dst", "198.51.100.7/24=203.0.113.0/24", tcp}, 2, "has bits set past its length: write 198.51.100.0/24"},
		{[]string{"--l3", "--src", "1.2.3.4,,5.6.7.8", tcp}, 2, "--src: empty rule"},
		{[]string{"--l3", "--ttl", "300", tcp}, 2, `--ttl: bad TTL "300": want N (0-255) to set it, or +N or -N to move it`},
		{[]string{"--l3", "--ttl", "+x", tcp}, 2, "--ttl: bad TTL"},
		{[]string{"--l3", "--smac", "02:00:00:00:00:01", tcp}, 2, "--smac and --dmac set Ethernet addresses: --l3 sends no Ethernet header"},
		{[]string{"-I", "lo", "--dmac", "02:00:00:00:01", tcp}, 2, `--dmac "02:00:00:00:01": want an Ethernet address`},
		{[]string{"-I", "lo", "--smac", "02-00-00-00-00-01-00-00", tcp}, 2, "--smac"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "", append([]string{"replay"}, tc.args...)...)
			if code != tc.code || stdout != "" {
				t.Errorf("status %d, stdout %q; want %d and nothing", code, stdout, tc.code)
			}
			if !strings.HasPrefix(stderr, "rawsock: replay: ") || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr %q, want one line with %q", stderr, tc.want)
			}
		})
	}
	if os.Geteuid() != 0 {
		code, _, stderr := runCLI(t, "", "replay", "--l3", unreadable)
		if code != 2 || !strings.Contains(stderr, "permission denied") {
			t.Errorf("unreadable file: status %d, stderr %q", code, stderr)
		}
	}
}

func TestReplayHelp(t *testing.T) {
	code, stdout, _ := runCLI(t, "", "replay", "--help")
	for _, want := range []string{"Usage: rawsock replay -I IFACE|--l3 [flags] FILE", "--topspeed", "--multiplier", "OLD/N=NEW/M",
		"ff:ff:ff:ff:ff:ff", "130 after SIGINT and 143 after SIGTERM", "Actual:"} {
		if code != 0 || !strings.Contains(stdout, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
}

// TestIsTerminal: a pseudo-terminal is one, a pipe and a buffer are not.
func TestIsTerminal(t *testing.T) {
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	defer ptmx.Close()
	if !isTerminal(ptmx) {
		t.Errorf("a pseudo-terminal master is not a terminal")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if isTerminal(w) || isTerminal(&bytes.Buffer{}) {
		t.Errorf("a pipe or a buffer is a terminal")
	}
}

// replayLab is a netlab.Pair whose hosts know each other's addresses in
// both families already, so that no neighbour discovery runs while a test
// replays; it returns a's Ethernet address too.
func replayLab(t *testing.T) (a, b *netlab.Host, bin, aMAC string) {
	t.Helper()
	a, b = netlab.Pair(t)
	netlab.RequireTool(t, "ping")
	for _, dst := range []string{"198.51.100.2", "2001:db8::2"} {
		var err error
		for try := 0; try < 3; try++ {
			if _, err = a.Run("ping", "-c", "1", "-W", "2", "-n", "-q", dst); err == nil {
				break
			}
		}
		if err != nil {
			t.Fatalf("lab: %v", err)
		}
	}
	aMAC = strings.TrimSpace(a.MustRun("cat", "/sys/class/net/eth0/address"))
	return a, b, netlab.Binary(t), aMAC
}

// replayCapture starts tcpdump on b's eth0, taking in only what arrives
// (-Q in) and what filter selects, and returns the function that stops it
// and returns the file.
func replayCapture(t *testing.T, b *netlab.Host, filter string) func() string {
	stop, _ := replayCaptureFile(t, b, filter)
	return stop
}

// replayCaptureFile is replayCapture that also returns the file's name at
// once, to watch it grow.
func replayCaptureFile(t *testing.T, b *netlab.Host, filter string) (stop func() string, file string) {
	t.Helper()
	netlab.RequireTool(t, "tcpdump")
	file = filepath.Join(t.TempDir(), "far.pcap")
	cmd := b.Command("tcpdump", "--immediate-mode", "-Q", "in", "-i", "eth0", "-U", "-n", "-w", file, filter)
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	b.Start(cmd)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stderr.String(), "listening on") {
		if time.Now().After(deadline) {
			t.Fatalf("tcpdump did not start: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return func() string {
		time.Sleep(300 * time.Millisecond) // let the last frames reach the file
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		return file
	}, file
}

// replayFrame is one frame of a capture file.
type replayFrame struct {
	data []byte
	ts   time.Time
	lt   layers.LinkType
}

func replayRead(t *testing.T, name string) []replayFrame {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := capture.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var out []replayFrame
	for {
		data, ci, err := r.ReadPacket()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, replayFrame{append([]byte(nil), data...), ci.Timestamp, r.Interface(ci.InterfaceIndex).LinkType})
	}
}

// replayIP returns the IP packet in a frame as gopacket decodes it (nil
// when there is none), and the bytes of it that rewriting may change: the
// addresses, the IPv4 header checksum, and the upper layer's checksum.
func replayIP(lt layers.LinkType, frame []byte) (ip []byte, changes []bool) {
	pkt := gopacket.NewPacket(frame, lt, gopacket.DecodeOptions{NoCopy: true})
	base := -1
	for _, l := range pkt.Layers() {
		off := cap(frame) - cap(l.LayerContents())
		mark := func(from, to int) {
			for i := off - base + from; i < off-base+to && i < len(changes); i++ {
				changes[i] = true
			}
		}
		switch l := l.(type) {
		case *layers.IPv4:
			if base < 0 {
				base, ip = off, frame[off:min(len(frame), off+int(l.Length))]
				changes = make([]bool, len(ip))
				mark(10, 20)
			}
		case *layers.IPv6:
			if base < 0 {
				base, ip = off, frame[off:min(len(frame), off+40+int(l.Length))]
				changes = make([]bool, len(ip))
				mark(8, 40)
			}
		case *layers.TCP:
			mark(16, 18)
		case *layers.UDP:
			mark(6, 8)
		case *layers.ICMPv4, *layers.ICMPv6, *layers.IGMP, *layers.IGMPv1or2:
			mark(2, 4)
		}
	}
	return ip, changes
}

// replayCompare checks that a replayed IP packet is the original but for
// what rewriting changes, and that it carries the lab's addresses: a's and
// b's IPv4 ones, and for IPv6 src6 and dst6.
func replayCompare(t *testing.T, what string, orig []byte, origChanges []bool, got []byte, src6, dst6 string) {
	t.Helper()
	if len(got) != len(orig) {
		t.Errorf("%s: %d bytes, the original %d:\n got %x\nwant %x", what, len(got), len(orig), got, orig)
		return
	}
	for i := range orig {
		if !origChanges[i] && got[i] != orig[i] {
			t.Errorf("%s: byte %d is %#02x, was %#02x:\n got %x\nwant %x", what, i, got[i], orig[i], got, orig)
			return
		}
	}
	src, dst := net.IP(got[12:16]), net.IP(got[16:20])
	wantSrc, wantDst := net.ParseIP("198.51.100.1"), net.ParseIP("198.51.100.2")
	if got[0]>>4 == 6 {
		src, dst = net.IP(got[8:24]), net.IP(got[24:40])
		wantSrc, wantDst = net.ParseIP(src6), net.ParseIP(dst6)
	}
	if !src.Equal(wantSrc) || !dst.Equal(wantDst) {
		t.Errorf("%s: %v > %v, want %v > %v", what, src, dst, wantSrc, wantDst)
	}
}

// replayChecksums has tshark check every checksum of a capture, and fails
// t for each it finds bad, and for anything malformed.
func replayChecksums(t *testing.T, file string) {
	t.Helper()
	tshark := netlab.RequireTool(t, "tshark")
	out, err := exec.Command(tshark, "-n", "-r", file,
		"-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
		"-Y", `ip.checksum.status == "Bad" or tcp.checksum.status == "Bad" or udp.checksum.status == "Bad" or `+
			`icmp.checksum.status == "Bad" or icmpv6.checksum.status == "Bad" or igmp.checksum.status == "Bad" or _ws.malformed`).Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	if s := strings.TrimSpace(string(out)); s != "" {
		t.Errorf("tshark finds bad checksums or malformed packets:\n%s", s)
	}
}

var replaySent = regexp.MustCompile(`Actual: (\d+) packets \((\d+) bytes\) sent in [0-9.]+ seconds\nRated: [0-9.]+ Bps, [0-9.]+ Mbps, [0-9.]+ pps\n`)

// replayCount returns how many packets the statistics say were sent.
func replayCount(t *testing.T, stdout string) int {
	t.Helper()
	m := replaySent.FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no statistics in %q", stdout)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestReplayRewriteInLab replays fixtures of every link type into the lab,
// their addresses rewritten to the lab's, at layer 2 and at layer 3. What
// arrives at the far side is every packet, in order, the same bytes but
// for the addresses and checksums, which tshark finds right.
func TestReplayRewriteInLab(t *testing.T) {
	a, b, bin, aMAC := replayLab(t)
	// Link-local destinations go out through the interface -I names. To
	// tell that from luck, a gets a second link whose fe80::/64 route comes
	// before eth0's, where the kernel would send them otherwise.
	aLL, bLL := linkLocal(t, a), linkLocal(t, b)
	a.MustRun("ip", "link", "add", "decoy0", "type", "veth", "peer", "name", "decoy1")
	a.MustRun("ip", "link", "set", "decoy0", "up")
	a.MustRun("ip", "link", "set", "decoy1", "up")
	a.MustRun("ip", "-6", "route", "del", "fe80::/64", "dev", "eth0")
	a.MustRun("ip", "-6", "route", "add", "fe80::/64", "dev", "eth0", "metric", "1024")
	a.MustRun("ping", "-c", "1", "-W", "2", "-n", "-q", "-I", "eth0", bLL+"%eth0") // b's link-local address resolved
	const smac = "02:00:00:00:aa:aa"
	fromA := "ether src " + aMAC + " and not arp and not (icmp6 and ip6[40] >= 133 and ip6[40] <= 137)"
	for _, mode := range []struct {
		name       string
		args       []string
		src6, dst6 string
		filter     string
		fixtures   []string
	}{
		// Frames sent at layer 2 carry --smac, which tells them from what
		// a's kernel sends itself.
		{"L2", []string{"-I", "eth0", "--smac", smac}, "2001:db8::1", "2001:db8::2", "ether src " + smac,
			[]string{"tcp.pcap", "udp.pcap", "any-sll.pcap", "any.pcap", "null.pcap", "raw.pcap"}},
		// At layer 3 a's kernel makes the frames: everything from a but
		// its own neighbour discovery.
		{"L3", []string{"--l3"}, "2001:db8::1", "2001:db8::2", fromA,
			[]string{"tcp.pcap", "udp.pcap", "any-sll.pcap", "null.pcap"}},
		{"L3 on eth0 to link-local", []string{"--l3", "-I", "eth0"}, aLL, bLL, fromA, []string{"null.pcap", "tcp.pcap"}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			rewrite := []string{"--src", "198.51.100.1," + mode.src6, "--dst", "198.51.100.2," + mode.dst6, "-x", "20"}
			stop := replayCapture(t, b, mode.filter)
			var want []replayFrame
			for _, name := range mode.fixtures {
				args := append(append(append([]string{"replay"}, mode.args...), rewrite...), replayFixture(name))
				code, stdout, stderr := runIn(t, a, bin, args...)
				if code != 0 || stderr != "" {
					t.Fatalf("%s: status %d, stderr %q", name, code, stderr)
				}
				sent := 0
				for _, f := range replayRead(t, replayFixture(name)) {
					ip, _ := replayIP(f.lt, f.data)
					if mode.name != "L2" && (ip == nil || isND(ip)) {
						continue // skipped (not IP) or filtered out (neighbour discovery)
					}
					want = append(want, f)
					if ip != nil || mode.name == "L2" {
						sent++
					}
				}
				if n := replayCount(t, stdout); n < sent {
					t.Errorf("%s: %d packets sent, want %d", name, n, sent)
				}
			}
			file := stop()
			got := replayRead(t, file)
			if len(got) != len(want) {
				t.Fatalf("%d packets arrived, want %d", len(got), len(want))
			}
			for i, w := range want {
				what := fmt.Sprintf("packet %d", i+1)
				orig, changes := replayIP(w.lt, w.data)
				ip, _ := replayIP(got[i].lt, got[i].data)
				if orig == nil {
					// Not IP (ARP, EtherType 0x88b5): the payload as it was.
					if _, off := linkHeader(w.lt); !bytes.Equal(got[i].data[14:], w.data[off:]) {
						t.Errorf("%s: got %x, want the payload of %x", what, got[i].data, w.data)
					}
					continue
				}
				if mode.name != "L2" && orig[0]>>4 == 4 && orig[4] == 0 && orig[5] == 0 && orig[6]&0x40 == 0 {
					changes[4], changes[5] = true, true // the kernel picks an id for id 0 without DF (raw(7))
				}
				replayCompare(t, what, orig, changes, ip, mode.src6, mode.dst6)
				if mode.name == "L2" {
					eth := got[i].data
					wantDst := "ff:ff:ff:ff:ff:ff"
					if w.lt == layers.LinkTypeEthernet {
						wantDst = net.HardwareAddr(w.data[:6]).String()
					}
					if dst := net.HardwareAddr(eth[:6]).String(); dst != wantDst {
						t.Errorf("%s: Ethernet destination %s, want %s", what, dst, wantDst)
					}
				}
			}
			replayChecksums(t, file)
		})
	}
}

// linkLocal returns the link-local address of h's eth0.
func linkLocal(t *testing.T, h *netlab.Host) string {
	t.Helper()
	out := h.MustRun("ip", "-6", "-o", "addr", "show", "dev", "eth0", "scope", "link")
	m := regexp.MustCompile(`inet6 (fe80::[0-9a-f:]+)/64`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no link-local address on %s's eth0: %q", h.Name, out)
	}
	return m[1]
}

// isND reports whether an IPv6 packet is neighbour or router discovery.
func isND(ip []byte) bool {
	return ip[0]>>4 == 6 && len(ip) > 40 && ip[6] == 58 && ip[40] >= 133 && ip[40] <= 137
}

// linkHeader returns a link type's header length for the fixtures here.
func linkHeader(lt layers.LinkType) (string, int) {
	switch lt {
	case layers.LinkTypeLinuxSLL:
		return "SLL", 16
	case layers.LinkTypeLinuxSLL2:
		return "SLL2", 20
	case layers.LinkTypeNull:
		return "NULL", 4
	case layers.LinkTypeRaw:
		return "RAW", 0
	}
	return "EN10MB", 14
}

// TestReplayLikeTcpreplay replays the same captures with tcpreplay and
// with rawsock into the same lab: the far side captures the same frames,
// byte for byte, in the same order.
func TestReplayLikeTcpreplay(t *testing.T) {
	tcpreplay := netlab.RequireTool(t, "tcpreplay")
	a, b, bin, aMAC := replayLab(t)
	for _, name := range []string{"tcp.pcap", "udp.pcap", "icmp.pcap", "ipv6.pcap"} {
		t.Run(name, func(t *testing.T) {
			var files [2]string
			for i, cmd := range [][]string{
				{bin, "replay", "-I", "eth0", "-x", "10", replayFixture(name)},
				{tcpreplay, "-q", "-i", "eth0", "-x", "10", replayFixture(name)},
			} {
				stop := replayCapture(t, b, "not ether src "+aMAC)
				if code, _, stderr := runIn(t, a, cmd[0], cmd[1:]...); code != 0 {
					t.Fatalf("%s: status %d: %s", filepath.Base(cmd[0]), code, stderr)
				}
				files[i] = stop()
			}
			ours, theirs := replayRead(t, files[0]), replayRead(t, files[1])
			if want := len(replayRead(t, replayFixture(name))); len(theirs) != want {
				t.Fatalf("tcpreplay's %d frames arrived, the file has %d", len(theirs), want)
			}
			if len(ours) != len(theirs) {
				t.Fatalf("%d frames arrived, tcpreplay's %d", len(ours), len(theirs))
			}
			for i := range ours {
				if !bytes.Equal(ours[i].data, theirs[i].data) {
					t.Errorf("frame %d:\nrawsock   %x\ntcpreplay %x", i+1, ours[i].data, theirs[i].data)
				}
			}
		})
	}
}

// replaySniff starts rawsock sniff -w on b's eth0 and returns the function
// that stops it and returns the file: the far side's kernel timestamps.
func replaySniff(t *testing.T, b *netlab.Host, bin, filter string) func() string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "sniff.pcap")
	cmd := b.Command(bin, "sniff", "-i", "eth0", "--nano", "-U", "-w", file, filter)
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	b.Start(cmd)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stderr.String(), "listening on") {
		if time.Now().After(deadline) {
			t.Fatalf("sniff did not start: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return func() string {
		time.Sleep(300 * time.Millisecond)
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		return file
	}
}

// TestReplayRate measures the pace at the far side, from the kernel's
// receive timestamps in a capture rawsock sniff takes there: --pps 200 for
// 200 packets, and -x 2 over a capture whose gaps the test chose, each
// within 5%.
func TestReplayRate(t *testing.T) {
	a, b, bin, _ := replayLab(t)
	const smac = "02:00:00:00:bb:bb"

	// A raw-IP capture of 101 packets, 5, 10 and 20 ms apart in turn:
	// 1.16 s in all, and re-framed as Ethernet for -I.
	gapsFile := filepath.Join(t.TempDir(), "gaps.pcap")
	f, err := os.Create(gapsFile)
	if err != nil {
		t.Fatal(err)
	}
	w, err := capture.NewWriter(f, capture.Pcap, layers.LinkTypeRaw, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Unix(1700000000, 0)
	var recorded time.Duration
	var gapsAt []time.Duration // when each packet is due, -x 2
	for i := range 101 {
		if i > 0 {
			gap := []time.Duration{5, 10, 20}[i%3] * time.Millisecond
			ts, recorded = ts.Add(gap), recorded+gap
		}
		gapsAt = append(gapsAt, recorded/2)
		p := []byte{0x45, 0, 0, 28, 0, byte(i), 0, 0, 64, 17, 0, 0, 198, 51, 100, 1, 198, 51, 100, 2, 0x30, 0x39, 0, 9, 0, 8, 0, 0}
		w.WritePacket(gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(p), Length: len(p)}, p)
	}
	w.Flush()
	f.Close()

	var ppsAt []time.Duration
	for i := range 200 {
		ppsAt = append(ppsAt, time.Duration(i)*5*time.Millisecond)
	}
	for _, tc := range []struct {
		name string
		args []string
		due  []time.Duration // when each packet is due, from the first
	}{
		{"pps 200", []string{"--pps", "200", "-c", "200", "--loop", "100", replayFixture("tcp.pcap")}, ppsAt},
		{"x2", []string{"-x", "2", gapsFile}, gapsAt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stop := replaySniff(t, b, bin, "ether src "+smac)
			code, stdout, stderr := runIn(t, a, bin, append([]string{"replay", "-I", "eth0", "--smac", smac, "--json"}, tc.args...)...)
			if code != 0 || stderr != "" {
				t.Fatalf("status %d, stderr %q", code, stderr)
			}
			n := len(tc.due)
			var sum replayJSON
			if err := json.Unmarshal([]byte(stdout), &sum); err != nil || sum.Type != "summary" || sum.Packets != int64(n) {
				t.Errorf("--json: %q (%v), want a summary of %d packets", stdout, err, n)
			}
			got := replayRead(t, stop())
			if len(got) != n {
				t.Fatalf("%d packets arrived, want %d", len(got), n)
			}
			// The pace is the slope of the arrival times over the times
			// due, fitted by least squares: 1 when the rate is as asked,
			// and not thrown by one packet the scheduler woke late.
			var at []time.Duration
			for _, f := range got {
				at = append(at, f.ts.Sub(got[0].ts))
			}
			slope := fitSlope(tc.due, at)
			span, want := at[n-1], tc.due[n-1]
			if slope < 0.95 || slope > 1.05 {
				t.Errorf("the far side saw the packets at %.3f times the pace asked, want 1 within 5%% (%d packets over %v, want %v)",
					1/slope, n, span, want)
			}
			t.Logf("%d packets over %v at the far side (want %v), pace %.4f of the asked; %.1f pps by the sender", n, span, want, 1/slope, sum.PPS)
		})
	}
}

// fitSlope returns the slope of the least-squares line through (x, y).
func fitSlope(x, y []time.Duration) float64 {
	var mx, my float64
	for i := range x {
		mx += x[i].Seconds()
		my += y[i].Seconds()
	}
	mx /= float64(len(x))
	my /= float64(len(y))
	var sxy, sxx float64
	for i := range x {
		dx := x[i].Seconds() - mx
		sxy += dx * (y[i].Seconds() - my)
		sxx += dx * dx
	}
	return sxy / sxx
}

// TestReplayFiles: a capture on standard input is replayed whole; from a
// damaged file, the packets before the damage are sent and the statistics
// printed, then one line with the byte offset, status 1.
func TestReplayFiles(t *testing.T) {
	a, b, bin, _ := replayLab(t)
	const smac = "02:00:00:00:cc:cc"
	stop := replayCapture(t, b, "ether src "+smac)
	pcap, err := os.ReadFile(replayFixture("udp.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := a.Command(bin, "replay", "-I", "eth0", "--smac", smac, "--topspeed", "-")
	var out bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(pcap), &out, &out
	if err := cmd.Run(); err != nil || replayCount(t, out.String()) != 14 {
		t.Errorf("udp.pcap on stdin: %v:\n%s", err, out.String())
	}
	if got := replayRead(t, stop()); len(got) != 14 {
		t.Errorf("%d of udp.pcap's 14 frames arrived", len(got))
	}

	stop = replayCapture(t, b, "ether src "+smac)
	code, stdout, stderr := runIn(t, a, bin, "replay", "-I", "eth0", "--smac", smac, replayFixture("malformed/truncated-record.pcap"))
	got := replayRead(t, stop())
	if code != 1 || replayCount(t, stdout) != 2 || len(got) != 2 {
		t.Errorf("status %d, %d packets arrived; want 1 and 2:\n%s", code, len(got), stdout)
	}
	if !strings.HasPrefix(stderr, "rawsock: replay: ") || !strings.Contains(stderr, "truncated-record.pcap: byte 140: truncated record: 42 of 100 bytes of packet data") ||
		strings.Count(stderr, "\n") != 1 {
		t.Errorf("stderr %q, want one line with the offset", stderr)
	}
}

var replayInterrupted = regexp.MustCompile(`\nInterrupted in loop \d+ of 100\n`)

// TestReplaySignals interrupts a long replay: the statistics so far are
// printed, and the status is 130 after SIGINT, 143 after SIGTERM.
func TestReplaySignals(t *testing.T) {
	a, b, bin, _ := replayLab(t)
	const smac = "02:00:00:00:dd:dd"
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			stop, file := replayCaptureFile(t, b, "ether src "+smac)
			// 24 packets at 100 a second, 100 times: 24 s, unless stopped.
			cmd := a.Command(bin, "replay", "-I", "eth0", "--smac", smac, "--pps", "100", "--loop", "100", replayFixture("tcp.pcap"))
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			a.Start(cmd)
			// Some packets are on their way once the far side's file holds
			// more than its header (24 bytes) and a record (16 and up).
			deadline := time.Now().Add(10 * time.Second)
			for {
				if st, err := os.Stat(file); err == nil && st.Size() > 24+16+60 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("nothing arrived: %s", errb.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			time.Sleep(200 * time.Millisecond)
			cmd.Process.Signal(sig)
			cmd.Wait()
			arrived := len(replayRead(t, stop()))
			if code, want := cmd.ProcessState.ExitCode(), 128+int(sig); code != want {
				t.Errorf("status %d, want %d; stderr %q", code, want, errb.String())
			}
			n := replayCount(t, out.String())
			if n == 0 || n >= 2400 || n != arrived || !replayInterrupted.MatchString(out.String()) {
				t.Errorf("%d packets sent, %d arrived:\n%s", n, arrived, out.String())
			}
			if errb.Len() != 0 {
				t.Errorf("stderr %q", errb.String())
			}
		})
	}
}

// TestReplayWithoutCapability: as nobody, or as root without CAP_NET_RAW,
// both outputs fail with one line naming the capability and the fix.
func TestReplayWithoutCapability(t *testing.T) {
	netlab.RequireTool(t, "setpriv")
	a, _ := netlab.Pair(t)
	bin := publicCopy(t, netlab.Binary(t))
	// The fixture must be readable by nobody too.
	dir, err := os.MkdirTemp("", "rawsock-replay-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	b, err := os.ReadFile(replayFixture("tcp.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "tcp.pcap")
	if err := os.WriteFile(file, b, 0o644); err != nil || os.Chmod(dir, 0o755) != nil {
		t.Fatal(err)
	}
	for _, drop := range [][]string{
		{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--"},
		{"setpriv", "--bounding-set", "-net_raw", "--inh-caps", "-net_raw", "--"},
	} {
		for _, out := range [][]string{{"-I", "eth0"}, {"--l3"}} {
			args := append(append(append(drop[1:], bin, "replay"), out...), file)
			code, stdout, stderr := runIn(t, a, drop[0], args...)
			if code != 2 || stdout != "" {
				t.Errorf("%v: status %d, stdout %q; want 2 and nothing", args, code, stdout)
			}
			if !strings.HasPrefix(stderr, "rawsock: replay: ") || !strings.Contains(stderr, "needs CAP_NET_RAW") ||
				!strings.Contains(stderr, "setcap cap_net_raw,cap_net_admin+ep "+bin) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("%v: stderr %q, want one line naming CAP_NET_RAW and the fix", args, stderr)
			}
		}
	}
}
