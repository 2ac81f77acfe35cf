package netlab_test

import (
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/rawsock/rawsock/internal/netlab"
)

// TestPair checks that a two-host lab carries UDP between its hosts over
// IPv4 and IPv6, and that the namespaces are gone once the test ends.
func TestPair(t *testing.T) {
	var names []string
	t.Run("lab", func(t *testing.T) {
		a, b := netlab.Pair(t)
		names = []string{a.NS, b.NS}
		for _, addr := range []string{"198.51.100.2:7777", "[2001:db8::2]:7777"} {
			var srv *net.UDPConn
			b.MustDo(func() (err error) {
				srv, err = net.ListenUDP("udp", mustUDP(t, addr))
				return err
			})
			var cli *net.UDPConn
			a.MustDo(func() (err error) {
				cli, err = net.DialUDP("udp", nil, mustUDP(t, addr))
				return err
			})
			if _, err := cli.Write([]byte("hello")); err != nil {
				t.Fatal(err)
			}
			srv.SetReadDeadline(time.Now().Add(5 * time.Second))
			buf := make([]byte, 64)
			n, from, err := srv.ReadFromUDP(buf)
			if err != nil {
				t.Fatalf("%s: %v", addr, err)
			}
			if got := string(buf[:n]); got != "hello" {
				t.Errorf("%s: got %q, want %q", addr, got, "hello")
			}
			if want := strings.Contains(addr, "["); want != (from.IP.To4() == nil) {
				t.Errorf("%s: sender %v has the wrong family", addr, from)
			}
			cli.Close()
			srv.Close()
		}
		if out := a.MustRun("ip", "-br", "link", "show", "eth0"); !strings.Contains(out, "UP") {
			t.Errorf("eth0 in a is not up: %s", out)
		}
	})
	out := mustOutput(t, "ip", "netns", "list")
	for _, ns := range names {
		if strings.Contains(out, ns) {
			t.Errorf("namespace %s still exists after the test", ns)
		}
	}
}

func TestLoopbackIsolated(t *testing.T) {
	h := netlab.Loopback(t)
	out := h.MustRun("ip", "-br", "addr")
	if strings.Count(strings.TrimSpace(out), "\n") != 0 || !strings.HasPrefix(out, "lo") {
		t.Errorf("loopback lab has more than lo:\n%s", out)
	}
}

func mustUDP(t *testing.T, addr string) *net.UDPAddr {
	t.Helper()
	a, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func mustOutput(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v: %s", name, err, out)
	}
	return string(out)
}
