package sockets

import (
	"context"
	"math"
	"net"
	"runtime"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A callKind is the system call a call makes.
type callKind uint8

const (
	callSendto   callKind = iota // sendto(2); send(2) without an address
	callRecvfrom                 // recvfrom(2); recv(2) without an address
	callSendmsg                  // sendmsg(2)
	callRecvmsg                  // recvmsg(2)
	callSendmmsg                 // sendmmsg(2)
	callRecvmmsg                 // recvmmsg(2)
)

var sysNames = [...]string{
	callSendto:   "sendto",
	callRecvfrom: "recvfrom",
	callSendmsg:  "sendmsg",
	callRecvmsg:  "recvmsg",
	callSendmmsg: "sendmmsg",
	callRecvmmsg: "recvmmsg",
}

// A call is one data system call in flight: its arguments, its results,
// and the functions handed to the poller, bound to the call once when it
// is made. A closure per call would cost several allocations (it escapes
// into syscall.RawConn, and takes its captured variables along), which is
// what a flood of small packets cannot afford.
//
// Each socket keeps one spare call per direction, so the usual case — at
// most one goroutine sending and one receiving — allocates nothing; a call
// made while the spare is in use gets a new one.
type call struct {
	kind   callKind
	quick  bool // a single packet: see sysSendto
	flags  int
	b      []byte // sendto, recvfrom
	withSA bool   // sendto, recvfrom: pass st.sa as the address
	st     msgState
	h      unix.Msghdr // sendmsg, recvmsg
	m      *Message    // recvmsg: whose lengths to restore between attempts
	hs     []unix.Mmsghdr
	sts    []msgState
	ms     []Message // recvmmsg
	n      int
	err    error // the last attempt's errno, or nil

	onceFn    func(fd uintptr)      // c.once
	attemptFn func(fd uintptr) bool // c.attempt
}

func newCall() *call {
	c := &call{}
	c.onceFn = c.once
	c.attemptFn = c.attempt
	return c
}

// getCall takes the socket's spare call for direction d, or makes one.
func (s *Socket) getCall(d direction) *call {
	if c := s.calls[d].Swap(nil); c != nil {
		return c
	}
	return newCall()
}

// putCall makes c the spare again, without the pointers into the
// caller's buffers, which the socket must not keep alive.
func (s *Socket) putCall(d direction, c *call) {
	c.b, c.m, c.ms = nil, nil, nil
	switch c.kind {
	case callSendmsg, callRecvmsg:
		c.h = unix.Msghdr{}
		c.st.iov.Base = nil
	case callSendmmsg, callRecvmmsg:
		clear(c.hs)
		for i := range c.sts {
			c.sts[i].iov.Base = nil
		}
		c.hs, c.sts = c.hs[:0], c.sts[:0]
	}
	s.calls[d].CompareAndSwap(nil, c)
}

// batch sizes the mmsghdr array and per-message state for n messages.
func (c *call) batch(n int) {
	if cap(c.hs) < n {
		c.hs = make([]unix.Mmsghdr, n)
		c.sts = make([]msgState, n)
	}
	c.hs, c.sts = c.hs[:n], c.sts[:n]
}

// once makes the system call, again when a signal interrupted it. The
// single-packet calls are written out here rather than through the
// sys* helpers: every level of calls costs a request-reply loop.
func (c *call) once(fd uintptr) {
	for {
		switch c.kind {
		case callSendto:
			if c.quick && c.withSA {
				r, _, e := syscall.RawSyscall6(unix.SYS_SENDTO, fd, uintptr(unsafe.Pointer(unsafe.SliceData(c.b))), uintptr(len(c.b)),
					uintptr(c.flags), uintptr(unsafe.Pointer(&c.st.sa.b[0])), uintptr(c.st.sa.n))
				c.n, c.err = int(r), errnoErr(e)
				break
			}
			var sa *sockaddr
			if c.withSA {
				sa = &c.st.sa
			}
			c.n, c.err = sysSendto(int(fd), c.b, c.flags, sa, c.quick)
		case callRecvfrom:
			var sa *sockaddr
			if c.withSA {
				sa = &c.st.sa
			}
			c.n, c.err = sysRecvfrom(int(fd), c.b, c.flags, sa, c.quick)
		case callSendmsg:
			c.n, c.err = sysMsg(unix.SYS_SENDMSG, int(fd), &c.h, c.flags, c.quick)
		case callRecvmsg:
			c.st.rearm(&c.h, c.m)
			if c.quick {
				r, _, e := syscall.RawSyscall6(unix.SYS_RECVMSG, fd, uintptr(unsafe.Pointer(&c.h)), uintptr(c.flags), 0, 0, 0)
				c.n, c.err = int(r), errnoErr(e)
				break
			}
			c.n, c.err = sysMsg(unix.SYS_RECVMSG, int(fd), &c.h, c.flags, false)
		case callSendmmsg:
			c.n, c.err = sysMmsg(unix.SYS_SENDMMSG, int(fd), c.hs, c.flags)
		case callRecvmmsg:
			for i := range c.hs {
				c.sts[i].rearm(&c.hs[i].Hdr, &c.ms[i])
			}
			c.n, c.err = sysMmsg(unix.SYS_RECVMMSG, int(fd), c.hs, c.flags)
		}
		if c.err != unix.EINTR {
			return
		}
	}
}

// attempt is once for the poller: false means wait and try again.
func (c *call) attempt(fd uintptr) bool {
	c.once(fd)
	return c.err != unix.EAGAIN
}

// do runs c in direction d: one attempt on a non-blocking socket,
// otherwise attempts until one does not say EAGAIN, waiting on the poller
// in between. op names the call in errors ("send"), addr is the remote
// address if any.
func (s *Socket) do(ctx context.Context, d direction, c *call, op string, addr Addr) error {
	c.quick = c.kind <= callRecvmsg && s.dgram
	// A non-blocking socket, the case of a flood, is settled here without
	// a call.
	nonblock, want := true, time.Time{}
	if s.easy.Load() != easyNonBlock || ctx.Err() != nil {
		var err error
		if nonblock, want, err = s.begin(ctx, d); err != nil {
			return err
		}
	}
	if c.quick {
		if !s.hold() {
			return net.ErrClosed
		}
		c.once(uintptr(s.fd))
		s.release()
	} else if err := s.rc.Control(c.onceFn); err != nil {
		return s.pollError(ctx, err)
	}
	if c.err == unix.EAGAIN {
		if nonblock {
			return ErrWouldBlock
		}
		if err := s.await(ctx, d, want, c.attemptFn); err != nil {
			return s.pollError(ctx, err)
		}
	} else if s.lazy {
		s.noWait()
	}
	if c.err != nil {
		return s.opError(op, sysNames[c.kind], addr, c.err)
	}
	return nil
}

// A quick call — one non-blocking system call for a single packet on a
// datagram or raw socket — keeps the descriptor open with the socket's
// own count, hold and release, rather than a reference through the
// os.File: that is one atomic addition each way, where the poller's
// reference costs several calls and two compare-and-swap loops, which a
// ping flood pays twice per packet. Close sets heldClosing, after which
// hold fails, and waits for the calls under way, which never block, to
// release the descriptor before it closes it.
const heldClosing = math.MinInt32

// hold reports whether the socket is still open, and if so keeps its
// descriptor open until release.
func (s *Socket) hold() bool {
	if s.held.Add(1) < 0 {
		s.held.Add(-1)
		return false
	}
	return true
}

func (s *Socket) release() { s.held.Add(-1) }

// waitHeld makes hold fail from now on and waits until every call that
// holds the descriptor has released it.
func (s *Socket) waitHeld() {
	s.held.Add(heldClosing)
	for s.held.Load() != heldClosing {
		runtime.Gosched()
	}
}
