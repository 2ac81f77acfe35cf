package sockets

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/net/bpf"
)

// A Family is a socket's address family, with the value Linux gives it
// (AF_INET is 2). The zero value is AF_UNSPEC, which Open refuses and
// ParseAddr takes as "guess from the syntax".
type Family int

// The address families this package opens.
const (
	UNSPEC Family = 0  // AF_UNSPEC: no family, only for ParseAddr
	UNIX   Family = 1  // AF_UNIX: local sockets, unix(7)
	INET   Family = 2  // AF_INET: IPv4, ip(7)
	INET6  Family = 10 // AF_INET6: IPv6, ipv6(7)
	TIPC   Family = 30 // AF_TIPC: the only family with SOCK_RDM, tipc(7)
	PACKET Family = 17 // AF_PACKET: link-layer frames, packet(7)
)

var familyNames = map[Family]string{UNIX: "unix", INET: "inet", INET6: "inet6", TIPC: "tipc", PACKET: "packet"}

// String returns the family's short name ("inet6"), or its number.
func (f Family) String() string {
	if n, ok := familyNames[f]; ok {
		return n
	}
	if f == UNSPEC {
		return "unspec"
	}
	return "family " + strconv.Itoa(int(f))
}

// A Type is a socket's type, with the value Linux gives it (SOCK_STREAM is
// 1). The zero value is invalid.
type Type int

// The socket types.
const (
	STREAM    Type = 1 // SOCK_STREAM: a reliable byte stream (TCP, unix stream)
	DGRAM     Type = 2 // SOCK_DGRAM: datagrams (UDP, unixgram, cooked AF_PACKET)
	RAW       Type = 3 // SOCK_RAW: raw IP packets or link-layer frames
	RDM       Type = 4 // SOCK_RDM: reliably delivered messages, AF_TIPC only
	SEQPACKET Type = 5 // SOCK_SEQPACKET: a connection that keeps message boundaries
)

var typeNames = map[Type]string{STREAM: "stream", DGRAM: "dgram", RAW: "raw", RDM: "rdm", SEQPACKET: "seqpacket"}

// String returns the type's short name ("seqpacket"), or its number.
func (t Type) String() string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return "type " + strconv.Itoa(int(t))
}

// IP protocol numbers for the proto argument of Open with INET and INET6.
const (
	ProtoICMP   = 1   // IPPROTO_ICMP
	ProtoIGMP   = 2   // IPPROTO_IGMP
	ProtoTCP    = 6   // IPPROTO_TCP
	ProtoUDP    = 17  // IPPROTO_UDP
	ProtoICMPv6 = 58  // IPPROTO_ICMPV6
	ProtoRaw    = 255 // IPPROTO_RAW: send-only, IP_HDRINCL implied
)

// EtherTypes for the proto argument of Open and OpenPacket with PACKET,
// given in host byte order: the package converts them for the kernel.
const (
	EthAll  = 0x0003 // ETH_P_ALL: every protocol, outgoing frames too
	EthIPv4 = 0x0800 // ETH_P_IP
	EthARP  = 0x0806 // ETH_P_ARP
	EthIPv6 = 0x86DD // ETH_P_IPV6
)

// NoTimeout is the timeout of a blocking socket (Python's None): calls
// wait for as long as it takes, or until a deadline or the context ends them.
const NoTimeout time.Duration = -1

// ErrWouldBlock is returned by a call on a non-blocking socket
// (SetTimeout(0) or SetBlocking(false)) that could not complete at once. It
// wraps EAGAIN, so errors.Is(err, unix.EAGAIN) holds too.
var ErrWouldBlock = fmt.Errorf("operation would block on a non-blocking socket: %w", syscall.EAGAIN)

