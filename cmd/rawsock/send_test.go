package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/rawsock/rawsock/capture"
	"github.com/rawsock/rawsock/craft"
	"github.com/rawsock/rawsock/internal/netlab"
	"github.com/rawsock/rawsock/sockets"
)

// fakeWire stands for the sockets: it keeps what is sent and, when answer
// is set, hands back its answer to the last packet sent.
type fakeWire struct {
	mu     *sync.Mutex
	sent   *[][]byte
	answer func(sent []byte) []byte
	queue  chan []byte
}

func useFakeWire(t *testing.T, answer func([]byte) []byte) *[][]byte {
	t.Helper()
	var mu sync.Mutex
	sent := &[][]byte{}
	old := openWire
	openWire = func(first, iface string, reply bool) (wire, error) {
		return &fakeWire{mu: &mu, sent: sent, answer: answer, queue: make(chan []byte, 16)}, nil
	}
	t.Cleanup(func() { openWire = old })
	return sent
}

func (f *fakeWire) send(_ context.Context, p []byte, _ gopacket.LayerType) error {
	f.mu.Lock()
	*f.sent = append(*f.sent, bytes.Clone(p))
	f.mu.Unlock()
	if f.answer != nil {
		if a := f.answer(p); a != nil {
			f.queue <- a
		}
	}
	return nil
}

func (f *fakeWire) sendBatch(ctx context.Context, ps [][]byte, first gopacket.LayerType) (int, error) {
	for _, p := range ps {
		f.send(ctx, p, first)
	}
	return len(ps), nil
}

func (f *fakeWire) recv(ctx context.Context, buf []byte) (int, time.Time, gopacket.LayerType, error) {
	select {
	case a := <-f.queue:
		return copy(buf, a), time.Now(), layers.LayerTypeIPv4, nil
	case <-ctx.Done():
		return 0, time.Time{}, 0, ctx.Err()
	}
}

func (f *fakeWire) close() error { return nil }

// echoReply answers an ICMP echo request as a host would.
func echoReply(p []byte) []byte {
	st, err := craft.Decode(p, layers.LayerTypeIPv4)
	if err != nil || len(st) < 2 {
		return nil
	}
	ip, ok1 := st[0].(*craft.IPv4)
	m, ok2 := st[1].(*craft.ICMPv4)
	if !ok1 || !ok2 || m.Type != craft.ICMPEchoRequest {
		return nil
	}
	reply := craft.Stack{
		&craft.IPv4{Version: 4, TTL: 64, Src: ip.Dst, Dst: ip.Src},
		&craft.ICMPv4{Type: craft.ICMPEchoReply, ID: m.ID, Seq: m.Seq},
	}
	b, _ := reply.Bytes()
	return b
}

func TestSendDryRun(t *testing.T) {
	code, out, errs := runCLI(t, "", "send", "--dry-run", "--seed", "1",
		`ip(src=198.51.100.2, dst=203.0.113.2, id=1)/icmp(id=7, seq=1)/raw(load="hi")`)
	want := "IP 198.51.100.2 > 203.0.113.2 (ttl 64, id 1, len 30): icmp echo-request id 7 seq 1, 2 bytes\n" +
		"\t0x0000:  4500 001e 0001 0000 4001 14a6 c633 6402  E.......@....3d.\n" +
		"\t0x0010:  cb00 7102 0800 8f8e 0007 0001 6869       ..q.........hi\n"
	if code != 0 || out != want || errs != "" {
		t.Errorf("status %d, stderr %q, stdout:\n%s\nwant:\n%s", code, errs, out, want)
	}

	// A range gives one packet per value; --json carries an expression
	// that rebuilds each.
	code, out, _ = runCLI(t, "", "send", "--dry-run", "--json", "ip(src=198.51.100.2, dst=203.0.113.2)/tcp(dport=20-25)")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 6 {
		t.Fatalf("status %d, %d lines:\n%s", code, len(lines), out)
	}
	for _, l := range lines {
		var p dryPacket
		if err := json.Unmarshal([]byte(l), &p); err != nil {
			t.Fatal(err)
		}
		b, err := craft.Packets(p.Expr, nil)
		if err != nil || len(b) != 1 || hex.EncodeToString(b[0]) != p.Hex {
			t.Errorf("expr %s does not rebuild %s: %v", p.Expr, p.Hex, err)
		}
	}

	// -c goes round the expression's packets.
	_, out, _ = runCLI(t, "", "send", "--dry-run", "-c", "5", "ip(src=198.51.100.2, dst=203.0.113.2, ttl=[1,2])")
	if got := strings.Count(out, "(ttl 1,") + 10*strings.Count(out, "(ttl 2,"); got != 3+20 {
		t.Errorf("-c 5 over two packets: got\n%s", out)
	}

	// --frag shows each fragment.
	_, out, _ = runCLI(t, "", "send", "--dry-run", "--frag", "1480", "ip(src=198.51.100.2, dst=203.0.113.2, id=9)/icmp()/raw(size=2972)")
	if n := strings.Count(out, "\nIP ") + 1; n != 3 || !strings.Contains(out, "frag 185") || !strings.Contains(out, "frag 370") {
		t.Errorf("--frag 1480 of a 3000-byte packet: got %d fragments:\n%s", n, firstLines(out, 20))
	}
}

