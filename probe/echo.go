package probe

import (
	"fmt"
	"net/netip"

	"golang.org/x/net/bpf"
)

// A SocketKind says which socket an echo conn uses.
type SocketKind int

const (
	// AutoSocket is a raw socket when the process may open one, and the
	// ICMP datagram socket otherwise.
	AutoSocket SocketKind = iota
	// RawSocket is SOCK_RAW (needs CAP_NET_RAW).
	RawSocket
	// DatagramSocket is the ICMP datagram socket ("ping socket", allowed
	// to the groups in net.ipv4.ping_group_range).
	DatagramSocket
)

// String says which socket it is, as ping -v prints it.
func (k SocketKind) String() string {
	switch k {
	case RawSocket:
		return "a raw ICMP socket (SOCK_RAW)"
	case DatagramSocket:
		return "an ICMP datagram socket (SOCK_DGRAM)"
	}
	return "automatic"
}

// EchoOptions are how an echo conn's socket is set up: iputils ping's
// socket options.
type EchoOptions struct {
	// Dst is the destination; its family decides ICMP or ICMPv6.
	Dst netip.Addr
	// Source binds the socket to a local address (-I ADDRESS); Device
	// binds it to an interface (-I IFNAME, SO_BINDTODEVICE).
	Source netip.Addr
	Device string
	// Kind chooses the socket; the zero value is AutoSocket.
	Kind SocketKind
	// TTL sets the unicast and multicast TTL or hop limit (-t); 0 keeps
	// the system's.
	TTL int
	// TOS sets IP_TOS or IPV6_TCLASS (-Q); 0 keeps the system's.
	TOS int
	// PMTUDisc is -M: "do" (set DF, never fragment), "dont" or "want";
	// empty keeps the system's (and "do" for broadcast).
	PMTUDisc string
	// Broadcast allows a broadcast destination (-b, SO_BROADCAST).
	Broadcast bool
	// RecvBuffer sizes the receive buffer, 0 for the default.
	RecvBuffer int
	// ID is the echo identifier of a raw socket; 0 picks a random one.
	ID uint16
}

// EchoFilter is the classic BPF program a raw echo socket carries once
// another process's echo reply has reached it (attached then, as iputils
// does, so that a ping running alone pays nothing per packet): it passes
// echo replies with identifier id and drops every other packet, so other
// ICMP traffic no longer reaches the process. An IPv4 raw socket
// receives the IP header first; an IPv6 one starts at the ICMPv6 header.
func EchoFilter(v6 bool, id uint16) []bpf.Instruction {
	reply := uint32(echoType(v6, true))
	// The last load, of the sequence number, only makes sure the whole
	// 8-byte header is there: a load past the end drops the packet.
	if v6 {
		return []bpf.Instruction{
			bpf.LoadAbsolute{Off: 0, Size: 1},
			bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: reply, SkipTrue: 4},
			bpf.LoadAbsolute{Off: 4, Size: 2},
			bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: uint32(id), SkipTrue: 2},
			bpf.LoadAbsolute{Off: 6, Size: 2},
			bpf.RetConstant{Val: 0xffff},
			bpf.RetConstant{Val: 0},
		}
	}
	return []bpf.Instruction{
		bpf.LoadMemShift{Off: 0}, // X = IP header length
		bpf.LoadIndirect{Off: 0, Size: 1},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: reply, SkipTrue: 4},
		bpf.LoadIndirect{Off: 4, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: uint32(id), SkipTrue: 2},
		bpf.LoadIndirect{Off: 6, Size: 2},
		bpf.RetConstant{Val: 0xffff},
		bpf.RetConstant{Val: 0},
	}
}

// A PermissionError says that neither a raw nor a datagram ICMP socket
// could be opened, and what would allow one.
type PermissionError struct {
	// Err is the datagram socket's error.
	Err error
	// Range is the current net.ipv4.ping_group_range, Groups the
	// process's group IDs.
	Range  string
	Groups []int
}

// Error names the sysctl that refused and both fixes.
func (e *PermissionError) Error() string {
	return fmt.Sprintf("%v: groups %v are outside net.ipv4.ping_group_range (%s), so no ICMP datagram socket: allow them with: sudo sysctl -w net.ipv4.ping_group_range=\"0 2147483647\", or use a raw socket",
		e.Err, e.Groups, e.Range)
}

// Unwrap returns the socket error.
func (e *PermissionError) Unwrap() error { return e.Err }
