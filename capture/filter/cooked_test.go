package filter_test

import (
	"encoding/binary"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/rawsock/rawsock/capture/filter"
	"github.com/rawsock/rawsock/internal/netlab"
)

func TestForCookedSocket(t *testing.T) {
	for _, tc := range []struct {
		link layers.LinkType
		expr string
		want string // the program for the kernel, as -d prints it
	}{
		{layers.LinkTypeLinuxSLL, "ip and udp port 53", "(000) ld       [-4096]\n(001) jeq      #0x800           jt 2\tjf 12\n" +
			"(002) ldb      [9]\n(003) jeq      #0x11            jt 4\tjf 12\n(004) ldh      [6]\n" +
			"(005) jset     #0x1fff          jt 12\tjf 6\n(006) ldxb     4*([0]&0xf)\n(007) ldh      [x + 0]\n" +
			"(008) jeq      #0x35            jt 11\tjf 9\n(009) ldh      [x + 2]\n"},
		{layers.LinkTypeLinuxSLL2, "ip6", "(000) ld       [-4096]\n(001) jeq      #0x86dd          jt 2\tjf 3\n"},
	} {
		prog, err := filter.Compile(tc.expr, tc.link, 0)
		if err != nil {
			t.Fatal(err)
		}
		kernel, err := filter.ForCookedSocket(prog, tc.link)
		if err != nil {
			t.Fatal(err)
		}
		// ld (not ldh) [-4096] is how -d shows SKF_AD_OFF+SKF_AD_PROTOCOL
		// loaded as a halfword: print with the size the kernel ignores.
		got := strings.Replace(dumpString(t, kernel, filter.Assembly), "ldh      [-4096]", "ld       [-4096]", 1)
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("%q: got\n%swant a program starting\n%s", tc.expr, got, tc.want)
		}
		if err := attach(t, udpSocket(t), kernel); err != nil {
			t.Errorf("%q: the kernel refuses it: %v", tc.expr, err)
		}
	}
	prog, _ := filter.Compile("ether[2:2] = 1", layers.LinkTypeLinuxSLL, 0)
	if _, err := filter.ForCookedSocket(prog, layers.LinkTypeLinuxSLL); err == nil {
		t.Error("a load of the cooked header's address length is accepted")
	}
	if _, err := filter.ForCookedSocket(prog, layers.LinkTypeEthernet); err == nil {
		t.Error("an Ethernet program is accepted")
	}
}

// TestCookedSocketInKernel attaches "icmp", adapted, to a cooked packet
// socket in a namespace of its own, next to one without a filter, and
// sends a ping and a UDP datagram there: the unfiltered socket sees both,
// the filtered one only the ping's packets.
func TestCookedSocketInKernel(t *testing.T) {
	host := netlab.Loopback(t)
	prog, err := filter.Compile("icmp", layers.LinkTypeLinuxSLL, 0)
	if err != nil {
		t.Fatal(err)
	}
	kernel, err := filter.ForCookedSocket(prog, layers.LinkTypeLinuxSLL)
	if err != nil {
		t.Fatal(err)
	}
	filtered, all := packetSocket(t, host, unix.SOCK_DGRAM, kernel), packetSocket(t, host, unix.SOCK_DGRAM, nil)

	host.MustRun("ping", "-c", "1", "-W", "2", "127.0.0.1")
	udp := host.Command(netlab.Python(t), "-c",
		"import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b'x', ('127.0.0.1', 9))")
	if out, err := udp.CombinedOutput(); err != nil {
		t.Fatalf("send UDP: %v: %s", err, out)
	}

	seen := ipProtocols(t, all)
	if seen[1] == 0 || seen[17] == 0 {
		t.Fatalf("the unfiltered socket saw IP protocols %v, want 1 (ICMP) and 17 (UDP)", seen)
	}
	got := ipProtocols(t, filtered)
	if got[1] != seen[1] || len(got) != 1 {
		t.Errorf("the filtered socket saw IP protocols %v, want only the %d ICMP packets", got, seen[1])
	}
}