// Config holds what Open and OpenPacket set up before the socket is
// returned. A nil *Config means the defaults.
type Config struct {
	// Filter is a classic BPF program attached to the socket before it can
	// queue anything the program would drop: before bind for AF_PACKET (which
	// OpenPacket opens with protocol 0), and for other sockets right after
	// socket(2), followed by draining what was queued in between.
	Filter []bpf.RawInstruction

	// Promiscuous puts the interface of an OpenPacket socket into
	// promiscuous mode for as long as the socket is open
	// (PACKET_ADD_MEMBERSHIP with PACKET_MR_PROMISC).
	Promiscuous bool

	// LazyPoller keeps the socket out of Go's runtime poller except while
	// calls wait. A descriptor in the poller (epoll) makes the kernel run
	// a wakeup callback for every packet the socket queues and for every
	// sent packet whose buffer it frees: on a loopback, where the kernel
	// answers within the sender's own system call, that is a tenth to a
	// quarter of the cost of a packet. A LazyPoller socket's calls that
	// complete at once cost their system call and nothing else; when a
	// call has to wait, a duplicate of the descriptor joins the poller
	// (a few system calls), and it stays there while calls keep waiting,
	// until 64 calls in a row have not. Timeouts, deadlines, contexts and
	// Close work as on any socket. Worth it for floods and request-reply
	// loops (ping -f); a socket that always waits gains nothing.
	LazyPoller bool
}

// ParseFamily parses a family name as String prints it ("inet", "inet6",
// "unix", "packet", "tipc"), with or without the "AF_" prefix.
func ParseFamily(s string) (Family, error) {
	name := strings.TrimPrefix(strings.ToLower(s), "af_")
	for f, n := range familyNames {
		if n == name {
			return f, nil
		}
	}
	return 0, fmt.Errorf("unknown address family %q: use inet, inet6, unix, packet or tipc", s)
}

// ParseType parses a type name as String prints it ("stream", "dgram",
// "raw", "seqpacket", "rdm"), with or without the "SOCK_" prefix.
func ParseType(s string) (Type, error) {
	name := strings.TrimPrefix(strings.ToLower(s), "sock_")
	for t, n := range typeNames {
		if n == name {
			return t, nil
		}
	}
	return 0, fmt.Errorf("unknown socket type %q: use stream, dgram, raw, seqpacket or rdm", s)
}

// checkKind validates a family and type at the API edge, with errors that
// say what to use instead.
func checkKind(family Family, typ Type) error {
	if _, ok := familyNames[family]; !ok {
		return fmt.Errorf("unsupported address family %v: use inet, inet6, unix, packet or tipc", family)
	}
	if _, ok := typeNames[typ]; !ok {
		return fmt.Errorf("unknown socket type %v: use stream, dgram, raw, seqpacket or rdm", typ)
	}
	switch {
	case typ == RDM && family != TIPC:
		return fmt.Errorf("%v sockets have no rdm type: Linux offers SOCK_RDM only in AF_TIPC (family tipc)", family)
	case family == PACKET && typ != RAW && typ != DGRAM:
		return fmt.Errorf("packet sockets are raw (with the link-layer header) or dgram (without it), not %v", typ)
	case family == UNIX && typ == RAW:
		return errors.New("unix sockets have no raw type: use stream, dgram or seqpacket")
	}
	return nil
}

// network names a socket the way package net names networks, for errors:
// "tcp", "udp6", "unixpacket", "ip4:1", "packet".
func network(family Family, typ Type, proto int) string {
	suffix := ""
	if family == INET6 {
		suffix = "6"
	}
	switch family {
	case INET, INET6:
		switch {
		case typ == STREAM && (proto == 0 || proto == ProtoTCP):
			return "tcp" + suffix
		case typ == DGRAM && (proto == 0 || proto == ProtoUDP):
			return "udp" + suffix
		case typ == RAW:
			if suffix == "" {
				suffix = "4"
			}
			return "ip" + suffix + ":" + strconv.Itoa(proto)
		}
		return fmt.Sprintf("inet%s:%v:%d", suffix, typ, proto)
	case UNIX:
		switch typ {
		case STREAM:
			return "unix"
		case DGRAM:
			return "unixgram"
		case SEQPACKET:
			return "unixpacket"
		}
	case PACKET:
		return "packet"
	case TIPC:
		return "tipc"
	}
	return fmt.Sprintf("%v:%v:%d", family, typ, proto)
}
