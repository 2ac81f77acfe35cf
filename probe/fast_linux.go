package probe

import (
	"net/netip"
	"syscall"
	"time"
	"unsafe"

	"github.com/rawsock/rawsock/sockets"
	"golang.org/x/sys/unix"
)

// fastIO is a flood's hot path: one sendto(2) and one recvmsg(2) on the
// socket's own descriptor, which package sockets keeps non-blocking, with
// every buffer allocated once. sockets' general calls cost about a
// microsecond more each (a closure, a heap-allocated msghdr and
// sockaddr, the runtime's system-call bookkeeping): enough to make
// "ping -f" slower than iputils'. Anything but success or EAGAIN goes
// back to the general path, which reads the error queue.
//
// The calls never block (the descriptor is O_NONBLOCK), so they are made
// without telling the scheduler, like the runtime's own non-blocking I/O.
type fastIO struct {
	fd    int
	to    unix.RawSockaddrAny
	toLen uint32
	from  unix.RawSockaddrAny
	iov   unix.Iovec
	h     unix.Msghdr
	buf   []byte
	oob   []byte
}

func newFastIO(s *sockets.Socket, dst netip.Addr) *fastIO {
	f := &fastIO{fd: s.Fileno(), buf: make([]byte, 65536), oob: make([]byte, 512)}
	if dst.Is4() {
		sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(&f.to))
		sa.Family = unix.AF_INET
		sa.Addr = dst.As4()
		f.toLen = unix.SizeofSockaddrInet4
	} else {
		sa := (*unix.RawSockaddrInet6)(unsafe.Pointer(&f.to))
		sa.Family = unix.AF_INET6
		sa.Addr = dst.As16()
		f.toLen = unix.SizeofSockaddrInet6
	}
	f.iov.Base = &f.buf[0]
	f.iov.SetLen(len(f.buf))
	return f
}

// send sends b to the destination.
func (f *fastIO) send(b []byte) syscall.Errno {
	_, _, e := syscall.RawSyscall6(unix.SYS_SENDTO, uintptr(f.fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)),
		unix.MSG_NOSIGNAL, uintptr(unsafe.Pointer(&f.to)), uintptr(f.toLen))
	return e
}

// recv receives one datagram without waiting: its bytes (valid until the
// next call), sender, kernel receive time and control messages.
func (f *fastIO) recv() (b []byte, from netip.Addr, at time.Time, oob []byte, errno syscall.Errno) {
	f.h = unix.Msghdr{Name: (*byte)(unsafe.Pointer(&f.from)), Namelen: unix.SizeofSockaddrAny, Iov: &f.iov, Iovlen: 1, Control: &f.oob[0]}
	f.h.SetControllen(len(f.oob))
	n, _, e := syscall.RawSyscall(unix.SYS_RECVMSG, uintptr(f.fd), uintptr(unsafe.Pointer(&f.h)), 0)
	if e != 0 {
		return nil, netip.Addr{}, time.Time{}, nil, e
	}
	nameLen := min(int(f.h.Namelen), unix.SizeofSockaddrAny)
	from = parseSockaddr(unsafe.Slice((*byte)(unsafe.Pointer(&f.from)), nameLen))
	oob = f.oob[:min(int(f.h.Controllen), len(f.oob))]
	at, _ = sockets.ParseTimestamp(oob)
	return f.buf[:min(int(n), len(f.buf))], from, at, oob, 0
}