func firstLines(s string, n int) string {
	l := strings.SplitN(s, "\n", n+1)
	return strings.Join(l[:min(n, len(l))], "\n")
}

// TestSendWrite writes --dry-run packets to pcap and pcapng files, reads
// them back, and has tcpdump read them.
func TestSendWrite(t *testing.T) {
	dir := t.TempDir()
	expr := `ip(src=198.51.100.2, dst=203.0.113.2, id=1)/udp(sport=5000, dport=[53, 123])/raw(load="x")`
	want, err := craft.Packets(expr, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"out.pcap", "out.pcapng"} {
		path := filepath.Join(dir, name)
		code, out, errs := runCLI(t, "", "send", "--dry-run", "-w", path, expr)
		if code != 0 || !strings.Contains(out, "wrote 2 packets to "+path) {
			t.Fatalf("%s: status %d, stderr %q, stdout %q", name, code, errs, out)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		r, err := capture.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		if wantFormat := map[bool]capture.Format{false: capture.Pcap, true: capture.Pcapng}[strings.HasSuffix(name, "ng")]; r.Format() != wantFormat {
			t.Errorf("%s: format %v, want %v", name, r.Format(), wantFormat)
		}
		for i := 0; ; i++ {
			data, _, err := r.ReadPacket()
			if i == 0 && r.LinkType() != layers.LinkTypeRaw {
				// (a pcapng file says its link type in a block before the first packet)
				t.Errorf("%s: link type %v, want raw IP", name, r.LinkType())
			}
			if errors.Is(err, io.EOF) {
				if i != 2 {
					t.Errorf("%s: %d packets, want 2", name, i)
				}
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(data, want[i]) {
				t.Errorf("%s: packet %d is %x, want %x", name, i, data, want[i])
			}
		}
		f.Close()

		tcpdump := netlab.RequireTool(t, "tcpdump")
		out2, err := runTool(tcpdump, "-nr", path)
		if err != nil || strings.Count(out2, "198.51.100.2.5000 > 203.0.113.2.") != 2 {
			t.Errorf("tcpdump -r %s: %v\n%s", name, err, out2)
		}
	}
}

func TestSendUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"send"}, "missing EXPR"},
		{[]string{"send", "--dry-run", "ip(tll=3)"}, `unknown field "tll" in ip() at column 4; did you mean "ttl"?`},
		{[]string{"send", "--dry-run", "ip(ttl=300)"}, "ttl=300 in ip() is out of range 0-255 at column 8"},
		{[]string{"send", "--dry-run", "tcp()/ip()"}, "an expression starts with ether(), ip() or ip6()"},
		{[]string{"send", "--flood", "ip()"}, "--flood needs -c or --duration"},
		{[]string{"send", "--flood", "-c", "5", "--reply", "ip()"}, "cannot be combined"},
		{[]string{"send", "-i", "1s", "--rate", "5", "ip()"}, "give one"},
		{[]string{"send", "--frag", "4", "ip()"}, "at least 8 bytes"},
		{[]string{"send", "--frag-overlap", "8", "ip()"}, "--frag-overlap needs --frag"},
		{[]string{"send", "--frag", "16", "--frag-overlap", "16", "ip()"}, "less than the fragment size"},
		{[]string{"send", "ether()/ip()"}, "give the interface with -I"},
		{[]string{"send", "--frag", "8", "--dry-run", "ip6()"}, "--frag splits IPv4 packets"},
		{[]string{"send", "-c", "-1", "ip()"}, "bad -c -1"},
		{[]string{"send", "--dry-run", "--reply", "ip()"}, "--dry-run sends nothing"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			useFakeWire(t, nil)
			code, out, errs := runCLI(t, "", tt.args...)
			if code != 2 || !strings.Contains(errs, tt.want) || strings.Count(errs, "\n") != 1 || !strings.HasPrefix(errs, "rawsock: send: ") {
				t.Errorf("status %d, stdout %q, stderr %q; want 2 and one line with %q", code, out, errs, tt.want)
			}
		})
	}
}

