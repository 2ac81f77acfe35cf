package sockets

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/rawsock/rawsock/internal/netlab"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// checksum is the Internet checksum of RFC 1071.
func checksum(b []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

// echoRequest builds, byte by byte, an IPv4 packet from 127.0.0.1 to
// 127.0.0.1 carrying an ICMP echo request:
//
//	0x0000:  4500 0024 beef 0000 4001 ....  7f00 0001  E..$....@.......
//	0x0010:  7f00 0001 0800 .... IIII 0001  "rawsock!"
func echoRequest(id uint16, payload []byte) []byte {
	icmp := []byte{8, 0, 0, 0, byte(id >> 8), byte(id), 0, 1}
	icmp = append(icmp, payload...)
	binary.BigEndian.PutUint16(icmp[2:], checksum(icmp))
	ip := []byte{
		0x45, 0x00, 0, 0, // version 4, IHL 5, TOS 0, total length
		0xbe, 0xef, 0x00, 0x00, // ID, no fragmentation
		64, ProtoICMP, 0, 0, // TTL, protocol, header checksum
		127, 0, 0, 1, // source
		127, 0, 0, 1, // destination
	}
	binary.BigEndian.PutUint16(ip[2:], uint16(len(ip)+len(icmp)))
	binary.BigEndian.PutUint16(ip[10:], checksum(ip))
	return append(ip, icmp...)
}

// In a namespace of the test's own: a hand-built ICMP echo request sent
// with IP_HDRINCL to 127.0.0.1 is answered by the kernel; the reply comes
// back, IP header and all, on a raw ICMP socket, and an AF_PACKET socket
// on the namespace's lo, filtered to ICMP, sees both.
func TestRawICMPEchoInNamespace(t *testing.T) {
	h := netlab.Loopback(t)
	const id = 0x5253 // "RS"
	payload := []byte("rawsock!")
	var icmpSock, pkt, send, udp *Socket
	var loIndex int
	h.MustDo(func() error {
		var err error
		if loIndex, err = InterfaceIndex("lo"); err != nil {
			return err
		}
		icmpOnly, _ := bpf.Assemble([]bpf.Instruction{
			bpf.LoadAbsolute{Off: 12, Size: 2}, // EtherType
			bpf.JumpIf{Cond: bpf.JumpEqual, Val: EthIPv4, SkipFalse: 3},
			bpf.LoadAbsolute{Off: 14 + 9, Size: 1}, // IPv4 protocol
			bpf.JumpIf{Cond: bpf.JumpEqual, Val: ProtoICMP, SkipFalse: 1},
			bpf.RetConstant{Val: 0xffff},
			bpf.RetConstant{Val: 0},
		})
		if pkt, err = OpenPacket("lo", RAW, EthAll, &Config{Filter: icmpOnly, Promiscuous: true}); err != nil {
			return err
		}
		if icmpSock, err = Open(INET, RAW, ProtoICMP, nil); err != nil {
			return err
		}
		if send, err = Open(INET, RAW, ProtoICMP, nil); err != nil {
			return err
		}
		udp, err = Open(INET, DGRAM, 0, nil)
		return err
	})
	for _, s := range []*Socket{icmpSock, pkt, send, udp} {
		defer s.Close()
	}
	if err := send.SetHeaderIncluded(true); err != nil {
		t.Fatal(err)
	}
	if v, _ := send.GetOption(unix.IPPROTO_IP, unix.IP_HDRINCL); v != 1 {
		t.Errorf("IP_HDRINCL reads back %d, want 1", v)
	}
	// Traffic the packet socket's filter must keep out.
	udp.SendTo(bg, []byte("not icmp"), 0, Inet(lo4, 9))

	req := echoRequest(id, payload)
	if n, err := send.SendTo(bg, req, 0, Inet(lo4, 0)); err != nil || n != len(req) {
		t.Fatalf("SendTo: %d, %v", n, err)
	}

	// The raw ICMP socket sees our request go by and the kernel's reply.
	icmpSock.SetTimeout(5 * time.Second)
	var reply []byte
	for reply == nil {
		b, from, err := icmpSock.RecvFrom(bg, 1500, 0)
		if err != nil {
			t.Fatalf("waiting for the echo reply: %v", err)
		}
		if len(b) < 28 || b[0]>>4 != 4 {
			t.Fatalf("raw ICMP socket gave %x, want an IPv4 header first", b)
		}
		ihl := int(b[0]&0x0f) * 4
		icmp := b[ihl:]
		if icmp[0] == 0 && binary.BigEndian.Uint16(icmp[4:]) == id {
			reply = b
			if from != Inet(lo4, 0) {
				t.Errorf("reply from %v, want 127.0.0.1", from)
			}
			if !bytes.Equal(icmp[8:], payload) {
				t.Errorf("reply payload %q, want %q", icmp[8:], payload)
			}
			if checksum(icmp) != 0 || checksum(b[:ihl]) != 0 {
				t.Errorf("reply checksums do not verify: %x", b)
			}
		}
	}

	// The packet socket on lo saw the request (outgoing and incoming) and
	// the reply, and nothing but ICMP.
	pkt.SetTimeout(time.Second)
	var sawRequest, sawReply bool
	for !(sawRequest && sawReply) {
		b, from, err := pkt.RecvFrom(bg, 2048, 0)
		if err != nil {
			t.Fatalf("packet socket: saw request %v, reply %v, then %v", sawRequest, sawReply, err)
		}
		pa, ok := from.(PacketAddr)
		if !ok || pa.Ifindex != loIndex || pa.Protocol != EthIPv4 {
			t.Errorf("frame from %v, want lo (index %d) with EtherType IPv4", from, loIndex)
		}
		if len(b) < 14+28 || b[14+9] != ProtoICMP {
			t.Fatalf("the filter let through a frame that is not ICMP: %x", b)
		}
		icmp := b[14+20:]
		switch {
		case icmp[0] == 8 && binary.BigEndian.Uint16(icmp[4:]) == id:
			sawRequest = sawRequest || bytes.Equal(b[14:], req)
		case icmp[0] == 0 && binary.BigEndian.Uint16(icmp[4:]) == id:
			sawReply = true
		}
	}
	st, err := pkt.PacketStats()
	if err != nil || st.Packets < 2 {
		t.Errorf("PacketStats: got %+v, %v; want 2 packets or more", st, err)
	}
	if err := pkt.SetPromiscuous(loIndex, false); err != nil {
		t.Errorf("dropping promiscuous mode: %v", err)
	}
}

// IPPROTO_RAW implies IP_HDRINCL: the same packet goes out without the
// option, and raw IPv6 ICMPv6 echo works with the kernel's checksum.
func TestRawProtoAndIPv6(t *testing.T) {
	h := netlab.Loopback(t)
	var raw, icmp4, icmp6 *Socket
	h.MustDo(func() error {
		var err error
		if raw, err = Open(INET, RAW, ProtoRaw, nil); err != nil {
			return err
		}
		if icmp4, err = Open(INET, RAW, ProtoICMP, nil); err != nil {
			return err
		}
		icmp6, err = Open(INET6, RAW, ProtoICMPv6, nil)
		return err
	})
	defer raw.Close()
	defer icmp4.Close()
	defer icmp6.Close()
	if _, err := raw.SendTo(bg, echoRequest(7, []byte("x")), 0, Inet(lo4, 0)); err != nil {
		t.Fatal(err)
	}
	icmp4.SetTimeout(5 * time.Second)
	for {
		b, _, err := icmp4.RecvFrom(bg, 1500, 0)
		if err != nil {
			t.Fatalf("no echo reply to the IPPROTO_RAW packet: %v", err)
		}
		if b[20] == 0 && binary.BigEndian.Uint16(b[24:]) == 7 {
			break
		}
	}
	// ICMPv6 echo request: type 128, checksum left to the kernel.
	req := []byte{128, 0, 0, 0, 0, 9, 0, 1, 'v', '6'}
	if _, err := icmp6.SendTo(bg, req, 0, Inet(lo6, 0)); err != nil {
		t.Fatal(err)
	}
	icmp6.SetTimeout(5 * time.Second)
	for {
		b, from, err := icmp6.RecvFrom(bg, 1500, 0)
		if err != nil {
			t.Fatalf("no ICMPv6 echo reply: %v", err)
		}
		// Raw IPv6 sockets receive without the IPv6 header.
		if b[0] == 129 && binary.BigEndian.Uint16(b[4:]) == 9 {
			if string(b[8:]) != "v6" || from.(InetAddr).Addr() != lo6 {
				t.Errorf("reply %x from %v", b, from)
			}
			break
		}
	}
}

// Options that need a real interface: SO_BINDTODEVICE, and multicast
// membership as the kernel lists it in /proc/net/igmp.
func TestDeviceAndMembershipInNamespace(t *testing.T) {
	h := netlab.Loopback(t)
	var s4, s6 *Socket
	h.MustDo(func() error {
		var err error
		if s4, err = Open(INET, DGRAM, 0, nil); err != nil {
			return err
		}
		s6, err = Open(INET6, DGRAM, 0, nil)
		return err
	})
	defer s4.Close()
	defer s6.Close()
	if err := s4.BindToDevice("lo"); err != nil {
		t.Fatal(err)
	}
	if dev, err := s4.Device(); dev != "lo" || err != nil {
		t.Errorf("Device: got %q, %v; want lo", dev, err)
	}
	if err := s4.BindToDevice("nosuch0"); !errors.Is(err, unix.ENODEV) {
		t.Errorf("unknown device: got %v, want ENODEV", err)
	}
	h.MustRun("ip", "link", "set", "lo", "multicast", "on")
	var lo int
	h.MustDo(func() (err error) { lo, err = InterfaceIndex("lo"); return err })
	group := netip.MustParseAddr("239.1.2.3")
	if err := s4.JoinGroup(lo, group); err != nil {
		t.Fatal(err)
	}
	// /proc/net/igmp prints the group as a little-endian hex word.
	if out := h.MustRun("cat", "/proc/net/igmp"); !strings.Contains(out, "030201EF") {
		t.Errorf("after JoinGroup, /proc/net/igmp lacks 239.1.2.3:\n%s", out)
	}
	if err := s4.LeaveGroup(lo, group); err != nil {
		t.Fatal(err)
	}
	if out := h.MustRun("cat", "/proc/net/igmp"); strings.Contains(out, "030201EF") {
		t.Errorf("after LeaveGroup, /proc/net/igmp still has 239.1.2.3:\n%s", out)
	}
	g6 := netip.MustParseAddr("ff05::1:3")
	if err := s6.JoinGroup(lo, g6); err != nil {
		t.Fatal(err)
	}
	if out := h.MustRun("cat", "/proc/net/igmp6"); !strings.Contains(out, "ff050000000000000000000000010003") {
		t.Errorf("after JoinGroup, /proc/net/igmp6 lacks %v:\n%s", g6, out)
	}
	if err := s4.JoinGroup(lo, g6); err == nil || !strings.Contains(err.Error(), fmt.Sprint(g6)) {
		t.Errorf("IPv6 group on an IPv4 socket: got %v", err)
	}
}

// Without CAP_NET_RAW the kernel refuses raw sockets with EPERM, which the
// error carries (errors.Is) for callers to explain. As root, the test runs
// itself again with every capability dropped.
func TestRawNeedsPrivilege(t *testing.T) {
	if unix.Geteuid() == 0 && os.Getenv("RAWSOCK_TEST_NOCAPS") == "" {
		netlab.RequireTool(t, "setpriv")
		cmd := exec.Command("setpriv", "--inh-caps=-all", "--bounding-set=-all",
			os.Args[0], "-test.run=^TestRawNeedsPrivilege$", "-test.v")
		cmd.Env = append(os.Environ(), "RAWSOCK_TEST_NOCAPS=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestRawNeedsPrivilege") {
			t.Fatalf("without capabilities: %v\n%s", err, out)
		}
		return
	}
	_, err := Open(INET, RAW, ProtoICMP, nil)
	if !errors.Is(err, unix.EPERM) {
		t.Errorf("got %v, want EPERM", err)
	}
	if _, err := OpenPacket("", RAW, EthAll, nil); !errors.Is(err, unix.EPERM) {
		t.Errorf("packet socket: got %v, want EPERM", err)
	}
}
