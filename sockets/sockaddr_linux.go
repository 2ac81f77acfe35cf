package sockets

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"unsafe"
)

// sockaddr is a socket address in the kernel's own layout, with room for
// any family (sockaddr_storage) and the length in use. The package encodes
// and decodes it itself so that single calls and batches (mmsghdr) share
// one code path and receiving needs no allocation beyond the Addr.
type sockaddr struct {
	b [128]byte
	n uint32
}

func (sa *sockaddr) ptr() unsafe.Pointer { return unsafe.Pointer(&sa.b[0]) }

// reset prepares sa to receive an address from the kernel.
func (sa *sockaddr) reset() { sa.n = uint32(len(sa.b)) }

// The layouts, from <netinet/in.h>, <sys/un.h>, <linux/if_packet.h> and
// <linux/tipc.h>. The family is in host byte order; ports and EtherTypes
// in network byte order.
const (
	sizeofSockaddrInet4  = 16
	sizeofSockaddrInet6  = 28
	sizeofSockaddrLL     = 20
	sizeofSockaddrTIPC   = 16
	offsetofSunPath      = 2
	tipcServiceAddr      = 2 // TIPC_SERVICE_ADDR
	tipcSocketAddr       = 3 // TIPC_SOCKET_ADDR
	tipcClusterScope     = 2 // TIPC_CLUSTER_SCOPE
	errFamilyMismatchFmt = "a %v address (%v) cannot be used with an %v socket: %s"
)

var ne = binary.NativeEndian
var be = binary.BigEndian

// encode writes a as the kernel expects it for a socket of the given
// family: an IPv4 address on an INET6 socket becomes ::ffff:a.b.c.d.
func (sa *sockaddr) encode(family Family, a Addr) error {
	sa.b = [128]byte{}
	switch a := a.(type) {
	case InetAddr:
		return sa.encodeInet(family, a)
	case *InetAddr:
		return sa.encodeInet(family, *a)
	case UnixAddr:
		return sa.encodeUnix(family, a)
	case *UnixAddr:
		return sa.encodeUnix(family, *a)
	case PacketAddr:
		return sa.encodePacket(family, a)
	case *PacketAddr:
		return sa.encodePacket(family, *a)
	case TIPCAddr:
		return sa.encodeTIPC(family, a)
	case *TIPCAddr:
		return sa.encodeTIPC(family, *a)
	case nil:
		return errors.New("no address given")
	}
	return fmt.Errorf("unsupported address type %T (%v): use an InetAddr, UnixAddr, PacketAddr or TIPCAddr", a, a)
}

// fromNetAddr converts the net package's address types.
func fromNetAddr(a net.Addr) (Addr, error) {
	switch a := a.(type) {
	case *net.UDPAddr:
		return unmapped(a.AddrPort()), nil
	case *net.TCPAddr:
		return unmapped(a.AddrPort()), nil
	case *net.IPAddr:
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok {
			return nil, fmt.Errorf("invalid IP address %v", a)
		}
		return unmapped(netip.AddrPortFrom(ip.WithZone(a.Zone), 0)), nil
	case *net.UnixAddr:
		return Unix(a.Name), nil
	}
	return nil, fmt.Errorf("unsupported address type %T (%v): use an InetAddr, UnixAddr, PacketAddr or TIPCAddr", a, a)
}

// unmapped undoes package net's habit of holding IPv4 addresses in 16
// bytes, so that they print and compare as IPv4.
func unmapped(ap netip.AddrPort) InetAddr {
	return Inet(ap.Addr().Unmap(), ap.Port())
}

func (sa *sockaddr) encodeInet(family Family, a InetAddr) error {
	ip := a.Addr()
	if !ip.IsValid() {
		return errors.New("invalid IP address (the zero netip.Addr): give an address such as 127.0.0.1")
	}
	switch family {
	case INET:
		if ip.Is4In6() {
			ip = ip.Unmap()
		}
		if !ip.Is4() {
			return fmt.Errorf(errFamilyMismatchFmt, "IPv6", a, family, "open an inet6 socket")
		}
		ne.PutUint16(sa.b[0:], uint16(INET))
		be.PutUint16(sa.b[2:], a.Port())
		v4 := ip.As4()
		copy(sa.b[4:8], v4[:])
		sa.n = sizeofSockaddrInet4
		return nil
	case INET6:
		ne.PutUint16(sa.b[0:], uint16(INET6))
		be.PutUint16(sa.b[2:], a.Port())
		v6 := ip.As16() // maps IPv4 to ::ffff:a.b.c.d
		copy(sa.b[8:24], v6[:])
		if zone := ip.Zone(); zone != "" {
			idx, err := zoneIndex(zone)
			if err != nil {
				return err
			}
			ne.PutUint32(sa.b[24:], uint32(idx))
		}
		sa.n = sizeofSockaddrInet6
		return nil
	}
	return fmt.Errorf(errFamilyMismatchFmt, "IP", a, family, "use an address of the socket's family")
}

func zoneIndex(zone string) (int, error) {
	if n, err := strconv.ParseUint(zone, 10, 32); err == nil {
		return int(n), nil
	}
	return InterfaceIndex(zone)
}

