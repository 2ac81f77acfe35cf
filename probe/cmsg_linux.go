package probe

import (
	"encoding/binary"
	"net/netip"
	"syscall"

	"golang.org/x/sys/unix"
)

// The origins of an extended socket error (linux/errqueue.h).
const (
	eeOriginLocal = 1
	eeOriginICMP  = 2
	eeOriginICMP6 = 3
)

// An extendedErr is a struct sock_extended_err read from an IP_RECVERR
// or IPV6_RECVERR control message, with the offender address after it.
type extendedErr struct {
	Errno    syscall.Errno
	Origin   uint8
	Type     uint8
	Code     uint8
	Info     uint32
	Offender netip.Addr
}

// controls is what this package reads from a received message's control
// data.
type controls struct {
	TTL int // IP_TTL or IPV6_HOPLIMIT, -1 when absent
	Err *extendedErr
}

// parseControls reads the TTL or hop limit and an extended error from
// the control messages in oob, as recvmsg(2) returned them.
func parseControls(oob []byte) (controls, error) {
	c := controls{TTL: -1}
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return c, err
	}
	for _, m := range msgs {
		switch {
		case m.Header.Level == unix.IPPROTO_IP && m.Header.Type == unix.IP_TTL && len(m.Data) >= 4,
			m.Header.Level == unix.IPPROTO_IPV6 && m.Header.Type == unix.IPV6_HOPLIMIT && len(m.Data) >= 4:
			c.TTL = int(int32(binary.NativeEndian.Uint32(m.Data)))
		case m.Header.Level == unix.IPPROTO_IP && m.Header.Type == unix.IP_RECVERR,
			m.Header.Level == unix.IPPROTO_IPV6 && m.Header.Type == unix.IPV6_RECVERR:
			e, err := parseExtendedErr(m.Data)
			if err != nil {
				return c, err
			}
			c.Err = e
		}
	}
	return c, nil
}

// parseExtendedErr decodes a struct sock_extended_err and the
// SO_EE_OFFENDER address that follows it.
func parseExtendedErr(b []byte) (*extendedErr, error) {
	if len(b) < 16 {
		return nil, errShort
	}
	e := &extendedErr{
		Errno:  syscall.Errno(binary.NativeEndian.Uint32(b)),
		Origin: b[4],
		Type:   b[5],
		Code:   b[6],
		Info:   binary.NativeEndian.Uint32(b[8:]),
	}
	e.Offender = parseSockaddr(b[16:])
	return e, nil
}

// parseSockaddr decodes a sockaddr_in or sockaddr_in6, returning the
// zero Addr for anything else (an offender the kernel left AF_UNSPEC).
func parseSockaddr(b []byte) netip.Addr {
	if len(b) < 2 {
		return netip.Addr{}
	}
	switch binary.NativeEndian.Uint16(b) {
	case unix.AF_INET:
		if len(b) >= 8 {
			return netip.AddrFrom4([4]byte(b[4:8]))
		}
	case unix.AF_INET6:
		if len(b) >= 24 {
			return netip.AddrFrom16([16]byte(b[8:24])).Unmap()
		}
	}
	return netip.Addr{}
}
