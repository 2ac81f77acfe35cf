package sockets

import (
	"fmt"
	"net/netip"

	"golang.org/x/sys/unix"
)

// SetOption sets an integer socket option (setsockopt(2)): level and name
// as golang.org/x/sys/unix spells them, e.g.
// SetOption(unix.SOL_SOCKET, unix.SO_RCVBUF, 1<<20).
func (s *Socket) SetOption(level, name, value int) error {
	return s.control("setsockopt", "setsockopt", nil, func(fd int) error {
		return unix.SetsockoptInt(fd, level, name, value)
	})
}

// GetOption returns an integer socket option (getsockopt(2)).
func (s *Socket) GetOption(level, name int) (int, error) {
	var v int
	err := s.control("getsockopt", "getsockopt", nil, func(fd int) error {
		var err error
		v, err = unix.GetsockoptInt(fd, level, name)
		return err
	})
	return v, err
}

// SetOptionBytes sets a socket option whose value is a structure or a
// string, given as its bytes in the kernel's layout.
func (s *Socket) SetOptionBytes(level, name int, value []byte) error {
	return s.control("setsockopt", "setsockopt", nil, func(fd int) error {
		return unix.SetsockoptString(fd, level, name, string(value))
	})
}

// GetOptionBytes returns up to size bytes of a socket option's value.
func (s *Socket) GetOptionBytes(level, name, size int) ([]byte, error) {
	var b []byte
	err := s.control("getsockopt", "getsockopt", nil, func(fd int) error {
		// GetsockoptString returns the value up to its length, as bytes
		// in a string; the NUL trimming it does only matters to strings.
		var err error
		b, err = getsockoptBytes(fd, level, name, size)
		return err
	})
	return b, err
}

func setBool(s *Socket, level, name int, on bool) error {
	v := 0
	if on {
		v = 1
	}
	return s.SetOption(level, name, v)
}

// SetReuseAddr sets SO_REUSEADDR: bind to a port that still has
// connections in TIME_WAIT.
func (s *Socket) SetReuseAddr(on bool) error {
	return setBool(s, unix.SOL_SOCKET, unix.SO_REUSEADDR, on)
}

// SetReusePort sets SO_REUSEPORT: several sockets bind the same port and
// the kernel spreads the traffic among them.
func (s *Socket) SetReusePort(on bool) error {
	return setBool(s, unix.SOL_SOCKET, unix.SO_REUSEPORT, on)
}

// SetBroadcast sets SO_BROADCAST: allow sending to broadcast addresses.
func (s *Socket) SetBroadcast(on bool) error {
	return setBool(s, unix.SOL_SOCKET, unix.SO_BROADCAST, on)
}

// SetKeepAlive sets SO_KEEPALIVE: probe idle STREAM connections.
func (s *Socket) SetKeepAlive(on bool) error {
	return setBool(s, unix.SOL_SOCKET, unix.SO_KEEPALIVE, on)
}

// SetRecvBuffer sets SO_RCVBUF. The kernel doubles the value for its
// bookkeeping and caps it at net.core.rmem_max, so GetOption reads back
// something else.
func (s *Socket) SetRecvBuffer(bytes int) error {
	return s.SetOption(unix.SOL_SOCKET, unix.SO_RCVBUF, bytes)
}

// SetSendBuffer sets SO_SNDBUF, doubled and capped like SO_RCVBUF.
func (s *Socket) SetSendBuffer(bytes int) error {
	return s.SetOption(unix.SOL_SOCKET, unix.SO_SNDBUF, bytes)
}

// BindToDevice sets SO_BINDTODEVICE: send and receive only through the
// named interface; "" removes the binding.
func (s *Socket) BindToDevice(ifname string) error {
	return s.control("setsockopt", "setsockopt", nil, func(fd int) error {
		return unix.BindToDevice(fd, ifname)
	})
}

// Device returns the interface SO_BINDTODEVICE bound the socket to, or "".
func (s *Socket) Device() (string, error) {
	var name string
	err := s.control("getsockopt", "getsockopt", nil, func(fd int) error {
		var err error
		name, err = unix.GetsockoptString(fd, unix.SOL_SOCKET, unix.SO_BINDTODEVICE)
		return err
	})
	return name, err
}

// SetNoDelay sets TCP_NODELAY: send small segments at once (no Nagle).
func (s *Socket) SetNoDelay(on bool) error { return setBool(s, unix.IPPROTO_TCP, unix.TCP_NODELAY, on) }

// ipLevel picks the option of an INET or INET6 socket.
func (s *Socket) ipLevel(opt string, v4, v6 int) (level, name int, err error) {
	switch s.family {
	case INET:
		return unix.IPPROTO_IP, v4, nil
	case INET6:
		return unix.IPPROTO_IPV6, v6, nil
	}
	return 0, 0, fmt.Errorf("%s applies to inet and inet6 sockets, not %v", opt, s.family)
}

