package sockets

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// A Socket is one open socket. Its methods may be called from several
// goroutines at once; a reader and a writer in parallel is the usual case.
// Calls in the same direction share one poller deadline, so a context that
// ends one receive can end another running at the same time as a timeout.
type Socket struct {
	fd     int // kept from creation: calling f.Fd() would make it blocking
	f      *os.File
	rc     syscall.RawConn
	family Family
	typ    Type
	proto  int
	dgram  bool // DGRAM or RAW: single-packet calls are quick (see call.quick)

	closeOnce sync.Once
	closeErr  error
	closed    atomic.Bool

	lazy  bool                    // Config.LazyPoller: f is not in the poller
	held  atomic.Int32            // quick calls under way on fd, plus heldClosing once Close began (see hold)
	quick atomic.Int32            // a lazy socket's calls done without waiting since its last wait
	calls [2]atomic.Pointer[call] // a spare call per direction
	from  addrCache               // senders decoded lately

	easy atomic.Uint32 // a common case begin handles without mu

	mu      sync.Mutex
	timeout time.Duration          // NoTimeout, 0 (non-blocking) or the per-call limit
	dl      [2]deadline            // reading, writing
	lw      *waitFile              // a lazy socket's descriptor in the poller, if any
	lws     map[*waitFile]struct{} // every one not closed yet, for Close
}

// deadline is what the user asked for in one direction and what was last
// handed to the poller, so an unchanged deadline costs nothing per call.
type deadline struct {
	user    time.Time
	applied time.Time
}

type direction int

// The cases begin settles without taking the socket's lock: the socket is
// non-blocking, or it blocks with no deadline anywhere (the poller's
// included). settleLocked keeps Socket.easy up to date.
const (
	easyNone     = iota // take the lock
	easyNonBlock        // timeout 0
	easyBlock           // NoTimeout, no deadline set or applied
)

const (
	reading direction = iota
	writing
)

// pastDeadline wakes a waiting call at once; contexts use it to cancel.
var pastDeadline = time.Unix(1, 0)

// Open opens a socket, as socket(2) does, non-blocking and close-on-exec
// under Go's runtime poller. proto is the protocol within the family: 0 for
// the default, an IP protocol number (ProtoICMP, …) for raw IP sockets, or
// an EtherType in host byte order (EthAll, …) for PACKET. The socket starts
// in blocking mode (NoTimeout).
//
// A PACKET socket opened with a protocol receives from every interface at
// once; OpenPacket opens one bound to an interface, filtered from the start.
// A cfg.Filter is attached before Open returns, and whatever the socket
// queued before that is drained, so every read sees filtered traffic only.
func Open(family Family, typ Type, proto int, cfg *Config) (*Socket, error) {
	if err := checkKind(family, typ); err != nil {
		return nil, err
	}
	kproto := proto
	if family == PACKET {
		if proto < 0 || proto > 0xffff {
			return nil, fmt.Errorf("EtherType %#x out of range: use 0-0xffff", proto)
		}
		kproto = int(htons(uint16(proto)))
	}
	lazy := cfg != nil && cfg.LazyPoller
	flags := unix.SOCK_NONBLOCK | unix.SOCK_CLOEXEC
	if lazy {
		// Blocking at first, so that os.NewFile leaves it out of the
		// poller; non-blocking right after.
		flags = unix.SOCK_CLOEXEC
	}
	fd, err := unix.Socket(int(family), int(typ)|flags, kproto)
	if err != nil {
		return nil, openError(family, typ, proto, err)
	}
	s, err := newSocket(fd, family, typ, proto)
	if err != nil {
		return nil, err
	}
	if lazy {
		s.lazy = true
		if err := unix.SetNonblock(fd, true); err != nil {
			s.Close()
			return nil, openError(family, typ, proto, err)
		}
	}
	if cfg != nil && len(cfg.Filter) > 0 {
		if err := s.AttachFilter(cfg.Filter); err != nil {
			s.Close()
			return nil, err
		}
		s.drain()
	}
	return s, nil
}

// openError explains why socket(2) failed in words that say what to do.
func openError(family Family, typ Type, proto int, err error) error {
	op := &net.OpError{Op: "socket", Net: network(family, typ, proto), Err: os.NewSyscallError("socket", err)}
	switch {
	case family == TIPC && (errors.Is(err, unix.EAFNOSUPPORT) || errors.Is(err, unix.EPROTONOSUPPORT) || errors.Is(err, unix.ESOCKTNOSUPPORT)):
		return fmt.Errorf("%w: this kernel has no TIPC, the only family Linux offers SOCK_RDM in: load it with 'modprobe tipc' (the tipc module of linux-modules-extra)", op)
	case errors.Is(err, unix.EAFNOSUPPORT):
		return fmt.Errorf("%w: this kernel was built without %v sockets", op, family)
	case errors.Is(err, unix.EPROTONOSUPPORT) || errors.Is(err, unix.ESOCKTNOSUPPORT):
		return fmt.Errorf("%w: %v %v sockets do not take protocol %d", op, family, typ, proto)
	}
	return op
}

