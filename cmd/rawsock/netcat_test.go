package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer that a running command and the test can
// share.
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

// waitMatch waits until re matches what w holds and returns the first
// submatch.
func waitMatch(t *testing.T, w fmt.Stringer, re *regexp.Regexp) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(w.String()); m != nil {
			return m[len(m)-1]
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no match for %v in %q", re, w.String())
	return ""
}

var listeningRE = regexp.MustCompile(`listening on (\S+) \(`)

// chunks is a stdin that returns one string per Read, as a terminal or a
// pipe written in pieces would, and then EOF (or blocks, when hold is set,
// until released).
type chunks struct {
	mu    sync.Mutex
	parts []string
	hold  chan struct{}
}

func (c *chunks) Read(p []byte) (int, error) {
	c.mu.Lock()
	if len(c.parts) > 0 {
		n := copy(p, c.parts[0])
		c.parts = c.parts[1:]
		c.mu.Unlock()
		time.Sleep(10 * time.Millisecond) // let each block go out on its own
		return n, nil
	}
	c.mu.Unlock()
	if c.hold != nil {
		<-c.hold
	}
	return 0, io.EOF
}

// bg is one in-process rawsock run in the background.
type bg struct {
	stdout, stderr lockedBuffer
	code           chan int
	cancel         context.CancelFunc
}

func startRun(t *testing.T, stdin io.Reader, args ...string) *bg {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	b := &bg{code: make(chan int, 1), cancel: cancel}
	go func() { b.code <- run(ctx, args, stdin, &b.stdout, &b.stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-b.code:
		case <-time.After(10 * time.Second):
			t.Errorf("rawsock %s did not end when cancelled", strings.Join(args, " "))
		}
	})
	return b
}

func (b *bg) wait(t *testing.T) int {
	t.Helper()
	select {
	case c := <-b.code:
		b.code <- c // for the cleanup
		return c
	case <-time.After(20 * time.Second):
		t.Fatalf("still running; stderr: %s", b.stderr.String())
	}
	return -1
}

type ncCase struct {
	proto string
	addr  func(t *testing.T) string
	dgram bool
}

func ncCases() []ncCase {
	fixed := func(s string) func(*testing.T) string { return func(*testing.T) string { return s } }
	path := func(t *testing.T) string { return filepath.Join(t.TempDir(), "nc.sock") }
	abstract := func(t *testing.T) string {
		return fmt.Sprintf("@rawsock-nc-%d", time.Now().UnixNano())
	}
	return []ncCase{
		{"tcp", fixed("127.0.0.1:0"), false},
		{"tcp6", fixed("[::1]:0"), false},
		{"udp", fixed("127.0.0.1:0"), true},
		{"udp6", fixed("[::1]:0"), true},
		{"unix", path, false},
		{"unix", abstract, false},
		{"unixgram", path, true},
		{"unixpacket", abstract, false},
	}
}

// listen and connect, in-process, talk to each other: each side's stdin
// arrives on the other's stdout, streams end by half-close, datagram runs
// by -q.
func TestNetcatInProcess(t *testing.T) {
	for _, tc := range ncCases() {
		t.Run(tc.proto+"/"+tc.addr(t)[:1], func(t *testing.T) {
			var quit []string
			if tc.dgram {
				quit = []string{"-q", "300ms"}
			}
			srv := startRun(t, strings.NewReader("from server\n"),
				append([]string{"listen", "-v", tc.proto, tc.addr(t)}, quit...)...)
			addr := waitMatch(t, &srv.stderr, listeningRE)
			cli := startRun(t, strings.NewReader("from client\n"),
				append([]string{"connect", "-v", tc.proto, addr}, quit...)...)
			if code := cli.wait(t); code != 0 {
				t.Fatalf("connect exited %d: %s", code, cli.stderr.String())
			}
			if code := srv.wait(t); code != 0 {
				t.Fatalf("listen exited %d: %s", code, srv.stderr.String())
			}
			if got := cli.stdout.String(); got != "from server\n" {
				t.Errorf("client stdout: got %q, want the server's stdin", got)
			}
			if got := srv.stdout.String(); got != "from client\n" {
				t.Errorf("server stdout: got %q, want the client's stdin", got)
			}
			// -v names both ends, and they agree.
			local := waitMatch(t, &cli.stderr, regexp.MustCompile(`connected to \S+ from (\S+) \(`))
			if !tc.dgram && !strings.Contains(srv.stderr.String(), "connection from "+local) {
				t.Errorf("server stderr %q lacks the client's name %s", srv.stderr.String(), local)
			}
			if tc.dgram && !strings.Contains(srv.stderr.String(), "datagram from "+local) {
				t.Errorf("server stderr %q lacks the client's name %s", srv.stderr.String(), local)
			}
		})
	}
}

