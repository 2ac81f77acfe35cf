package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rawsock/rawsock/internal/netlab"
)

// udpBurstPy sends datagrams of the sizes in argv[2:] (each filled with a
// byte of its own index) to argv[1] as fast as Python's socket module goes,
// then reads one answer per datagram and checks that each came back whole
// and in order. It prints "SENT <bytes>" and, per answer, "ECHO <i> ok" or
// "ECHO <i> bad <length>".
const udpBurstPy = `
import socket, sys
host, port = sys.argv[1].rsplit(":", 1)
sizes = [int(a) for a in sys.argv[2:]]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
s.settimeout(10)
msgs = [bytes([i % 251]) * n for i, n in enumerate(sizes)]
for m in msgs:
    s.sendto(m, (host, int(port)))
print("SENT", sum(sizes), flush=True)
for i, m in enumerate(msgs):
    got = s.recv(65536)
    print("ECHO", i, "ok" if got == m else "bad %d" % len(got), flush=True)
`

// A UDP listener receives datagrams in batches and writes them to stdout
// in big chunks, yet each datagram stays one message: a burst of datagrams
// of every size from none to the largest UDP carries arrives whole and in
// order on stdout, and --echo answers each with itself, as Python's socket
// module sees them. The listener asks for a large receive buffer.
func TestListenUDPBurst(t *testing.T) {
	py := netlab.Python(t)
	srv := startRun(t, strings.NewReader(""), "listen", "-v", "-k", "--echo", "udp", "127.0.0.1:0")
	addr := waitMatch(t, &srv.stderr, listeningRE)
	buf, err := strconv.Atoi(waitMatch(t, &srv.stderr, regexp.MustCompile(`receive buffer: SO_RCVBUF=(\d+)`)))
	if err != nil || buf <= 212992 {
		t.Errorf("listen's receive buffer: got %d (%v), want more than the usual default of 212992", buf, err)
	}
	var sizes []string
	var want bytes.Buffer
	for i := range 600 {
		n := (i * 37) % 1500
		switch i {
		case 7:
			n = 0
		case 300:
			n = 65507 // the largest UDP payload over IPv4
		}
		sizes = append(sizes, strconv.Itoa(n))
		want.Write(bytes.Repeat([]byte{byte(i % 251)}, n))
	}
	out, err := exec.Command(py, append([]string{"-c", udpBurstPy, addr}, sizes...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("python peer: %v\n%s", err, out)
	}
	if got := strings.Count(string(out), " ok\n"); got != len(sizes) {
		t.Errorf("python got %d of %d datagrams back unchanged:\n%s", got, len(sizes), out)
	}
	waitLen(t, &srv.stdout, want.Len())
	if got := srv.stdout.String(); got != want.String() {
		t.Errorf("listen's stdout: %d bytes, want the %d bytes sent, in order", len(got), want.Len())
	}
}

// waitLen waits until w holds at least n bytes.
func waitLen(t *testing.T, w fmt.Stringer, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(w.String()) < n && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
}

// -x still shows every UDP datagram as a message of its own, empty ones
// included, when they arrive together.
func TestListenUDPHexPerDatagram(t *testing.T) {
	py := netlab.Python(t)
	srv := startRun(t, strings.NewReader(""), "listen", "-v", "-x", "-k", "udp", "127.0.0.1:0")
	addr := waitMatch(t, &srv.stderr, listeningRE)
	host, port, _ := strings.Cut(addr, ":")
	script := fmt.Sprintf(`
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for m in (b"one", b"", b"three"):
    s.sendto(m, (%q, %s))
print(s.getsockname()[1], flush=True)
`, host, port)
	out, err := exec.Command(py, "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("python peer: %v\n%s", err, out)
	}
	from := "127.0.0.1:" + strings.TrimSpace(string(out))
	want := "< 3 bytes from " + from + "\n00000000  6f 6e 65                                          |one|\n" +
		"< 0 bytes from " + from + "\n" +
		"< 5 bytes from " + from + "\n00000000  74 68 72 65 65                                    |three|\n"
	waitMatch(t, &srv.stdout, regexp.MustCompile(`(three\|\n)$`))
	if got := srv.stdout.String(); got != want {
		t.Errorf("listen -x output:\n%s\nwant:\n%s", got, want)
	}
}
