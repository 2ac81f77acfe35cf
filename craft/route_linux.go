package craft

import (
	"fmt"
	"net/netip"

	"golang.org/x/sys/unix"
)

// RouteSource returns the address the kernel would send from to reach dst,
// through the interface iface when it is not empty. It connects a UDP
// socket, which makes the kernel look up the route (ip-route(8) "get")
// without sending anything, and reads the socket's local address.
func RouteSource(dst netip.Addr, iface string) (netip.Addr, error) {
	dst = dst.Unmap()
	family := unix.AF_INET
	if dst.Is6() {
		family = unix.AF_INET6
	}
	fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("route to %s: %w", dst, err)
	}
	defer unix.Close(fd)
	if iface != "" {
		if err := unix.BindToDevice(fd, iface); err != nil {
			return netip.Addr{}, fmt.Errorf("route to %s through %s: %w", dst, iface, err)
		}
	}
	var sa unix.Sockaddr
	if dst.Is4() {
		sa = &unix.SockaddrInet4{Port: 9, Addr: dst.As4()}
	} else {
		sa = &unix.SockaddrInet6{Port: 9, Addr: dst.As16()}
	}
	if err := unix.Connect(fd, sa); err != nil {
		return netip.Addr{}, fmt.Errorf("no route to %s to pick a source address from (%w): give src=… in the expression", dst, err)
	}
	local, err := unix.Getsockname(fd)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("route to %s: %w", dst, err)
	}
	switch a := local.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrFrom4(a.Addr), nil
	case *unix.SockaddrInet6:
		return netip.AddrFrom16(a.Addr), nil
	}
	return netip.Addr{}, fmt.Errorf("route to %s: unexpected local address %T", dst, local)
}