// SetTTL sets the time to live of unicast packets: IP_TTL, or
// IPV6_UNICAST_HOPS on an INET6 socket.
func (s *Socket) SetTTL(ttl int) error {
	level, name, err := s.ipLevel("TTL", unix.IP_TTL, unix.IPV6_UNICAST_HOPS)
	if err != nil {
		return err
	}
	return s.SetOption(level, name, ttl)
}

// TTL returns the time to live set by SetTTL or the system default.
func (s *Socket) TTL() (int, error) {
	level, name, err := s.ipLevel("TTL", unix.IP_TTL, unix.IPV6_UNICAST_HOPS)
	if err != nil {
		return 0, err
	}
	return s.GetOption(level, name)
}

// SetTOS sets the type of service byte (DSCP and ECN): IP_TOS, or
// IPV6_TCLASS on an INET6 socket.
func (s *Socket) SetTOS(tos int) error {
	level, name, err := s.ipLevel("TOS", unix.IP_TOS, unix.IPV6_TCLASS)
	if err != nil {
		return err
	}
	return s.SetOption(level, name, tos)
}

// SetHeaderIncluded sets IP_HDRINCL (IPV6_HDRINCL on INET6) on a raw
// socket: what SendTo sends is then the whole packet, IP header included,
// as raw(7) describes.
func (s *Socket) SetHeaderIncluded(on bool) error {
	level, name, err := s.ipLevel("IP_HDRINCL", unix.IP_HDRINCL, unix.IPV6_HDRINCL)
	if err != nil {
		return err
	}
	return setBool(s, level, name, on)
}

// SetV6Only sets IPV6_V6ONLY: an INET6 socket bound to :: then takes IPv6
// only, leaving IPv4 to another socket.
func (s *Socket) SetV6Only(on bool) error { return setBool(s, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, on) }

// SetMulticastTTL sets IP_MULTICAST_TTL (IPV6_MULTICAST_HOPS).
func (s *Socket) SetMulticastTTL(ttl int) error {
	level, name, err := s.ipLevel("multicast TTL", unix.IP_MULTICAST_TTL, unix.IPV6_MULTICAST_HOPS)
	if err != nil {
		return err
	}
	return s.SetOption(level, name, ttl)
}

// SetMulticastLoop sets IP_MULTICAST_LOOP (IPV6_MULTICAST_LOOP): whether
// this host's own multicast comes back to its sockets.
func (s *Socket) SetMulticastLoop(on bool) error {
	level, name, err := s.ipLevel("multicast loop", unix.IP_MULTICAST_LOOP, unix.IPV6_MULTICAST_LOOP)
	if err != nil {
		return err
	}
	return setBool(s, level, name, on)
}

// JoinGroup joins the multicast group on the interface with index ifindex
// (0: the kernel picks it): IP_ADD_MEMBERSHIP or IPV6_JOIN_GROUP.
func (s *Socket) JoinGroup(ifindex int, group netip.Addr) error {
	return s.membership(ifindex, group, true)
}

// LeaveGroup leaves a group JoinGroup joined: IP_DROP_MEMBERSHIP or
// IPV6_LEAVE_GROUP.
func (s *Socket) LeaveGroup(ifindex int, group netip.Addr) error {
	return s.membership(ifindex, group, false)
}

func (s *Socket) membership(ifindex int, group netip.Addr, join bool) error {
	if !group.IsMulticast() {
		return fmt.Errorf("%v is not a multicast address: use one in 224.0.0.0/4 or ff00::/8", group)
	}
	return s.control("setsockopt", "setsockopt", nil, func(fd int) error {
		switch {
		case s.family == INET && group.Is4():
			m := unix.IPMreqn{Multiaddr: group.As4(), Ifindex: int32(ifindex)}
			opt := unix.IP_DROP_MEMBERSHIP
			if join {
				opt = unix.IP_ADD_MEMBERSHIP
			}
			return unix.SetsockoptIPMreqn(fd, unix.IPPROTO_IP, opt, &m)
		case s.family == INET6 && group.Is6():
			m := unix.IPv6Mreq{Multiaddr: group.As16(), Interface: uint32(ifindex)}
			opt := unix.IPV6_DROP_MEMBERSHIP
			if join {
				opt = unix.IPV6_ADD_MEMBERSHIP
			}
			return unix.SetsockoptIPv6Mreq(fd, unix.IPPROTO_IPV6, opt, &m)
		}
		return fmt.Errorf("group %v does not match the socket's family %v", group, s.family)
	})
}

// SetTimestamps sets SO_TIMESTAMPNS: the kernel then stamps each received
// message with its arrival time, which RecvMsg and RecvBatch return in
// Message.Time.
func (s *Socket) SetTimestamps(on bool) error {
	return setBool(s, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, on)
}
