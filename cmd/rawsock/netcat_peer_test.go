package main

import (
	"bytes"
	"errors"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rawsock/rawsock/internal/netlab"
)

// ncPeerPy is the other side for the built binary, written with nothing but
// Python's socket module. As a server it prints "READY <address>", takes
// one client and answers "py:" + the upper-cased message (each message of a
// datagram or SEQPACKET socket; a stream's whole content once the client
// has half-closed), printing the TTL of IPv4 datagrams (IP_RECVTTL). As a
// client it sends its arguments as messages, half-closes a stream, and
// prints every message that comes back as "GOT <message>" until the end.
const ncPeerPy = `
import socket, sys, os
role, kind, addr = sys.argv[1], sys.argv[2], sys.argv[3]
fam, typ = {
    "tcp": (socket.AF_INET, socket.SOCK_STREAM), "tcp6": (socket.AF_INET6, socket.SOCK_STREAM),
    "udp": (socket.AF_INET, socket.SOCK_DGRAM), "udp6": (socket.AF_INET6, socket.SOCK_DGRAM),
    "unix": (socket.AF_UNIX, socket.SOCK_STREAM), "unixgram": (socket.AF_UNIX, socket.SOCK_DGRAM),
    "unixpacket": (socket.AF_UNIX, socket.SOCK_SEQPACKET),
}[kind]

def parse(a):
    if fam == socket.AF_UNIX:
        return "\0" + a[1:] if a.startswith("@") else a
    host, port = a.rsplit(":", 1)
    return (host.strip("[]"), int(port))

def show(a):
    if isinstance(a, bytes):
        return "@" + a[1:].decode() if a[:1] == b"\0" else a.decode()
    if isinstance(a, str):
        return a or "(unnamed)"
    return ("[%s]:%d" if fam == socket.AF_INET6 else "%s:%d") % (a[0], a[1])

s = socket.socket(fam, typ)
s.settimeout(10)
if role == "server":
    s.bind(parse(addr))
    if typ == socket.SOCK_DGRAM:
        if fam == socket.AF_INET:
            s.setsockopt(socket.IPPROTO_IP, 12, 1)  # IP_RECVTTL, which the module does not name
        print("READY", show(s.getsockname()), flush=True)
        data, anc, flags, peer = s.recvmsg(65536, 256)
        for level, t, d in anc:
            if level == socket.IPPROTO_IP and t == socket.IP_TTL:
                print("TTL", int.from_bytes(d[:4], sys.byteorder), flush=True)
        s.sendto(b"py:" + data.upper(), peer)
    else:
        s.listen(1)
        print("READY", show(s.getsockname()), flush=True)
        c, peer = s.accept()
        if typ == socket.SOCK_SEQPACKET:
            while True:
                m = c.recv(65536)
                if not m:
                    break
                c.send(b"py:" + m.upper())
        else:
            data = b""
            while True:
                m = c.recv(65536)
                if not m:
                    break
                data += m
            c.sendall(b"py:" + data.upper())
        c.close()
else:
    if typ == socket.SOCK_DGRAM and fam == socket.AF_UNIX:
        s.bind("\0rawsock-ncpy-%d" % os.getpid())
    s.connect(parse(addr))
    print("SOCKNAME", show(s.getsockname()), flush=True)
    for m in sys.argv[4:]:
        s.send(m.encode())
    if typ != socket.SOCK_DGRAM:
        s.shutdown(socket.SHUT_WR)
    while True:
        try:
            m = s.recv(65536)
        except socket.timeout:
            break
        if not m:
            break
        print("GOT", m.decode(), flush=True)
        if typ == socket.SOCK_DGRAM:
            break
`

// proc is a program running in the background with its output kept.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr lockedBuffer
	done           chan error
}

func startProc(t *testing.T, stdin string, name string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(name, args...), done: make(chan error, 1)}
	p.cmd.Stdin = strings.NewReader(stdin)
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
		p.done <- nil
	})
	return p
}

// wait returns the exit status.
func (p *proc) wait(t *testing.T) int {
	t.Helper()
	select {
	case err := <-p.done:
		p.done <- err
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(20 * time.Second):
		t.Fatalf("%s still running; stderr: %s", p.cmd.Path, p.stderr.String())
	}
	return -1
}

type peerCase struct {
	kind  string
	addr  func(t *testing.T) string
	dgram bool
	want  string // what the Python server answers "hello" (and "world")
}

func peerCases() []peerCase {
	fixed := func(s string) func(*testing.T) string { return func(*testing.T) string { return s } }
	path := func(t *testing.T) string { return filepath.Join(t.TempDir(), "peer.sock") }
	return []peerCase{
		{"tcp", fixed("127.0.0.1:0"), false, "py:HELLO WORLD"},
		{"tcp6", fixed("[::1]:0"), false, "py:HELLO WORLD"},
		{"udp", fixed("127.0.0.1:0"), true, "py:HELLO WORLD"},
		{"udp6", fixed("[::1]:0"), true, "py:HELLO WORLD"},
		{"unix", path, false, "py:HELLO WORLD"},
		{"unixgram", path, true, "py:HELLO WORLD"},
		{"unixpacket", path, false, "py:HELLO py:WORLD"},
	}
}