// Pair returns two sockets connected to each other, as socketpair(2) does;
// Linux makes pairs only in the UNIX family.
func Pair(family Family, typ Type, proto int) (*Socket, *Socket, error) {
	if err := checkKind(family, typ); err != nil {
		return nil, nil, err
	}
	fds, err := unix.Socketpair(int(family), int(typ)|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		return nil, nil, openError(family, typ, proto, err)
	}
	a, err := newSocket(fds[0], family, typ, proto)
	if err != nil {
		unix.Close(fds[1])
		return nil, nil, err
	}
	b, err := newSocket(fds[1], family, typ, proto)
	if err != nil {
		a.Close()
		return nil, nil, err
	}
	return a, b, nil
}

// newSocket hands a non-blocking descriptor to the runtime poller.
func newSocket(fd int, family Family, typ Type, proto int) (*Socket, error) {
	f := os.NewFile(uintptr(fd), fmt.Sprintf("socket:%s", network(family, typ, proto)))
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	s := &Socket{fd: fd, f: f, rc: rc, family: family, typ: typ, proto: proto, timeout: NoTimeout,
		dgram: typ == DGRAM || typ == RAW}
	s.easy.Store(easyBlock)
	return s, nil
}

// Close closes the socket, waking every call blocked on it with
// net.ErrClosed. Closing again does nothing and returns nil.
func (s *Socket) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		s.closeWaitFiles()
		s.waitHeld()
		if err := s.f.Close(); err != nil {
			s.closeErr = s.opError("close", "close", nil, err)
		}
	})
	return s.closeErr
}

// Fileno returns the socket's descriptor, for syscalls this package does
// not wrap. It stays owned by the Socket: do not close it, and do not make
// it blocking.
func (s *Socket) Fileno() int { return s.fd }

// Family returns the family the socket was opened with.
func (s *Socket) Family() Family { return s.family }

// Type returns the type the socket was opened with.
func (s *Socket) Type() Type { return s.typ }

// Protocol returns the protocol the socket was opened with, as given to
// Open (an EtherType in host byte order for PACKET).
func (s *Socket) Protocol() int { return s.proto }

// String describes the socket: its network and descriptor.
func (s *Socket) String() string {
	return fmt.Sprintf("%s socket fd %d", network(s.family, s.typ, s.proto), s.fd)
}

// SetTimeout sets how long each later blocking call may take, with Python's
// meaning: NoTimeout blocks until done, 0 makes the socket non-blocking
// (one attempt, then ErrWouldBlock), and d > 0 makes each call fail with
// os.ErrDeadlineExceeded once d has passed since it began.
func (s *Socket) SetTimeout(d time.Duration) {
	if d < 0 {
		d = NoTimeout
	}
	s.mu.Lock()
	s.timeout = d
	s.settleLocked()
	s.mu.Unlock()
}

// Timeout returns the timeout SetTimeout set: NoTimeout, 0 or a duration.
func (s *Socket) Timeout() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.timeout
}

// SetBlocking makes the socket blocking (SetTimeout(NoTimeout)) or
// non-blocking (SetTimeout(0)).
func (s *Socket) SetBlocking(block bool) {
	if block {
		s.SetTimeout(NoTimeout)
	} else {
		s.SetTimeout(0)
	}
}

// SetDeadline sets the time by which reads and writes fail with
// os.ErrDeadlineExceeded, as net.Conn does; the zero time removes it. A
// timeout set with SetTimeout applies as well: whichever comes first.
func (s *Socket) SetDeadline(t time.Time) error {
	s.mu.Lock()
	s.dl[reading].user, s.dl[writing].user = t, t
	s.settleLocked()
	s.mu.Unlock()
	return nil
}

// SetReadDeadline sets the deadline of receiving calls (and Accept).
func (s *Socket) SetReadDeadline(t time.Time) error {
	s.mu.Lock()
	s.dl[reading].user = t
	s.settleLocked()
	s.mu.Unlock()
	return nil
}

// SetWriteDeadline sets the deadline of sending calls (and Connect).
func (s *Socket) SetWriteDeadline(t time.Time) error {
	s.mu.Lock()
	s.dl[writing].user = t
	s.settleLocked()
	s.mu.Unlock()
	return nil
}

