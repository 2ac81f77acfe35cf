package sockets

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Thin system call wrappers over the package's own sockaddr, so that a
// received address costs no allocation until it is decoded. Each returns
// a bare syscall.Errno (nil on success) for the poller loop to inspect.
// Pointers are converted to uintptr inside the call expression, where the
// compiler keeps what they point to alive for the call.

func errnoErr(e syscall.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}

// bind(2)
func sysBind(fd int, sa *sockaddr) error {
	_, _, e := syscall.Syscall(unix.SYS_BIND, uintptr(fd), uintptr(sa.ptr()), uintptr(sa.n))
	return errnoErr(e)
}

// connect(2)
func sysConnect(fd int, sa *sockaddr) error {
	_, _, e := syscall.Syscall(unix.SYS_CONNECT, uintptr(fd), uintptr(sa.ptr()), uintptr(sa.n))
	return errnoErr(e)
}

// accept4(2), the new descriptor non-blocking and close-on-exec.
func sysAccept(fd int, sa *sockaddr) (int, error) {
	sa.reset()
	r, _, e := syscall.Syscall6(unix.SYS_ACCEPT4, uintptr(fd), uintptr(sa.ptr()), uintptr(unsafe.Pointer(&sa.n)),
		unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0, 0)
	return int(r), errnoErr(e)
}

// getsockname(2) or getpeername(2)
func sysName(trap uintptr, fd int, sa *sockaddr) error {
	sa.reset()
	_, _, e := syscall.Syscall(trap, uintptr(fd), uintptr(sa.ptr()), uintptr(unsafe.Pointer(&sa.n)))
	return errnoErr(e)
}

// The single-packet calls below take quick: a call on a non-blocking
// datagram or raw socket, which never sleeps, is made without telling the
// scheduler (RawSyscall), as the runtime makes its own non-blocking
// calls. Told, the scheduler's monitor sees a busy sender always "in a
// system call" and keeps taking its processor away, which costs a ping
// flood more than its system calls. Stream sends may copy megabytes and
// batches may carry a thousand packets: those always tell the scheduler.

// sendto(2); a nil sa is send(2).
func sysSendto(fd int, b []byte, flags int, sa *sockaddr, quick bool) (int, error) {
	var p unsafe.Pointer
	var n uint32
	if sa != nil {
		p, n = sa.ptr(), sa.n
	}
	var r uintptr
	var e syscall.Errno
	if quick {
		r, _, e = syscall.RawSyscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)), uintptr(flags), uintptr(p), uintptr(n))
	} else {
		r, _, e = syscall.Syscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)), uintptr(flags), uintptr(p), uintptr(n))
	}
	return int(r), errnoErr(e)
}

// recvfrom(2); a nil sa is recv(2).
func sysRecvfrom(fd int, b []byte, flags int, sa *sockaddr, quick bool) (int, error) {
	var p, lp unsafe.Pointer
	if sa != nil {
		sa.reset()
		p, lp = sa.ptr(), unsafe.Pointer(&sa.n)
	}
	var r uintptr
	var e syscall.Errno
	if quick {
		r, _, e = syscall.RawSyscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)), uintptr(flags), uintptr(p), uintptr(lp))
	} else {
		r, _, e = syscall.Syscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)), uintptr(flags), uintptr(p), uintptr(lp))
	}
	return int(r), errnoErr(e)
}

// sendmsg(2) or recvmsg(2)
func sysMsg(trap uintptr, fd int, h *unix.Msghdr, flags int, quick bool) (int, error) {
	var r uintptr
	var e syscall.Errno
	if quick {
		r, _, e = syscall.RawSyscall(trap, uintptr(fd), uintptr(unsafe.Pointer(h)), uintptr(flags))
	} else {
		r, _, e = syscall.Syscall(trap, uintptr(fd), uintptr(unsafe.Pointer(h)), uintptr(flags))
	}
	return int(r), errnoErr(e)
}

// sendmmsg(2) or recvmmsg(2), the latter without a timeout: the poller
// does the waiting.
func sysMmsg(trap uintptr, fd int, hs []unix.Mmsghdr, flags int) (int, error) {
	if len(hs) == 0 {
		return 0, nil
	}
	r, _, e := syscall.Syscall6(trap, uintptr(fd), uintptr(unsafe.Pointer(&hs[0])), uintptr(len(hs)), uintptr(flags), 0, 0)
	return int(r), errnoErr(e)
}

// getsockopt(2) into a buffer of size bytes.
func getsockoptBytes(fd, level, name, size int) ([]byte, error) {
	b := make([]byte, size)
	n := uint32(size)
	_, _, e := syscall.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), uintptr(level), uintptr(name),
		uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(unsafe.Pointer(&n)), 0)
	if e != 0 {
		return nil, e
	}
	return b[:min(int(n), size)], nil
}
