package sockets

import (
	"context"
	"net"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// A LazyPoller socket's descriptor is not in the runtime poller: its calls
// are made on the non-blocking descriptor and, when one has to wait, a
// duplicate of the descriptor (sharing the socket and O_NONBLOCK) joins
// the poller and the call waits on it. The duplicate stays while waits
// keep coming, so a socket that often waits costs what a polled one does;
// once lazyDropAfter calls in a row have completed without waiting, it
// leaves the poller again, and a flood on a loopback — whose calls never
// wait — runs with no epoll callback at all.
const lazyDropAfter = 64

// A waitFile is the duplicate descriptor a lazy socket waits on.
type waitFile struct {
	f    *os.File
	rc   syscall.RawConn
	refs int  // waits using it, under Socket.mu
	gone bool // no longer the socket's: the last wait closes it
}

// awaitLazy waits on the socket's waitFile, making one if it has none,
// with the call's deadline in direction d. Waits in one direction share
// the waitFile's deadline, as the calls of a polled socket share theirs.
func (s *Socket) awaitLazy(ctx context.Context, d direction, want time.Time, attempt func(fd uintptr) bool) error {
	wf, err := s.takeWaitFile()
	if err != nil {
		return err
	}
	defer s.releaseWaitFile(wf)
	s.quick.Store(0)
	set := wf.f.SetWriteDeadline
	if d == reading {
		set = wf.f.SetReadDeadline
	}
	if err := set(want); err != nil {
		return err
	}
	if ctx.Done() != nil {
		done := make(chan struct{})
		stop := context.AfterFunc(ctx, func() {
			defer close(done)
			set(pastDeadline)
		})
		// Once begun, the cancellation must end before the next wait
		// sets its own deadline.
		defer func() {
			if !stop() {
				<-done
			}
		}()
	}
	if d == reading {
		return wf.rc.Read(attempt)
	}
	return wf.rc.Write(attempt)
}

// takeWaitFile returns the socket's waitFile, made now if need be, with a
// reference the caller must release.
func (s *Socket) takeWaitFile() (*waitFile, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return nil, net.ErrClosed
	}
	if s.lw == nil {
		var dup int
		var dupErr error
		if err := s.rc.Control(func(fd uintptr) {
			dup, dupErr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
		}); err != nil {
			return nil, err
		}
		if dupErr != nil {
			return nil, os.NewSyscallError("fcntl", dupErr)
		}
		// The duplicate shares O_NONBLOCK, so os.NewFile puts it in the
		// poller.
		f := os.NewFile(uintptr(dup), "socket wait")
		rc, err := f.SyscallConn()
		if err != nil {
			f.Close()
			return nil, err
		}
		s.lw = &waitFile{f: f, rc: rc}
		if s.lws == nil {
			s.lws = make(map[*waitFile]struct{})
		}
		s.lws[s.lw] = struct{}{}
	}
	s.lw.refs++
	return s.lw, nil
}

func (s *Socket) releaseWaitFile(wf *waitFile) {
	s.mu.Lock()
	wf.refs--
	last := wf.gone && wf.refs == 0
	if last {
		delete(s.lws, wf)
	}
	s.mu.Unlock()
	if last {
		wf.f.Close()
	}
}

// noWait counts a lazy socket's call that completed without waiting, and
// takes the socket out of the poller after lazyDropAfter of them in a row.
func (s *Socket) noWait() {
	// Once out of the poller, a load is all a call pays: no atomic
	// addition per packet.
	if s.quick.Load() >= lazyDropAfter || s.quick.Add(1) != lazyDropAfter {
		return
	}
	s.mu.Lock()
	wf := s.lw
	s.lw = nil
	last := false
	if wf != nil {
		wf.gone = true
		last = wf.refs == 0
		if last {
			delete(s.lws, wf)
		}
	}
	s.mu.Unlock()
	if last {
		wf.f.Close()
	}
}

// closeWaitFiles closes every waitFile, which wakes the waits on them.
func (s *Socket) closeWaitFiles() {
	s.mu.Lock()
	lws := s.lws
	s.lws, s.lw = nil, nil
	s.mu.Unlock()
	for wf := range lws {
		wf.f.Close()
	}
}
