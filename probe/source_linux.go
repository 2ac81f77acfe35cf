package probe

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"syscall"

	"github.com/rawsock/rawsock/sockets"
)

// ErrBroadcast says the destination is a broadcast address and
// broadcasting was not asked for, in iputils' words.
var ErrBroadcast error = broadcastError{}

type broadcastError struct{}

func (broadcastError) Error() string {
	return "Do you want to ping broadcast? Then -b. If not, check your local firewall rules"
}

// Route is what the kernel's routing table says about reaching a
// destination: the source address a packet to it would carry.
type Route struct {
	Source netip.Addr
	// Broadcast is set when the destination is a broadcast address
	// (reaching it needed SO_BROADCAST).
	Broadcast bool
}

// RouteTo asks the kernel which source address a packet to dst would
// leave from, by connecting a UDP socket (which sends nothing), bound to
// device when one is given. A broadcast destination fails with
// ErrBroadcast unless broadcast is true.
func RouteTo(dst netip.Addr, device string, broadcast bool) (Route, error) {
	fam := sockets.INET
	if dst.Is6() && !dst.Is4In6() {
		fam = sockets.INET6
	}
	s, err := sockets.Open(fam, sockets.DGRAM, 0, nil)
	if err != nil {
		return Route{}, err
	}
	defer s.Close()
	if device != "" {
		if err := s.BindToDevice(device); err != nil {
			return Route{}, fmt.Errorf("SO_BINDTODEVICE %s: %w", device, err)
		}
	}
	var r Route
	ctx := context.Background()
	to := sockets.Inet(dst.Unmap(), 1025)
	if err := s.Connect(ctx, to); err != nil {
		if !errors.Is(err, syscall.EACCES) {
			return Route{}, fmt.Errorf("connect: %w", err)
		}
		if !broadcast {
			return Route{}, ErrBroadcast
		}
		r.Broadcast = true
		if err := s.SetBroadcast(true); err != nil {
			return Route{}, fmt.Errorf("cannot set broadcasting: %w", err)
		}
		if err := s.Connect(ctx, to); err != nil {
			return Route{}, fmt.Errorf("connect: %w", err)
		}
	}
	a, err := s.SockName()
	if err != nil {
		return Route{}, err
	}
	if ia, ok := a.(sockets.InetAddr); ok {
		r.Source = ia.Addr().Unmap()
	}
	return r, nil
}