// packetSocket opens a packet socket (SOCK_RAW, or SOCK_DGRAM for cooked)
// on lo in host, with prog attached before bind so that no unfiltered
// packet is queued.
func packetSocket(t *testing.T, host *netlab.Host, typ int, prog []bpf.RawInstruction) int {
	t.Helper()
	var fd int
	host.MustDo(func() error {
		var err error
		fd, err = unix.Socket(unix.AF_PACKET, typ|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		if prog != nil {
			if err := attach(t, fd, prog); err != nil {
				return err
			}
		}
		lo, err := net.InterfaceByName("lo")
		if err != nil {
			return err
		}
		var proto [2]byte // ETH_P_ALL in network byte order, as packet(7) wants
		binary.BigEndian.PutUint16(proto[:], unix.ETH_P_ALL)
		return unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: binary.NativeEndian.Uint16(proto[:]), Ifindex: lo.Index})
	})
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

// ipProtocols reads what is queued on a cooked socket and counts the IPv4
// packets by protocol.
func ipProtocols(t *testing.T, fd int) map[int]int {
	t.Helper()
	count := map[int]int{}
	for _, p := range drain(t, fd) {
		if len(p) >= 20 && p[0]>>4 == 4 {
			count[int(p[9])]++
		}
	}
	return count
}

// drain returns the packets queued on fd.
func drain(t *testing.T, fd int) [][]byte {
	t.Helper()
	var packets [][]byte
	buf := make([]byte, 70000)
	for {
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		if n, err := unix.Poll(pfd, int((300 * time.Millisecond).Milliseconds())); err != nil || n == 0 {
			return packets
		}
		n, _, err := unix.Recvfrom(fd, buf, unix.MSG_DONTWAIT)
		if err != nil {
			t.Fatal(err)
		}
		packets = append(packets, append([]byte(nil), buf[:n]...))
	}
}

// TestKernelSelectsLikeMatcher captures real traffic on a namespace's
// loopback (Ethernet framing) with one socket per filter and one without:
// what the kernel lets through each filter must be what the Matcher
// selects, with the same program, from the unfiltered packets.
func TestKernelSelectsLikeMatcher(t *testing.T) {
	host := netlab.Loopback(t)
	exprs := []string{"icmp", "udp port 9", "tcp", "tcp[tcpflags] & tcp-rst != 0", "not udp and len > 80",
		"ip6", "host 127.0.0.1 and (port 9 or icmp[icmptype] = icmp-echoreply)", "ether[0] = 0 and ip[8] = 64"}
	socks := make([]int, len(exprs))
	progs := make([][]bpf.RawInstruction, len(exprs))
	for i, expr := range exprs {
		prog, err := filter.Compile(expr, layers.LinkTypeEthernet, 0)
		if err != nil {
			t.Fatal(err)
		}
		progs[i], socks[i] = prog, packetSocket(t, host, unix.SOCK_RAW, prog)
	}
	all := packetSocket(t, host, unix.SOCK_RAW, nil)

	host.MustRun("ping", "-c", "2", "-i", "0.2", "-W", "2", "127.0.0.1")
	host.MustRun("ping", "-6", "-c", "1", "-W", "2", "::1")
	traffic := host.Command(netlab.Python(t), "-c", `
import socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for n in (1, 100, 1000):
    u.sendto(b'x' * n, ('127.0.0.1', 9))
    u.sendto(b'y' * n, ('127.0.0.1', 10))
for port in (9, 10):
    try:
        socket.create_connection(('127.0.0.1', port), timeout=2)
    except OSError:
        pass
`)
	if out, err := traffic.CombinedOutput(); err != nil {
		t.Fatalf("traffic: %v: %s", err, out)
	}

	packets := drain(t, all)
	if len(packets) < 10 {
		t.Fatalf("captured %d packets, want the test's traffic", len(packets))
	}
	for i, expr := range exprs {
		m, err := filter.NewMatcher(progs[i])
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, p := range packets {
			if m.Match(p, len(p)) {
				want = append(want, string(p))
			}
		}
		var got []string
		for _, p := range drain(t, socks[i]) {
			got = append(got, string(p))
		}
		if len(want) == 0 {
			t.Errorf("%q: the Matcher selects none of the %d packets: the traffic does not test it", expr, len(packets))
		}
		if strings.Join(got, "\x00") != strings.Join(want, "\x00") {
			t.Errorf("%q: the kernel passed %d packets, the Matcher selects %d of the same traffic", expr, len(got), len(want))
		}
	}
}