// -k serves clients at once; --echo answers each with its own words.
func TestNetcatKeepOpenEcho(t *testing.T) {
	for _, proto := range []string{"tcp", "udp"} {
		t.Run(proto, func(t *testing.T) {
			srv := startRun(t, &chunks{hold: make(chan struct{})}, "listen", "-v", "-k", "--echo", proto, "127.0.0.1:0")
			addr := waitMatch(t, &srv.stderr, listeningRE)
			// Clients whose stdin stays open until all have been answered, so
			// that the server holds them all at once.
			release := make(chan struct{})
			var wg sync.WaitGroup
			clients := make([]*bg, 3)
			for i := range clients {
				args := []string{"connect", proto, addr}
				if proto == "udp" {
					args = append(args, "-q", "200ms")
				}
				clients[i] = startRun(t, &chunks{parts: []string{fmt.Sprintf("client %d\n", i)}, hold: release}, args...)
			}
			for i, c := range clients {
				waitMatch(t, &c.stdout, regexp.MustCompile(fmt.Sprintf("(client %d\n)", i)))
			}
			if proto == "tcp" {
				if n := strings.Count(srv.stderr.String(), "connection from"); n != 3 {
					t.Errorf("server saw %d connections at once, want 3", n)
				}
			}
			close(release)
			for i, c := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if code := c.wait(t); code != 0 {
						t.Errorf("client %d exited %d: %s", i, code, c.stderr.String())
					}
					if got, want := c.stdout.String(), fmt.Sprintf("client %d\n", i); got != want {
						t.Errorf("client %d got %q, want its own echo %q", i, got, want)
					}
				}()
			}
			wg.Wait()
			for i := range clients {
				if !strings.Contains(srv.stdout.String(), fmt.Sprintf("client %d\n", i)) {
					t.Errorf("server stdout %q lacks client %d", srv.stdout.String(), i)
				}
			}
			srv.cancel()
			if code := srv.wait(t); code != 0 {
				t.Errorf("interrupted -k server exited %d, want 0", code)
			}
		})
	}
}

// -x prints each message with its direction, size and peer, so SEQPACKET
// boundaries show; a stream's end shows too.
func TestNetcatHexBoundaries(t *testing.T) {
	name := fmt.Sprintf("@rawsock-hex-%d", time.Now().UnixNano())
	srv := startRun(t, strings.NewReader(""), "listen", "-x", "--echo", "-v", "unixpacket", name)
	waitMatch(t, &srv.stderr, listeningRE)
	cli := startRun(t, &chunks{parts: []string{"one", "three"}}, "connect", "-x", "unixpacket", name)
	if code := cli.wait(t); code != 0 {
		t.Fatalf("connect exited %d: %s", code, cli.stderr.String())
	}
	srv.wait(t)
	out := cli.stdout.String()
	for _, want := range []string{
		"> 3 bytes to " + name + "\n00000000  6f 6e 65                                          |one|\n",
		"> 5 bytes to " + name + "\n00000000  74 68 72 65 65                                    |three|\n",
		"< 3 bytes from " + name + "\n00000000  6f 6e 65                                          |one|\n",
		"< 5 bytes from " + name + "\n00000000  74 68 72 65 65                                    |three|\n",
		"> end of stream to " + name + "\n",
		"< end of stream from " + name + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("client output lacks %q:\n%s", want, out)
		}
	}
	// The server received two messages, not one of eight bytes.
	if got := strings.Count(srv.stdout.String(), "< "); got != 3 || !strings.Contains(srv.stdout.String(), "< 5 bytes from (unnamed)") {
		t.Errorf("server output: want two messages and the end of stream:\n%s", srv.stdout.String())
	}
}

func TestNetcatOptionsVerbose(t *testing.T) {
	srv := startRun(t, strings.NewReader(""), "listen", "-v", "--reuseaddr", "--reuseport", "--rcvbuf", "64K", "tcp", "127.0.0.1:0")
	addr := waitMatch(t, &srv.stderr, listeningRE)
	cli := startRun(t, strings.NewReader("x"), "connect", "-v", "--nodelay", "--ttl", "7", "--sndbuf", "32k", "tcp", addr)
	cli.wait(t)
	srv.wait(t)
	if want := "options: SO_REUSEADDR=1 SO_REUSEPORT=1 SO_RCVBUF=131072"; !strings.Contains(srv.stderr.String(), want) {
		t.Errorf("listen -v: got %q, want %q", srv.stderr.String(), want)
	}
	if want := "options: TCP_NODELAY=1 SO_SNDBUF=65536 IP_TTL=7"; !strings.Contains(cli.stderr.String(), want) {
		t.Errorf("connect -v: got %q, want %q", cli.stderr.String(), want)
	}
}

