package sockets

import (
	"bufio"
	"bytes"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rawsock/rawsock/internal/netlab"
)

// peerPy is the other side of the conversations, written with nothing but
// Python's socket module. As a server it prints "READY <address>", takes
// one client, and answers "py:" + the upper-cased message (each message of
// a SEQPACKET or datagram socket on its own; a stream once the client has
// half-closed). As a client it sends its message, half-closes, and prints
// what came back. Both print the peer's and their own address in rawsock's
// syntax.
const peerPy = `
import socket, sys
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
    if a is None or a == "" or a == b"":
        return "unnamed"
    if isinstance(a, bytes):
        return "@" + a[1:].decode() if a[:1] == b"\0" else a.decode()
    if isinstance(a, str):
        return a
    return ("[%s]:%d" if fam == socket.AF_INET6 else "%s:%d") % (a[0], a[1])

def answer(data):
    return b"py:" + data.upper()

s = socket.socket(fam, typ)
s.settimeout(10)
if role == "server":
    s.bind(parse(addr))
    if typ == socket.SOCK_DGRAM:
        print("READY", show(s.getsockname()), flush=True)
        data, peer = s.recvfrom(65536)
        s.sendto(answer(data), peer)
        print("PEER", show(peer), flush=True)
    else:
        s.listen(1)
        print("READY", show(s.getsockname()), flush=True)
        c, peer = s.accept()
        print("PEER", show(peer), flush=True)
        if typ == socket.SOCK_SEQPACKET:
            while True:
                m = c.recv(65536)
                if not m:
                    break
                c.send(answer(m))
        else:
            data = b""
            while True:
                m = c.recv(65536)
                if not m:
                    break
                data += m
            c.sendall(answer(data))
        c.close()
else:
    msgs = sys.argv[4:]
    if typ == socket.SOCK_DGRAM and fam == socket.AF_UNIX:
        s.bind("\0rawsock-py-%d" % __import__("os").getpid())  # so the server can answer
    s.connect(parse(addr))
    print("SOCKNAME", show(s.getsockname()), flush=True)
    for m in msgs:
        s.send(m.encode())
    if typ == socket.SOCK_STREAM:
        s.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            m = s.recv(65536)
            if not m:
                break
            data += m
        print("REPLY", data.decode(), flush=True)
    else:
        for m in msgs:
            print("REPLY", s.recv(65536).decode(), flush=True)
`

type pyProc struct {
	cmd  *exec.Cmd
	out  *bufio.Reader
	errb bytes.Buffer
}

func startPython(t *testing.T, args ...string) *pyProc {
	t.Helper()
	py := netlab.Python(t)
	p := &pyProc{cmd: exec.Command(py, append([]string{"-c", peerPy}, args...)...)}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stderr = &p.errb
	p.out = bufio.NewReader(stdout)
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		p.cmd.Wait()
	})
	return p
}

// line returns the value of the next line starting with key.
func (p *pyProc) line(t *testing.T, key string) string {
	t.Helper()
	done := make(chan string, 1)
	go func() {
		for {
			l, err := p.out.ReadString('\n')
			if err != nil {
				done <- "\x00" + err.Error()
				return
			}
			if v, ok := strings.CutPrefix(strings.TrimSuffix(l, "\n"), key+" "); ok {
				done <- v
				return
			}
		}
	}()
	select {
	case v := <-done:
		if strings.HasPrefix(v, "\x00") {
			t.Fatalf("python ended before printing %s: %s; stderr: %s", key, v[1:], p.errb.String())
		}
		return v
	case <-time.After(20 * time.Second):
		t.Fatalf("python printed no %s line; stderr: %s", key, p.errb.String())
	}
	return ""
}

type pyCase struct {
	kind string
	f    Family
	ty   Type
	addr func(t *testing.T) string
}

func pyCases() []pyCase {
	path := func(name string) func(t *testing.T) string {
		return func(t *testing.T) string { return filepath.Join(t.TempDir(), name) }
	}
	fixed := func(a string) func(t *testing.T) string { return func(*testing.T) string { return a } }
	return []pyCase{
		{"tcp", INET, STREAM, fixed("127.0.0.1:0")},
		{"tcp6", INET6, STREAM, fixed("[::1]:0")},
		{"udp", INET, DGRAM, fixed("127.0.0.1:0")},
		{"udp6", INET6, DGRAM, fixed("[::1]:0")},
		{"unix", UNIX, STREAM, path("stream.sock")},
		{"unix-abstract", UNIX, STREAM, func(t *testing.T) string { return abstractName(t).Name }},
		{"unixgram", UNIX, DGRAM, path("dgram.sock")},
		{"unixpacket", UNIX, SEQPACKET, path("packet.sock")},
	}
}