// The built rawsock connect against a server written with Python's socket
// module.
func TestConnectBinaryToPython(t *testing.T) {
	bin := netlab.Binary(t)
	py := netlab.Python(t)
	for _, tc := range peerCases() {
		t.Run(tc.kind, func(t *testing.T) {
			srv := startProc(t, "", py, "-c", ncPeerPy, "server", tc.kind, tc.addr(t))
			addr := waitMatch(t, &srv.stdout, regexp.MustCompile(`READY (\S+)`))
			args := []string{"connect", tc.kind, addr}
			switch tc.kind {
			case "unixpacket":
				args = append(args, "-b", "6")
			case "udp":
				args = append(args, "--ttl", "7")
			}
			if tc.dgram {
				args = append(args, "-q", "1s")
			}
			// -b 6 reads stdin six bytes at a time: two messages on a
			// SEQPACKET socket.
			cli := startProc(t, "hello world", bin, args...)
			if code := cli.wait(t); code != 0 {
				t.Fatalf("rawsock connect exited %d: %s", code, cli.stderr.String())
			}
			if got := cli.stdout.String(); got != tc.want {
				t.Errorf("rawsock printed %q, want the Python server's answer %q", got, tc.want)
			}
			if tc.kind == "udp" {
				if ttl := waitMatch(t, &srv.stdout, regexp.MustCompile(`TTL (\d+)`)); ttl != "7" {
					t.Errorf("Python received the datagram with TTL %s, want 7 (--ttl)", ttl)
				}
			}
		})
	}
}

// The built rawsock listen against a client written with Python's socket
// module.
func TestListenBinaryToPython(t *testing.T) {
	bin := netlab.Binary(t)
	py := netlab.Python(t)
	for _, tc := range peerCases() {
		t.Run(tc.kind, func(t *testing.T) {
			args := []string{"listen", "-v", tc.kind, tc.addr(t)}
			if tc.dgram {
				args = append(args, "-q", "500ms")
			}
			srv := startProc(t, "from rawsock", bin, args...)
			addr := waitMatch(t, &srv.stderr, listeningRE)
			cli := startProc(t, "", py, "-c", ncPeerPy, "client", tc.kind, addr, "hello", " world")
			if code := cli.wait(t); code != 0 {
				t.Fatalf("python exited %d: %s", code, cli.stderr.String())
			}
			if code := srv.wait(t); code != 0 {
				t.Fatalf("rawsock listen exited %d: %s", code, srv.stderr.String())
			}
			if got := srv.stdout.String(); got != "hello world" {
				t.Errorf("rawsock printed %q, want what Python sent", got)
			}
			if got, want := cli.stdout.String(), "GOT from rawsock\n"; !strings.Contains(got, want) {
				t.Errorf("Python received %q, want %q", got, want)
			}
			pyName := waitMatch(t, &cli.stdout, regexp.MustCompile(`SOCKNAME (\S+)`))
			if !strings.Contains(srv.stderr.String(), " from "+pyName) {
				t.Errorf("rawsock -v %q does not name the client %s", srv.stderr.String(), pyName)
			}
		})
	}
}

// Without the capability, binding a port below 1024 fails with one line
// that names it, and exit status 2. The binary runs with every capability
// dropped, in a namespace where ports below 1024 are privileged.
func TestListenWithoutPrivilege(t *testing.T) {
	h := netlab.Loopback(t)
	netlab.RequireTool(t, "setpriv")
	h.Sysctl("net.ipv4.ip_unprivileged_port_start", "1024")
	bin := netlab.Binary(t)
	cmd := h.Command("setpriv", "--inh-caps=-all", "--bounding-set=-all", bin, "listen", "tcp", "127.0.0.1:80")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Fatalf("got %v (stderr %q), want exit status 2", err, stderr.String())
	}
	line := stderr.String()
	if !strings.HasPrefix(line, "rawsock: listen: ") || strings.Count(line, "\n") != 1 ||
		!strings.Contains(line, "CAP_NET_BIND_SERVICE") || !strings.Contains(line, "use a port above 1023") {
		t.Errorf("got %q, want one line naming CAP_NET_BIND_SERVICE and what to do", line)
	}
	// The same as root in that namespace works: the refusal was the
	// capability, not the address.
	srv := startProc(t, "", "ip", "netns", "exec", h.NS, bin, "listen", "-v", "--timeout", "100ms", "tcp", "127.0.0.1:80")
	if code := srv.wait(t); code != 1 || !strings.Contains(srv.stderr.String(), "listening on 127.0.0.1:80") {
		t.Errorf("as root: got %d %q, want it to listen and time out", code, srv.stderr.String())
	}
}

// In a lab namespace of its own, the binary speaks IPv6 across a veth
// link, bound to its device, to an address that only exists there.
func TestNetcatAcrossLink(t *testing.T) {
	a, b := netlab.Pair(t)
	bin := netlab.Binary(t)
	srv := startProc(t, "", "ip", "netns", "exec", b.NS, bin, "listen", "-v", "--echo", "--bind-dev", "eth0", "tcp6", "[2001:db8::2]:7000")
	waitMatch(t, &srv.stderr, listeningRE)
	cli := startProc(t, "across the link", "ip", "netns", "exec", a.NS, bin, "connect", "-v", "-q", "1s", "tcp6", "[2001:db8::2]:7000")
	if code := cli.wait(t); code != 0 {
		t.Fatalf("connect exited %d: %s", code, cli.stderr.String())
	}
	if got := cli.stdout.String(); got != "across the link" {
		t.Errorf("echo across the link: got %q", got)
	}
	if !strings.Contains(cli.stderr.String(), "connected to [2001:db8::2]:7000 from [2001:db8::1]:") {
		t.Errorf("connect -v: %q", cli.stderr.String())
	}
	if !strings.Contains(srv.stderr.String(), "SO_BINDTODEVICE=eth0") {
		t.Errorf("listen -v: %q lacks the device option", srv.stderr.String())
	}
}
