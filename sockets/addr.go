package sockets

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// An Addr is a socket address: an InetAddr, a UnixAddr, a PacketAddr or a
// TIPCAddr. Every Addr is also a net.Addr.
type Addr interface {
	net.Addr
	// Family is the address family the address belongs to.
	Family() Family
}

var (
	_ Addr = InetAddr{}
	_ Addr = UnixAddr{}
	_ Addr = PacketAddr{}
	_ Addr = TIPCAddr{}
)

// InetAddr is an IPv4 or IPv6 address with a port, for INET and INET6
// sockets (ip(7), ipv6(7)). Raw IP sockets use port 0. An IPv6 zone is an
// interface name or index ("fe80::1%eth0").
type InetAddr struct {
	netip.AddrPort
}

// Inet returns the socket address of ip and port.
func Inet(ip netip.Addr, port uint16) InetAddr {
	return InetAddr{netip.AddrPortFrom(ip, port)}
}

// Network returns "inet" for an IPv4 address and "inet6" for an IPv6 one.
func (a InetAddr) Network() string { return a.Family().String() }

// Family returns INET for an IPv4 address and INET6 for any other.
func (a InetAddr) Family() Family {
	if a.Addr().Is4() {
		return INET
	}
	return INET6
}

// UnixAddr is the address of a unix(7) socket: a filesystem path, a name in
// the abstract namespace written with a leading "@" ("@rawsock"), or "" for
// an unnamed socket (binding "" asks the kernel for an abstract name).
type UnixAddr struct {
	Name string
}

// Unix returns the address of the unix socket called name.
func Unix(name string) UnixAddr { return UnixAddr{Name: name} }

// Network returns "unix".
func (a UnixAddr) Network() string { return "unix" }

// String returns the name: the path, "@name", or "" when unnamed.
func (a UnixAddr) String() string { return a.Name }

// Family returns UNIX.
func (a UnixAddr) Family() Family { return UNIX }

// Abstract reports whether the name is in the abstract namespace.
func (a UnixAddr) Abstract() bool { return strings.HasPrefix(a.Name, "@") }

// PacketAddr is the link-level address of an AF_PACKET socket
// (sockaddr_ll, packet(7)): the interface, the EtherType in host byte
// order, and, on received frames, the sender's hardware address and the
// kind of frame. PacketAddr values are comparable with ==.
type PacketAddr struct {
	// Ifindex is the interface index; 0 means every interface.
	Ifindex int
	// Protocol is the EtherType (EthIPv4, EthAll, …) in host byte order.
	Protocol uint16
	// PacketType says whom a received frame was for: PacketHost,
	// PacketBroadcast, PacketMulticast, PacketOtherHost or PacketOutgoing.
	PacketType uint8
	// HAType is the ARP hardware type of the interface (1 for Ethernet,
	// 772 for loopback).
	HAType uint16

	hw    [8]byte // sll_addr
	hwlen uint8
}

// HardwareAddr returns the hardware address: the sender's on a received
// frame, or the destination set by WithHardwareAddr.
func (a PacketAddr) HardwareAddr() net.HardwareAddr {
	if a.hwlen == 0 {
		return nil
	}
	return append(net.HardwareAddr(nil), a.hw[:a.hwlen]...)
}

// WithHardwareAddr returns a copy of a with the hardware address hw, the
// destination of a frame sent on a DGRAM packet socket. sockaddr_ll holds
// at most 8 bytes; the rest of a longer address is cut off.
func (a PacketAddr) WithHardwareAddr(hw net.HardwareAddr) PacketAddr {
	a.hw = [8]byte{}
	a.hwlen = uint8(copy(a.hw[:], hw))
	return a
}

// The packet types of PacketAddr.PacketType (PACKET_HOST and the others).
const (
	PacketHost      = 0 // addressed to this host
	PacketBroadcast = 1 // link-layer broadcast
	PacketMulticast = 2 // link-layer multicast
	PacketOtherHost = 3 // for another host, seen in promiscuous mode
	PacketOutgoing  = 4 // sent by this host, looped back to packet sockets
)

var packetTypeNames = []string{"host", "broadcast", "multicast", "otherhost", "outgoing"}

