package probe

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"syscall"
	"unsafe"

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
	var perr error
	err := walkControls(oob, func(level, typ int32, data []byte) {
		switch {
		case isTTL(level, typ) && len(data) >= 4:
			c.TTL = int(int32(binary.NativeEndian.Uint32(data)))
		case level == unix.IPPROTO_IP && typ == unix.IP_RECVERR,
			level == unix.IPPROTO_IPV6 && typ == unix.IPV6_RECVERR:
			c.Err, perr = parseExtendedErr(data)
		}
	})
	if err == nil {
		err = perr
	}
	return c, err
}

func isTTL(level, typ int32) bool {
	return level == unix.IPPROTO_IP && typ == unix.IP_TTL || level == unix.IPPROTO_IPV6 && typ == unix.IPV6_HOPLIMIT
}

// findTTL returns the TTL or hop limit among the control messages, -1
// when there is none; it allocates nothing.
func findTTL(oob []byte) int {
	ttl := -1
	walkControls(oob, func(level, typ int32, data []byte) {
		if isTTL(level, typ) && len(data) >= 4 {
			ttl = int(int32(binary.NativeEndian.Uint32(data)))
		}
	})
	return ttl
}

// walkControls calls fn for each control message in oob (cmsg(3)).
func walkControls(oob []byte, fn func(level, typ int32, data []byte)) error {
	hdr := unix.CmsgLen(0)
	for len(oob) >= hdr {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
		if int(h.Len) < hdr || int(h.Len) > len(oob) {
			return errBadControl
		}
		fn(h.Level, h.Type, oob[hdr:h.Len])
		next := unix.CmsgSpace(int(h.Len) - hdr)
		if next >= len(oob) {
			break
		}
		oob = oob[next:]
	}
	return nil
}

var errBadControl = errors.New("malformed control message")

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
