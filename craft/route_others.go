//go:build !linux

package craft

import (
	"fmt"
	"net"
	"net/netip"
	"runtime"
)

// RouteSource returns the address the system would send from to reach
// dst. Off Linux it connects a UDP socket through the net package, which
// sends nothing; iface is not supported there.
func RouteSource(dst netip.Addr, iface string) (netip.Addr, error) {
	if iface != "" {
		return netip.Addr{}, fmt.Errorf("choosing the interface is not implemented on %s", runtime.GOOS)
	}
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(dst, 9)))
	if err != nil {
		return netip.Addr{}, fmt.Errorf("no route to %s to pick a source address from (%w): give src=… in the expression", dst, err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap(), nil
}