// Packet returns the packet address of an interface index and an EtherType
// in host byte order.
func Packet(ifindex int, protocol uint16) PacketAddr {
	return PacketAddr{Ifindex: ifindex, Protocol: protocol}
}

// Network returns "packet".
func (a PacketAddr) Network() string { return "packet" }

// Family returns PACKET.
func (a PacketAddr) Family() Family { return PACKET }

// String returns the address as "ifindex 2 proto 0x0800 hw 02:00:00:00:00:01
// outgoing", leaving out the parts that are zero.
func (a PacketAddr) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ifindex %d", a.Ifindex)
	if a.Protocol != 0 {
		fmt.Fprintf(&b, " proto %#04x", a.Protocol)
	}
	if a.hwlen > 0 {
		fmt.Fprintf(&b, " hw %v", a.HardwareAddr())
	}
	if a.PacketType != PacketHost {
		if int(a.PacketType) < len(packetTypeNames) {
			b.WriteString(" " + packetTypeNames[a.PacketType])
		} else {
			fmt.Fprintf(&b, " pkttype %d", a.PacketType)
		}
	}
	return b.String()
}

// TIPCAddr is a TIPC address (tipc(7)): a service address {Type, Instance}
// when Ref and Node are zero, otherwise the socket address {Ref, Node} of
// one socket. Service addresses are bound and sent to with cluster scope.
type TIPCAddr struct {
	Type, Instance uint32
	Ref, Node      uint32
}

// TIPCService returns the TIPC service address {typ, instance}.
func TIPCService(typ, instance uint32) TIPCAddr { return TIPCAddr{Type: typ, Instance: instance} }

// Network returns "tipc".
func (a TIPCAddr) Network() string { return "tipc" }

// Family returns TIPC.
func (a TIPCAddr) Family() Family { return TIPC }

// String returns "tipc:TYPE:INSTANCE" for a service address and
// "tipc:REF@NODE" for a socket address.
func (a TIPCAddr) String() string {
	if a.Ref != 0 || a.Node != 0 {
		return fmt.Sprintf("tipc:%d@%d", a.Ref, a.Node)
	}
	return fmt.Sprintf("tipc:%d:%d", a.Type, a.Instance)
}

// ParseAddr parses a socket address of the given family from a string:
//
//	INET, INET6  "127.0.0.1:80", "[::1]:80", "[fe80::1%eth0]:80", ":80" (any
//	             address), or an address without a port ("192.0.2.1") for raw sockets
//	UNIX         "/run/x.sock", "relative.sock", "@abstract"
//	PACKET       an interface name ("eth0"), looked up in the calling
//	             thread's network namespace
//	TIPC         "tipc:TYPE:INSTANCE"
//
// With UNSPEC it guesses the family from the syntax: "@…" and anything with
// a "/" is UNIX, "tipc:" is TIPC, an IP address is INET or INET6, and any
// other word is an interface name.
func ParseAddr(family Family, s string) (Addr, error) {
	if s == "" {
		return nil, errors.New("empty address: give an address such as 127.0.0.1:80, [::1]:80, /path/to.sock or @name")
	}
	if family == UNSPEC {
		family = guessFamily(s)
	}
	switch family {
	case INET, INET6:
		return parseInet(family, s)
	case UNIX:
		return parseUnix(s)
	case PACKET:
		return parsePacket(s)
	case TIPC:
		return parseTIPC(s)
	}
	return nil, fmt.Errorf("unsupported address family %v: use inet, inet6, unix, packet or tipc", family)
}

func guessFamily(s string) Family {
	switch {
	case strings.HasPrefix(s, "@") || strings.Contains(s, "/"):
		return UNIX
	case strings.HasPrefix(s, "tipc:"):
		return TIPC
	case strings.HasPrefix(s, "[") || strings.Count(s, ":") > 1:
		return INET6
	case strings.Contains(s, ":"):
		return INET
	}
	if _, err := netip.ParseAddrPort(s); err == nil {
		return INET
	}
	if ip, err := netip.ParseAddr(s); err == nil {
		if ip.Is4() {
			return INET
		}
		return INET6
	}
	if _, err := strconv.ParseUint(strings.ReplaceAll(s, ".", ""), 10, 64); err == nil {
		// Digits and dots: a mistyped IPv4 address, not an interface.
		return INET
	}
	return PACKET
}