func pyKind(kind string) string { return strings.TrimSuffix(kind, "-abstract") }

// A Python server, a rawsock client.
func TestPythonServerRawsockClient(t *testing.T) {
	for _, tc := range pyCases() {
		t.Run(tc.kind, func(t *testing.T) {
			py := startPython(t, "server", pyKind(tc.kind), tc.addr(t))
			srv, err := ParseAddr(tc.f, py.line(t, "READY"))
			if err != nil {
				t.Fatal(err)
			}
			c := mustOpen(t, tc.f, tc.ty, 0)
			c.SetTimeout(10 * time.Second)
			if tc.f == UNIX && tc.ty == DGRAM {
				c.Bind(Unix("")) // a name for Python to answer to
			}
			if err := c.Connect(bg, srv); err != nil {
				t.Fatal(err)
			}
			msgs := []string{"hello", "from rawsock"}
			if tc.ty == DGRAM {
				msgs = msgs[:1]
			}
			for _, m := range msgs {
				if _, err := c.SendAll(bg, []byte(m), 0); err != nil {
					t.Fatal(err)
				}
			}
			var replies []string
			switch tc.ty {
			case STREAM:
				c.CloseWrite()
				b, err := io.ReadAll(c)
				if err != nil {
					t.Fatal(err)
				}
				replies = []string{string(b)}
			default:
				for range msgs {
					b, err := c.Recv(bg, 1000, 0)
					if err != nil {
						t.Fatal(err)
					}
					replies = append(replies, string(b))
				}
			}
			want := []string{"py:HELLO", "py:FROM RAWSOCK"}
			switch tc.ty {
			case STREAM:
				want = []string{"py:HELLOFROM RAWSOCK"}
			case DGRAM:
				want = want[:1]
			}
			if strings.Join(replies, "|") != strings.Join(want, "|") {
				t.Errorf("replies: got %q, want %q", replies, want)
			}
			own, _ := c.SockName()
			ownStr := own.String()
			if ownStr == "" {
				ownStr = "unnamed"
			}
			if got := py.line(t, "PEER"); got != ownStr {
				t.Errorf("Python saw the client as %q, rawsock's SockName says %q", got, ownStr)
			}
		})
	}
}

// A rawsock server, a Python client.
func TestRawsockServerPythonClient(t *testing.T) {
	for _, tc := range pyCases() {
		t.Run(tc.kind, func(t *testing.T) {
			a, err := ParseAddr(tc.f, tc.addr(t))
			if err != nil {
				t.Fatal(err)
			}
			l, la := listener(t, tc.f, tc.ty, a)
			l.SetTimeout(10 * time.Second)
			msgs := []string{"hello", "from python"}
			if tc.ty == DGRAM {
				msgs = msgs[:1]
			}
			py := startPython(t, append([]string{"client", pyKind(tc.kind), la.String()}, msgs...)...)
			pyName := py.line(t, "SOCKNAME")
			var peer Addr
			switch tc.ty {
			case DGRAM:
				b, from, err := l.RecvFrom(bg, 1000, 0)
				if err != nil {
					t.Fatal(err)
				}
				peer = from
				l.SendTo(bg, append([]byte("go:"), bytes.ToUpper(b)...), 0, from)
			default:
				conn, from, err := l.Accept(bg)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				conn.SetTimeout(10 * time.Second)
				peer = from
				if tc.ty == SEQPACKET {
					for {
						m, err := conn.Recv(bg, 1000, 0)
						if err != nil {
							t.Fatal(err)
						}
						if len(m) == 0 {
							break
						}
						conn.Send(bg, append([]byte("go:"), bytes.ToUpper(m)...), 0)
						if string(m) == msgs[len(msgs)-1] {
							break
						}
					}
				} else {
					all, err := io.ReadAll(conn)
					if err != nil {
						t.Fatal(err)
					}
					conn.SendAll(bg, append([]byte("go:"), bytes.ToUpper(all)...), 0)
					conn.CloseWrite()
				}
			}
			peerStr := "unnamed"
			if peer != nil && peer.String() != "" {
				peerStr = peer.String()
			}
			if peerStr != pyName {
				t.Errorf("rawsock saw the client as %q, Python's getsockname says %q", peerStr, pyName)
			}
			var want []string
			switch tc.ty {
			case STREAM:
				want = []string{"go:HELLOFROM PYTHON"}
			case SEQPACKET:
				want = []string{"go:HELLO", "go:FROM PYTHON"}
			default:
				want = []string{"go:HELLO"}
			}
			for _, w := range want {
				if got := py.line(t, "REPLY"); got != w {
					t.Errorf("Python received %q, want %q", got, w)
				}
			}
		})
	}
}