// TestSendReply runs the send loop against a fake wire: answers are
// matched and printed, and the exit status says whether any came.
func TestSendReply(t *testing.T) {
	sent := useFakeWire(t, echoReply)
	code, out, errs := runCLI(t, "", "send", "--reply", "--seed", "3",
		"ip(src=198.51.100.2, dst=203.0.113.2)/icmp(seq=[1,2])")
	if code != 0 || len(*sent) != 2 || strings.Count(out, "reply to ") != 2 || !strings.Contains(out, "2 packets sent, 2 answered") {
		t.Errorf("status %d, %d sent, stderr %q, stdout:\n%s", code, len(*sent), errs, out)
	}
	if !strings.Contains(out, "icmp echo-reply") || !strings.Contains(out, " rtt=") {
		t.Errorf("reply lines lack the reply or its rtt:\n%s", out)
	}

	// Nothing answers a UDP datagram here: status 1.
	useFakeWire(t, echoReply)
	code, out, _ = runCLI(t, "", "send", "--reply", "--timeout", "50ms", "ip(src=198.51.100.2, dst=203.0.113.2)/udp()")
	if code != 1 || !strings.Contains(out, "no answer to 1 within 50ms") || !strings.Contains(out, "1 packets sent, 0 answered") {
		t.Errorf("unanswered: status %d:\n%s", code, out)
	}

	// --json: one line per packet, and the summary.
	useFakeWire(t, echoReply)
	code, out, _ = runCLI(t, "", "send", "--reply", "--json", "ip(src=198.51.100.2, dst=203.0.113.2)/icmp(seq=1)")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var line sentJSON
	var sum summaryJSON
	if code != 0 || len(lines) != 2 || json.Unmarshal([]byte(lines[0]), &line) != nil || json.Unmarshal([]byte(lines[1]), &sum) != nil {
		t.Fatalf("--json: status %d:\n%s", code, out)
	}
	if line.Answer != "reply" || line.RTTms == nil || !strings.Contains(line.ReplyEx, "type=echo-reply") || sum.Sent != 1 || sum.Answered == nil || *sum.Answered != 1 {
		t.Errorf("--json lines: %+v %+v", line, sum)
	}
}

