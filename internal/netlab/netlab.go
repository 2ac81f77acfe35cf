// Package netlab builds throwaway network labs for tests: network namespaces
// joined by veth links, with addresses from the documentation ranges, that
// exist only while a test runs and are always removed when it ends.
//
// Every privileged test in rawsock goes through this package, so that no
// packet a test sends can leave the machine: traffic stays on a namespace's
// loopback or on links between namespaces the test made itself.
package netlab

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// RequirePrivilege skips t unless the process may create namespaces and raw
// sockets, saying why. When RAWSOCK_REQUIRE_PRIV=1 (as in CI) it fails t
// instead, so a privileged test can never pass by being skipped.
func RequirePrivilege(t testing.TB) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	unavailable(t, "needs root (CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN) for network namespaces and raw sockets")
}

// RequireTool returns the path of the named program, or skips t (fails
// under RAWSOCK_REQUIRE_PRIV=1) when it is not installed. "make test"
// installs every tool the tests use.
func RequireTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		unavailable(t, fmt.Sprintf("needs %s: run 'make test', which installs it", name))
	}
	return p
}

// Python returns the path of Debian's Python 3, the one apt's python3-*
// packages (scapy among them) install into, or skips t when it is missing.
func Python(t testing.TB) string {
	t.Helper()
	const debian = "/usr/bin/python3"
	if _, err := os.Stat(debian); err == nil {
		return debian
	}
	return RequireTool(t, "python3")
}

func unavailable(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("RAWSOCK_REQUIRE_PRIV") == "1" {
		t.Fatalf("%s (RAWSOCK_REQUIRE_PRIV=1 turns this skip into a failure)", why)
	}
	t.Skip(why)
}

// A Lab is a set of namespaces made for one test. Create it with New; it is
// torn down by t.Cleanup, pass or fail.
type Lab struct {
	t      testing.TB
	prefix string

	mu    sync.Mutex
	hosts []*Host
	procs []*exec.Cmd
}

// New makes an empty lab for t. It calls RequirePrivilege first.
func New(t testing.TB) *Lab {
	t.Helper()
	RequirePrivilege(t)
	RequireTool(t, "ip")
	var b [3]byte
	rand.Read(b[:])
	l := &Lab{t: t, prefix: "rs" + hex.EncodeToString(b[:])}
	t.Cleanup(l.close)
	return l
}

// Loopback makes a lab of one host with only its loopback interface up:
// 127.0.0.1/8 and ::1 inside a namespace of the test's own.
func Loopback(t testing.TB) *Host {
	t.Helper()
	return New(t).Host("lo")
}

// A Host is one network namespace of a lab.
type Host struct {
	// Name is the host's name within the lab ("client", "r1").
	Name string
	// NS is the namespace's name for ip-netns(8).
	NS string

	lab   *Lab
	links int
}

// Host adds a namespace named name to the lab, with loopback up.
func (l *Lab) Host(name string) *Host {
	l.t.Helper()
	h := &Host{Name: name, NS: l.prefix + "-" + name, lab: l}
	l.mu.Lock()
	l.hosts = append(l.hosts, h)
	l.mu.Unlock()
	l.ip("netns", "add", h.NS)
	h.MustRun("ip", "link", "set", "lo", "up")
	// Addresses are usable at once: no duplicate address detection delay.
	h.Sysctl("net.ipv6.conf.all.accept_dad", "0")
	h.Sysctl("net.ipv6.conf.default.accept_dad", "0")
	return h
}

// Link joins hosts a and b with a veth pair and returns the interface names
// at each end (eth0, eth1, … counted per host). Each side gets the addresses
// given (CIDR notation, IPv4 or IPv6, none or several) and is brought up.
func (l *Lab) Link(a *Host, aAddrs []string, b *Host, bAddrs []string) (aIf, bIf string) {
	l.t.Helper()
	aIf = fmt.Sprintf("eth%d", a.links)
	bIf = fmt.Sprintf("eth%d", b.links)
	a.links++
	b.links++
	l.ip("link", "add", aIf, "netns", a.NS, "type", "veth", "peer", "name", bIf, "netns", b.NS)
	for _, side := range []struct {
		h     *Host
		iface string
		addrs []string
	}{{a, aIf, aAddrs}, {b, bIf, bAddrs}} {
		for _, addr := range side.addrs {
			args := []string{"ip", "addr", "add", addr, "dev", side.iface}
			if strings.Contains(addr, ":") {
				args = append(args, "nodad")
			}
			side.h.MustRun(args...)
		}
		side.h.MustRun("ip", "link", "set", side.iface, "up")
	}
	return aIf, bIf
}