func (sa *sockaddr) encodeUnix(family Family, a UnixAddr) error {
	if family != UNIX {
		return fmt.Errorf(errFamilyMismatchFmt, "unix", a, family, "use an address of the socket's family")
	}
	name := a.Name
	ne.PutUint16(sa.b[0:], uint16(UNIX))
	switch {
	case name == "":
		// Only the family: bind(2) then picks an abstract name (autobind).
		sa.n = offsetofSunPath
	case name[0] == '@':
		if len(name)-1 > maxUnixAbstract {
			return fmt.Errorf("abstract name %.20q… is too long: the kernel allows %d bytes", name, maxUnixAbstract)
		}
		// A NUL first, then the name, with no terminating NUL counted.
		copy(sa.b[offsetofSunPath+1:], name[1:])
		sa.n = uint32(offsetofSunPath + len(name))
	default:
		if len(name) > maxUnixPath {
			return fmt.Errorf("unix socket path %.20q… is too long: the kernel allows %d bytes", name, maxUnixPath)
		}
		copy(sa.b[offsetofSunPath:], name)
		sa.n = uint32(offsetofSunPath + len(name) + 1)
	}
	return nil
}

func (sa *sockaddr) encodePacket(family Family, a PacketAddr) error {
	if family != PACKET {
		return fmt.Errorf(errFamilyMismatchFmt, "packet", a, family, "use an address of the socket's family")
	}
	ne.PutUint16(sa.b[0:], uint16(PACKET))
	be.PutUint16(sa.b[2:], a.Protocol)
	ne.PutUint32(sa.b[4:], uint32(int32(a.Ifindex)))
	ne.PutUint16(sa.b[8:], a.HAType)
	sa.b[10] = a.PacketType
	sa.b[11] = a.hwlen
	copy(sa.b[12:20], a.hw[:a.hwlen])
	sa.n = sizeofSockaddrLL
	return nil
}

func (sa *sockaddr) encodeTIPC(family Family, a TIPCAddr) error {
	if family != TIPC {
		return fmt.Errorf(errFamilyMismatchFmt, "tipc", a, family, "use an address of the socket's family")
	}
	ne.PutUint16(sa.b[0:], uint16(TIPC))
	if a.Ref != 0 || a.Node != 0 {
		sa.b[2] = tipcSocketAddr
		ne.PutUint32(sa.b[4:], a.Ref)
		ne.PutUint32(sa.b[8:], a.Node)
	} else {
		sa.b[2] = tipcServiceAddr
		sa.b[3] = tipcClusterScope
		ne.PutUint32(sa.b[4:], a.Type)
		ne.PutUint32(sa.b[8:], a.Instance)
	}
	sa.n = sizeofSockaddrTIPC
	return nil
}

// addr decodes the address the kernel wrote; nil when it wrote none.
func (sa *sockaddr) addr() (Addr, error) {
	n := min(int(sa.n), len(sa.b))
	return decodeSockaddr(sa.b[:n])
}

// decodeSockaddr decodes a socket address in the kernel's layout. An empty
// b (a connected socket's recvfrom) is no address and no error.
func decodeSockaddr(b []byte) (Addr, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if len(b) < 2 {
		return nil, fmt.Errorf("socket address of %d bytes is too short for its family", len(b))
	}
	short := func(what string, want int) error {
		return fmt.Errorf("%s socket address of %d bytes is shorter than %d", what, len(b), want)
	}
	switch Family(ne.Uint16(b)) {
	case INET:
		if len(b) < 8 {
			return nil, short("inet", 8)
		}
		return Inet(netip.AddrFrom4([4]byte(b[4:8])), be.Uint16(b[2:])), nil
	case INET6:
		if len(b) < 24 {
			return nil, short("inet6", 24)
		}
		ip := netip.AddrFrom16([16]byte(b[8:24]))
		if len(b) >= sizeofSockaddrInet6 {
			if scope := ne.Uint32(b[24:]); scope != 0 && ip.Is6() && !ip.Is4In6() {
				ip = ip.WithZone(strconv.FormatUint(uint64(scope), 10))
			}
		}
		return Inet(ip, be.Uint16(b[2:])), nil
	case UNIX:
		path := b[offsetofSunPath:]
		if len(path) == 0 {
			return Unix(""), nil
		}
		if path[0] == 0 {
			return Unix("@" + string(path[1:])), nil
		}
		for i, c := range path {
			if c == 0 {
				path = path[:i]
				break
			}
		}
		return Unix(string(path)), nil
	case PACKET:
		if len(b) < 12 {
			return nil, short("packet", 12)
		}
		a := PacketAddr{
			Protocol:   be.Uint16(b[2:]),
			Ifindex:    int(int32(ne.Uint32(b[4:]))),
			HAType:     ne.Uint16(b[8:]),
			PacketType: b[10],
		}
		hl := min(int(b[11]), 8, len(b)-12)
		a.hwlen = uint8(copy(a.hw[:], b[12:12+hl]))
		return a, nil
	case TIPC:
		if len(b) < 12 {
			return nil, short("tipc", 12)
		}
		switch b[2] {
		case tipcSocketAddr:
			return TIPCAddr{Ref: ne.Uint32(b[4:]), Node: ne.Uint32(b[8:])}, nil
		default:
			return TIPCAddr{Type: ne.Uint32(b[4:]), Instance: ne.Uint32(b[8:])}, nil
		}
	}
	return nil, fmt.Errorf("socket address of unsupported family %v", Family(ne.Uint16(b)))
}