// TestSendCounts checks -c, --frag and --flood against the fake wire:
// what goes out, not how fast.
func TestSendCounts(t *testing.T) {
	sent := useFakeWire(t, nil)
	code, out, _ := runCLI(t, "", "send", "-c", "5", "--rate", "10000", "ip(src=198.51.100.2, dst=203.0.113.2, ttl=[1,2])")
	if code != 0 || len(*sent) != 5 || out != "sent 5 packets\n" {
		t.Fatalf("-c 5: status %d, %d sent, %q", code, len(*sent), out)
	}
	for i, p := range *sent {
		if want := byte(1 + i%2); p[8] != want {
			t.Errorf("packet %d has ttl %d, want %d", i, p[8], want)
		}
	}

	sent = useFakeWire(t, nil)
	code, _, _ = runCLI(t, "", "send", "--frag", "1480", "ip(src=198.51.100.2, dst=203.0.113.2)/icmp()/raw(size=2972)")
	if code != 0 || len(*sent) != 3 {
		t.Fatalf("--frag: status %d, %d on the wire, want 3 fragments", code, len(*sent))
	}

	sent = useFakeWire(t, nil)
	code, out, _ = runCLI(t, "", "send", "--flood", "-c", "1000", "ip(src=198.51.100.2, dst=203.0.113.2)/udp(dport=1-100)")
	if code != 0 || len(*sent) != 1000 || !strings.HasPrefix(out, "sent 1000 packets in ") || !strings.Contains(out, "packets/s") {
		t.Fatalf("--flood -c 1000: status %d, %d sent, %q", code, len(*sent), out)
	}
	// Every port of the range goes out ten times, whichever sender sent it.
	ports := map[uint16]int{}
	for _, p := range *sent {
		ports[uint16(p[22])<<8|uint16(p[23])]++
	}
	for port := uint16(1); port <= 100; port++ {
		if ports[port] != 10 {
			t.Errorf("port %d sent %d times, want 10", port, ports[port])
		}
	}

	sent = useFakeWire(t, nil)
	code, _, _ = runCLI(t, "", "send", "--flood", "--duration", "100ms", "ip(src=198.51.100.2, dst=203.0.113.2)")
	if code != 0 || len(*sent) == 0 {
		t.Errorf("--flood --duration: status %d, %d sent", code, len(*sent))
	}
}

// runTool runs a program (tcpdump prints times in UTC) and returns its
// combined output.
func runTool(name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "TZ=UTC")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// lab is a two-host lab with the rawsock binary: a (198.51.100.1) sends,
// b (198.51.100.2) answers as the kernel does.
func lab(t *testing.T) (a, b *netlab.Host, bin string) {
	t.Helper()
	a, b = netlab.Pair(t)
	return a, b, netlab.Binary(t)
}