func parseInet(family Family, s string) (Addr, error) {
	host, portStr := s, ""
	if h, p, err := net.SplitHostPort(s); err == nil {
		host, portStr = h, p
	} else if strings.HasPrefix(s, "[") {
		return nil, fmt.Errorf("invalid address %q: write an IPv6 address with a port as [::1]:80", s)
	}
	var ip netip.Addr
	if host == "" {
		ip = netip.IPv4Unspecified()
		if family == INET6 {
			ip = netip.IPv6Unspecified()
		}
	} else {
		var err error
		if ip, err = netip.ParseAddr(host); err != nil {
			return nil, fmt.Errorf("invalid IP address %q in %q: use a numeric address such as 127.0.0.1 or ::1", host, s)
		}
		if z := ip.Zone(); z != "" && (len(z) > 15 || strings.ContainsAny(z, "[]%/: \t\n")) {
			return nil, fmt.Errorf("invalid zone %q in %q: use an interface name or index, such as fe80::1%%eth0", z, s)
		}
	}
	var port uint16
	if portStr != "" {
		p, err := strconv.ParseUint(portStr, 10, 64)
		switch {
		case err != nil && strings.Trim(portStr, "0123456789") == "":
			return nil, fmt.Errorf("port %s out of range in %q: use 0-65535", portStr, s)
		case err != nil:
			return nil, fmt.Errorf("invalid port %q in %q: use a number 0-65535", portStr, s)
		case p > 65535:
			return nil, fmt.Errorf("port %d out of range in %q: use 0-65535", p, s)
		}
		port = uint16(p)
	}
	if family == INET && !ip.Is4() {
		if !ip.Is4In6() {
			return nil, fmt.Errorf("%q is an IPv6 address but the family is inet: use an IPv4 address or family inet6", s)
		}
		ip = ip.Unmap()
	}
	return Inet(ip, port), nil
}

// The longest names sun_path holds: a path with its NUL, an abstract name
// after its leading NUL.
const (
	maxUnixPath     = 107
	maxUnixAbstract = 107
)

func parseUnix(s string) (Addr, error) {
	if s == "@" {
		return nil, errors.New(`abstract name "@" is empty: write a name after the @, such as @rawsock`)
	}
	n := len(s)
	if strings.HasPrefix(s, "@") {
		n--
	}
	if n > maxUnixPath {
		return nil, fmt.Errorf("unix socket name %.20q… is %d bytes: the kernel allows %d, use a shorter path", s, n, maxUnixPath)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return nil, fmt.Errorf("unix socket name %q contains a NUL byte: write abstract names as @name", s)
	}
	return Unix(s), nil
}

func parsePacket(s string) (Addr, error) {
	idx, err := InterfaceIndex(s)
	if err != nil {
		return nil, err
	}
	return Packet(idx, 0), nil
}

func parseTIPC(s string) (Addr, error) {
	rest, ok := strings.CutPrefix(s, "tipc:")
	typ, inst, ok2 := strings.Cut(rest, ":")
	t, err1 := strconv.ParseUint(typ, 10, 32)
	i, err2 := strconv.ParseUint(inst, 10, 32)
	if !ok || !ok2 || err1 != nil || err2 != nil {
		return nil, fmt.Errorf("invalid TIPC address %q: write it as tipc:TYPE:INSTANCE with numbers, such as tipc:1000:1", s)
	}
	return TIPCService(uint32(t), uint32(i)), nil
}

// InterfaceIndex returns the index of the network interface called name in
// the calling thread's network namespace.
func InterfaceIndex(name string) (int, error) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return 0, fmt.Errorf("no network interface %q: see 'ip link' for the names", name)
	}
	return ifi.Index, nil
}

// InterfaceName returns the name of the interface with the given index in
// the calling thread's network namespace.
func InterfaceName(index int) (string, error) {
	ifi, err := net.InterfaceByIndex(index)
	if err != nil {
		return "", fmt.Errorf("no network interface with index %d: see 'ip link' for the indexes", index)
	}
	return ifi.Name, nil
}