// --timeout fires on an idle connection and on an accept nobody comes to.
func TestNetcatTimeout(t *testing.T) {
	srv := startRun(t, &chunks{hold: make(chan struct{})}, "listen", "-v", "tcp", "127.0.0.1:0")
	addr := waitMatch(t, &srv.stderr, listeningRE)
	code, _, stderr := runCLI(t, "", "connect", "--timeout", "200ms", "--echo", "tcp", addr)
	if code != 1 || !strings.Contains(stderr, "timed out after 200ms (--timeout)") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("idle connection: got %d %q, want 1 and one line saying it timed out", code, stderr)
	}
	code, _, stderr = runCLI(t, "", "listen", "--timeout", "100ms", "unix", "@rawsock-nobody-comes")
	if code != 1 || !strings.Contains(stderr, "timed out after 100ms") {
		t.Errorf("accept: got %d %q, want 1 and a timeout", code, stderr)
	}
}

func TestNetcatBadInput(t *testing.T) {
	// Something that holds an address and a unix name.
	busy := startRun(t, &chunks{hold: make(chan struct{})}, "listen", "-v", "tcp", "127.0.0.1:0")
	busyAddr := waitMatch(t, &busy.stderr, listeningRE)
	closed := freeTCPAddr(t)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no args", []string{"listen"}, 2, "needs PROTO and ADDR"},
		{"unknown protocol", []string{"connect", "sctp", "127.0.0.1:1"}, 2, `unknown protocol "sctp": use tcp, udp`},
		{"no port", []string{"connect", "tcp", "127.0.0.1"}, 2, `invalid tcp address "127.0.0.1"`},
		{"bad ip", []string{"connect", "tcp", "999.1.1.1:80"}, 2, `invalid IP address "999.1.1.1"`},
		{"bad bracket", []string{"connect", "tcp6", "[::1:80"}, 2, "invalid tcp6 address"},
		{"port out of range", []string{"listen", "udp", "127.0.0.1:65536"}, 2, "port 65536 out of range"},
		{"bad port", []string{"connect", "tcp", "127.0.0.1:http"}, 2, `invalid port "http"`},
		{"no host", []string{"connect", "tcp", ":80"}, 2, "has no host to connect to"},
		{"wrong family", []string{"connect", "tcp4", "[::1]:80"}, 2, "family is inet"},
		{"long unix path", []string{"connect", "unix", "/" + strings.Repeat("x", 120)}, 2, "the kernel allows 107"},
		{"nodelay on udp", []string{"connect", "--nodelay", "udp", "127.0.0.1:9"}, 2, "--nodelay applies to tcp sockets, not udp"},
		{"ttl on unix", []string{"listen", "--ttl", "3", "unix", "@x"}, 2, "--ttl applies to tcp and udp"},
		{"ttl range", []string{"connect", "--ttl", "300", "udp", "127.0.0.1:9"}, 2, "--ttl 300 out of range"},
		{"bad size", []string{"listen", "--rcvbuf", "lots", "tcp", "127.0.0.1:0"}, 2, `--rcvbuf "lots"`},
		{"bad flag", []string{"listen", "--bogus", "tcp", "1"}, 2, "unknown flag: --bogus"},
		{"refused", []string{"connect", "tcp", closed}, 1, "connection to " + closed + " refused: nothing is listening there"},
		{"in use", []string{"listen", "tcp", busyAddr}, 1, "address " + busyAddr + " already in use"},
		{"no unix socket", []string{"connect", "unix", filepath.Join(t.TempDir(), "none")}, 1, "no unix socket at"},
		{"no such device", []string{"connect", "--bind-dev", "nosuch0", "tcp", closed}, 2, `--bind-dev "nosuch0": no such interface`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "", tt.args...)
			if code != tt.code {
				t.Errorf("exit status: got %d, want %d (stderr %q)", code, tt.code, stderr)
			}
			if !strings.Contains(stderr, tt.want) || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "rawsock: "+tt.args[0]+": ") {
				t.Errorf("stderr: got %q, want one line 'rawsock: %s: …' containing %q", stderr, tt.args[0], tt.want)
			}
			if stdout != "" {
				t.Errorf("stdout: got %q, want nothing", stdout)
			}
		})
	}
}

// freeTCPAddr returns a loopback address nobody listens on.
func freeTCPAddr(t *testing.T) string {
	srv := startRun(t, strings.NewReader(""), "listen", "-v", "tcp", "127.0.0.1:0")
	addr := waitMatch(t, &srv.stderr, listeningRE)
	srv.cancel()
	srv.wait(t)
	return addr
}

func TestNetcatHelp(t *testing.T) {
	for _, cmd := range []string{"listen", "connect"} {
		code, stdout, _ := runCLI(t, "", cmd, "--help")
		for _, want := range []string{"Usage: rawsock " + cmd + " [flags] PROTO ADDR", "--timeout DURATION", "--hex", "unixpacket", "Examples:"} {
			if code != 0 || !strings.Contains(stdout, want) {
				t.Errorf("%s --help: status %d, lacks %q", cmd, code, want)
			}
		}
	}
	if _, stdout, _ := runCLI(t, "", "listen", "--help"); !strings.Contains(stdout, "--keep-open") {
		t.Error("listen --help lacks -k")
	}
}