// sendIn runs rawsock send with args in host h and returns its status and
// output.
func sendIn(t *testing.T, h *netlab.Host, bin string, args ...string) (int, string) {
	t.Helper()
	cmd := h.Command(bin, append([]string{"send"}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String()
}

// startCapture runs tcpdump in h on iface, writing what filter selects to
// a file, and returns a function that stops it and returns the file.
func startCapture(t *testing.T, h *netlab.Host, iface, filter string) func() string {
	t.Helper()
	netlab.RequireTool(t, "tcpdump")
	file := filepath.Join(t.TempDir(), "capture.pcap")
	// --immediate-mode: with TPACKET_V3, libpcap otherwise hands packets
	// over only when a block fills or times out, after we may have stopped.
	cmd := h.Command("tcpdump", "--immediate-mode", "-i", iface, "-U", "-n", "-w", file, filter)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	h.Start(cmd)
	// tcpdump says "listening on" once its socket is open.
	buf := make([]byte, 512)
	var seen string
	for !strings.Contains(seen, "listening on") {
		n, err := stderr.Read(buf)
		if err != nil {
			t.Fatalf("tcpdump: %v: %s", err, seen)
		}
		seen += string(buf[:n])
	}
	go io.Copy(io.Discard, stderr)
	return func() string {
		time.Sleep(200 * time.Millisecond) // let the last packets reach the file
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		return file
	}
}

// TestLabEcho: crafted echo requests, IPv4 and IPv6, get the kernel's echo
// replies, which --reply prints; a host that is not there answers nothing.
func TestLabEcho(t *testing.T) {
	a, _, bin := lab(t)
	code, out := sendIn(t, a, bin, "--reply", `ip(dst=198.51.100.2)/icmp(type=echo-request, id=7, seq=[1,2])/raw(load="hello")`)
	if code != 0 || !strings.Contains(out, "reply to 1: IP 198.51.100.2 > 198.51.100.1") ||
		!strings.Contains(out, "icmp echo-reply id 7 seq 2, 5 bytes rtt=") || !strings.Contains(out, "2 packets sent, 2 answered") {
		t.Errorf("status %d:\n%s", code, out)
	}
	// Right after the lab is made, b may miss the first neighbour
	// solicitation (it has not joined the solicited-node group yet); the
	// kernel asks again a second later.
	code, out = sendIn(t, a, bin, "--reply", "--timeout", "5s", "ip6(dst=2001:db8::2)/icmp6(id=9, seq=3)")
	if code != 0 || !strings.Contains(out, "icmp6 echo-reply id 9 seq 3") {
		t.Errorf("ip6: status %d:\n%s", code, out)
	}
	code, out = sendIn(t, a, bin, "--reply", "--timeout", "300ms", "ip(dst=198.51.100.9)/icmp()")
	if code != 1 || !strings.Contains(out, "no answer to 1") {
		t.Errorf("nobody there: status %d:\n%s", code, out)
	}
}

// TestLabEther sends an ether() stack through AF_PACKET on the link and
// gets the answer.
func TestLabEther(t *testing.T) {
	a, b, bin := lab(t)
	mac := strings.TrimSpace(b.MustRun("cat", "/sys/class/net/eth0/address"))
	code, out := sendIn(t, a, bin, "-I", "eth0", "--reply", "ether(dst="+mac+")/ip(dst=198.51.100.2)/icmp(seq=4)")
	if code != 0 || !strings.Contains(out, "icmp echo-reply") || !strings.Contains(out, "1 packets sent, 1 answered") {
		t.Errorf("status %d:\n%s", code, out)
	}
}

// TestLabTCP: a SYN to a listening port gets a SYN-ACK, to a closed one an
// RST.
func TestLabTCP(t *testing.T) {
	a, b, bin := lab(t)
	b.MustDo(func() error {
		l, err := net.Listen("tcp", "198.51.100.2:8080")
		if err == nil {
			t.Cleanup(func() { l.Close() })
		}
		return err
	})
	code, out := sendIn(t, a, bin, "--reply", "ip(dst=198.51.100.2)/tcp(sport=40000, dport=8080, seq=1000, flags=S)")
	if code != 0 || !strings.Contains(out, "tcp 8080 > 40000 SA seq ") || !strings.Contains(out, " ack 1001 ") {
		t.Errorf("listening port: status %d:\n%s", code, out)
	}
	// -w keeps what was sent and what came back, in order.
	file := filepath.Join(t.TempDir(), "syn.pcapng")
	code, out = sendIn(t, a, bin, "--reply", "-w", file, "ip(dst=198.51.100.2)/tcp(sport=40001, dport=8081, seq=1000, flags=S)")
	if code != 0 || !strings.Contains(out, "tcp 8081 > 40001 RA seq 0 ack 1001") {
		t.Errorf("closed port: status %d:\n%s", code, out)
	}
	got, err := runTool("tcpdump", "-nr", file)
	if err != nil || !strings.Contains(got, "198.51.100.1.40001 > 198.51.100.2.8081: Flags [S]") ||
		!strings.Contains(got, "198.51.100.2.8081 > 198.51.100.1.40001: Flags [R.]") {
		t.Errorf("-w with --reply: %v\n%s", err, got)
	}
	// A UDP datagram to a closed port: the ICMP error quoting it.
	code, out = sendIn(t, a, bin, "--reply", "ip(dst=198.51.100.2)/udp(sport=5000, dport=33434)")
	if code != 0 || !strings.Contains(out, "icmp error to 1") || !strings.Contains(out, "port-unreachable quoting") {
		t.Errorf("closed UDP port: status %d:\n%s", code, out)
	}
}

// TestLabFragments: a 3000-byte echo request sent in three fragments over
// a 1500-byte link is reassembled by the receiving kernel and answered.
func TestLabFragments(t *testing.T) {
	a, b, bin := lab(t)
	stop := startCapture(t, b, "eth0", "src 198.51.100.1")
	code, out := sendIn(t, a, bin, "--reply", "--frag", "1480", "ip(dst=198.51.100.2, id=4242)/icmp(id=5, seq=1)/raw(size=2972)")
	file := stop()
	if code != 0 || !strings.Contains(out, "icmp echo-reply id 5 seq 1") {
		t.Fatalf("status %d:\n%s", code, out)
	}
	got, err := runTool("tcpdump", "-nv", "-r", file)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"id 4242, offset 0, flags [+]", "id 4242, offset 1480, flags [+]", "id 4242, offset 2960, flags [none]"} {
		if !strings.Contains(got, want) {
			t.Errorf("b did not capture a fragment with %q:\n%s", want, got)
		}
	}
	// Overlapping fragments are dropped whole by Linux: no answer.
	code, out = sendIn(t, a, bin, "--reply", "--timeout", "500ms", "--frag", "1480", "--frag-overlap", "8", "ip(dst=198.51.100.2)/icmp()/raw(size=2972)")
	if code != 1 {
		t.Errorf("overlapping fragments were answered: status %d:\n%s", code, out)
	}
}

// TestLabIGMP: IGMPv2 and IGMPv3 messages sent from a are captured in b and
// decoded by tshark as IGMP, with no malformed packet and no bad checksum.
func TestLabIGMP(t *testing.T) {
	a, b, bin := lab(t)
	tshark := netlab.RequireTool(t, "tshark")
	stop := startCapture(t, b, "eth0", "igmp")
	for _, expr := range []string{
		"ip()/igmp(type=v2-report, gaddr=239.1.2.3)",
		"ip()/igmp(type=v3-report, records=[{rtype=4, maddr=239.1.2.3}, {rtype=1, maddr=239.9.9.9, srcaddrs=[198.51.100.1]}])",
		"ether()/ip()/igmp(type=v2-leave, gaddr=239.1.2.3)",
		"ether()/ip()/igmp(type=v3-query, gaddr=239.1.2.3, srcaddrs=[198.51.100.7])",
	} {
		if code, out := sendIn(t, a, bin, "-I", "eth0", expr); code != 0 {
			t.Fatalf("%s: status %d: %s", expr, code, out)
		}
	}
	file := stop()
	got, err := runTool(tshark, "-r", file, "-V")
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, got)
	}
	if n := strings.Count(got, "Internet Group Management Protocol"); n != 4 {
		t.Errorf("tshark found %d IGMP messages, want 4:\n%s", n, got)
	}
	for _, bad := range []string{"Malformed", "incorrect", "[Checksum Status: Bad]", "Expert Info (Error"} {
		if strings.Contains(got, bad) {
			t.Errorf("tshark says %q:\n%s", bad, got)
		}
	}
	for _, want := range []string{"Membership Report", "Leave Group", "Membership Query", "Change To Exclude Mode", "Router Alert"} {
		if !strings.Contains(got, want) {
			t.Errorf("tshark output lacks %q", want)
		}
	}
}

// TestLabProto253: a packet of a protocol nobody implements arrives
// intact, header and payload, on a raw socket for that protocol.
func TestLabProto253(t *testing.T) {
	a, b, bin := lab(t)
	var s *sockets.Socket
	b.MustDo(func() (err error) {
		s, err = sockets.Open(sockets.INET, sockets.RAW, 253, nil)
		return err
	})
	defer s.Close()
	const expr = "ip(dst=198.51.100.2, proto=253)/raw(load=hex:00112233445566778899aabbccddeeff)"
	code, out := sendIn(t, a, bin, "--dry-run", "--json", "--seed", "7", expr)
	var want dryPacket
	if code != 0 || json.Unmarshal([]byte(out), &want) != nil {
		t.Fatalf("dry run: %d %s", code, out)
	}
	if code, out = sendIn(t, a, bin, "--seed", "7", expr); code != 0 {
		t.Fatalf("send: %d %s", code, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	buf := make([]byte, 2048)
	n, _, err := s.RecvFromInto(ctx, buf, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(buf[:n]); got != want.Hex {
		t.Errorf("received %s\n     sent %s", got, want.Hex)
	}
}