// begin settles the deadline of one call from the socket's timeout, the
// user's deadline and the context, and hands it to the poller (a lazy
// socket's waits take it later). It reports whether the socket is
// non-blocking.
func (s *Socket) begin(ctx context.Context, d direction) (nonblock bool, want time.Time, err error) {
	if err := ctx.Err(); err != nil {
		return false, time.Time{}, err
	}
	switch s.easy.Load() {
	case easyNonBlock:
		return true, time.Time{}, nil
	case easyBlock:
		if _, ok := ctx.Deadline(); !ok {
			return false, time.Time{}, nil
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.timeout == 0 {
		return true, time.Time{}, nil
	}
	want = s.dl[d].user
	if s.timeout > 0 {
		want = earliest(want, time.Now().Add(s.timeout))
	}
	if t, ok := ctx.Deadline(); ok {
		want = earliest(want, t)
	}
	if !s.lazy {
		if err := s.applyLocked(d, want); err != nil {
			return false, time.Time{}, err
		}
	}
	return false, want, nil
}

func (s *Socket) applyLocked(d direction, t time.Time) error {
	if t.Equal(s.dl[d].applied) {
		return nil
	}
	var err error
	if d == reading {
		err = s.f.SetReadDeadline(t)
	} else {
		err = s.f.SetWriteDeadline(t)
	}
	if err != nil {
		return s.pollError(context.Background(), err)
	}
	s.dl[d].applied = t
	s.settleLocked()
	return nil
}

// settleLocked records whether begin may skip the lock.
func (s *Socket) settleLocked() {
	var e uint32 = easyNone
	switch {
	case s.timeout == 0:
		e = easyNonBlock
	case s.timeout == NoTimeout && s.dl[reading] == deadline{} && s.dl[writing] == deadline{}:
		e = easyBlock
	}
	s.easy.Store(e)
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// await runs attempt until it reports done, waiting on the poller in
// between, after a first attempt said EAGAIN. The context's cancellation
// is armed only now, so that calls that need not wait never pay for it.
func (s *Socket) await(ctx context.Context, d direction, want time.Time, attempt func(fd uintptr) bool) error {
	if s.lazy {
		return s.awaitLazy(ctx, d, want, attempt)
	}
	if ctx.Done() != nil {
		done := make(chan struct{})
		stop := context.AfterFunc(ctx, func() {
			defer close(done)
			s.mu.Lock()
			s.applyLocked(d, pastDeadline)
			s.mu.Unlock()
		})
		// Once begun, the cancellation must end before the next call
		// settles its own deadline.
		defer func() {
			if !stop() {
				<-done
			}
		}()
	}
	if d == reading {
		return s.rc.Read(attempt)
	}
	return s.rc.Write(attempt)
}

// io runs one system call fn until it stops saying EAGAIN, waiting on the
// poller in between, for the calls that are not worth a call of their own
// (accept4). op names the call for errors ("accept"), sys the system call
// ("accept4"), addr the remote address if any.
func (s *Socket) io(ctx context.Context, d direction, op, sys string, addr Addr, fn func(fd int) error) error {
	nonblock, want, err := s.begin(ctx, d)
	if err != nil {
		return err
	}
	var callErr error
	attempt := func(fd uintptr) bool {
		for {
			callErr = fn(int(fd))
			switch callErr {
			case unix.EINTR:
				continue
			case unix.EAGAIN:
				return false
			}
			return true
		}
	}
	if err := s.rc.Control(func(fd uintptr) { attempt(fd) }); err != nil {
		return s.pollError(ctx, err)
	}
	if callErr == unix.EAGAIN {
		if nonblock {
			return ErrWouldBlock
		}
		if err := s.await(ctx, d, want, attempt); err != nil {
			return s.pollError(ctx, err)
		}
	}
	return s.opError(op, sys, addr, callErr)
}

// control runs fn with the descriptor held open: for calls that never block.
func (s *Socket) control(op, sys string, addr Addr, fn func(fd int) error) error {
	var callErr error
	if err := s.rc.Control(func(fd uintptr) { callErr = fn(int(fd)) }); err != nil {
		return s.pollError(context.Background(), err)
	}
	return s.opError(op, sys, addr, callErr)
}

// opError wraps a system call's error in a *net.OpError.
func (s *Socket) opError(op, sys string, addr Addr, err error) error {
	if err == nil {
		return nil
	}
	var netAddr net.Addr
	if addr != nil {
		netAddr = addr
	}
	if _, ok := err.(syscall.Errno); ok {
		err = os.NewSyscallError(sys, err)
	}
	return &net.OpError{Op: op, Net: network(s.family, s.typ, s.proto), Addr: netAddr, Err: err}
}

// pollError maps the poller's errors to those package net returns:
// net.ErrClosed once the socket is closed, and the context's error when
// the context's deadline or cancellation is what woke the call.
func (s *Socket) pollError(ctx context.Context, err error) error {
	if s.closed.Load() || errors.Is(err, os.ErrClosed) {
		return net.ErrClosed
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if t, ok := ctx.Deadline(); ok && !time.Now().Before(t) {
			return context.DeadlineExceeded
		}
	}
	return err
}

// drain discards whatever the socket queued before its filter was
// attached.
func (s *Socket) drain() {
	var buf [1]byte
	s.rc.Control(func(fd uintptr) {
		for range 1 << 16 {
			_, _, err := unix.Recvfrom(int(fd), buf[:], unix.MSG_DONTWAIT|unix.MSG_TRUNC)
			if err != nil {
				return
			}
		}
	})
}

// htons turns a host-order 16-bit value into network order, as the kernel
// wants the protocol of packet sockets.
func htons(v uint16) uint16 {
	var b [2]byte
	be.PutUint16(b[:], v)
	return ne.Uint16(b[:])
}