// Pair makes the smallest two-host lab: hosts "a" (198.51.100.1/24,
// 2001:db8::1/64) and "b" (198.51.100.2/24, 2001:db8::2/64) on one veth link
// whose ends are both named eth0.
func Pair(t testing.TB) (a, b *Host) {
	t.Helper()
	l := New(t)
	a, b = l.Host("a"), l.Host("b")
	l.Link(a, []string{"198.51.100.1/24", "2001:db8::1/64"}, b, []string{"198.51.100.2/24", "2001:db8::2/64"})
	return a, b
}

// Command returns an exec.Cmd that runs name with args inside the host's
// namespace (through ip netns exec).
func (h *Host) Command(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", h.NS, name}, args...)...)
}

// Run runs a command inside the host's namespace and returns its combined
// output and error.
func (h *Host) Run(args ...string) (string, error) {
	var out bytes.Buffer
	cmd := h.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("%s in %s: %w: %s", strings.Join(args, " "), h.Name, err, strings.TrimSpace(out.String()))
	}
	return out.String(), err
}

// MustRun is Run that fails the test on error.
func (h *Host) MustRun(args ...string) string {
	h.lab.t.Helper()
	out, err := h.Run(args...)
	if err != nil {
		h.lab.t.Fatal(err)
	}
	return out
}

// Start starts a command in the background inside the host's namespace. It
// is killed when the test ends if it has not exited by then; the caller may
// Wait for it earlier.
func (h *Host) Start(cmd *exec.Cmd) {
	h.lab.t.Helper()
	if err := cmd.Start(); err != nil {
		h.lab.t.Fatalf("start %s in %s: %v", strings.Join(cmd.Args, " "), h.Name, err)
	}
	h.lab.mu.Lock()
	h.lab.procs = append(h.lab.procs, cmd)
	h.lab.mu.Unlock()
}

// Sysctl sets a sysctl inside the host's namespace ("net.ipv4.ip_forward").
func (h *Host) Sysctl(key, value string) {
	h.lab.t.Helper()
	h.MustRun("sysctl", "-q", "-w", key+"="+value)
}

// Do runs fn on an OS thread that has entered the host's namespace, and
// returns its error. Sockets that fn opens belong to the namespace and stay
// there after Do returns; goroutines fn starts do not run in it. The thread
// is discarded afterwards, so no other goroutine ever runs in the namespace.
func (h *Host) Do(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		// The goroutine exits still locked, which makes the runtime end the
		// thread instead of reusing it in the wrong namespace.
		runtime.LockOSThread()
		fd, err := unix.Open("/run/netns/"+h.NS, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- fmt.Errorf("open namespace %s: %w", h.NS, err)
			return
		}
		err = unix.Setns(fd, unix.CLONE_NEWNET)
		unix.Close(fd)
		if err != nil {
			errc <- fmt.Errorf("enter namespace %s: %w", h.NS, err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// MustDo is Do that fails the test on error.
func (h *Host) MustDo(fn func() error) {
	h.lab.t.Helper()
	if err := h.Do(fn); err != nil {
		h.lab.t.Fatal(err)
	}
}

func (l *Lab) ip(args ...string) {
	l.t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		l.t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
}

// close kills what the lab started and deletes its namespaces, which takes
// their veth links with them.
func (l *Lab) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, p := range l.procs {
		if p.ProcessState == nil && p.Process != nil {
			p.Process.Kill()
			done := make(chan struct{})
			go func() { p.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
			}
		}
	}
	for _, h := range l.hosts {
		// Anything else still running in the namespace would keep it alive.
		if out, err := exec.Command("ip", "netns", "pids", h.NS).Output(); err == nil {
			for _, pid := range strings.Fields(string(out)) {
				exec.Command("kill", "-9", pid).Run()
			}
		}
		if out, err := exec.Command("ip", "netns", "del", h.NS).CombinedOutput(); err != nil {
			l.t.Errorf("remove namespace %s: %v: %s", h.NS, err, strings.TrimSpace(string(out)))
		}
	}
}
