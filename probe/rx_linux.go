package probe

import (
	"context"
	"errors"
	"syscall"
	"time"

	"github.com/rawsock/rawsock/sockets"
	"golang.org/x/sys/unix"
)

// rxSocket receives from a socket with IP_RECVERR (IPV6_RECVERR) on:
// ordinary datagrams, and the ICMP errors the kernel files on the error
// queue.
//
// The kernel announces each queued error by setting the socket's pending
// error, which the next receive — or the next send — returns and clears.
// Since a send can swallow the announcement, the error queue is read
// without waiting before every wait and after every failed send, and a
// send that failed only because of an announcement is made again. Waits
// happen only in receives, with no send in between, so an error that
// arrives during a wait is always announced to the wait.
//
// The socket stays non-blocking (SetTimeout(0)): a send and a first
// receive cost one system call each, and only a receive that has to wait
// goes through the runtime poller with a deadline. Datagrams arrive
// through a sockets.Flow, whose buffers and msghdr are built once.
type rxSocket struct {
	s        *sockets.Socket
	flow     *sockets.Flow
	emsg     sockets.Message
	eIn, eOb []byte
	pending  []rxError
}

// newRx receives on s through flow, or a receive-only flow of its own when
// flow is nil.
func newRx(s *sockets.Socket, flow *sockets.Flow) (*rxSocket, error) {
	s.SetTimeout(0)
	if flow == nil {
		var err error
		if flow, err = s.NewFlow(nil, rxBufSize, rxOOBSize); err != nil {
			return nil, err
		}
	}
	return &rxSocket{s: s, flow: flow, eIn: make([]byte, 2048), eOb: make([]byte, 512)}, nil
}

// The sizes of a flow's receive buffers: any datagram, and the control
// messages (a timestamp, a TTL, an extended error) with room to spare.
const (
	rxBufSize = 65536
	rxOOBSize = 512
)

// An rxError is one entry of the error queue: the extended error, the
// quoted data (what follows the quoted IP header, or the UDP payload for a
// UDP socket), the original destination and the receive time.
type rxError struct {
	*extendedErr
	Quote []byte
	Dst   sockets.Addr
	Time  time.Time
}

// next waits until deadline for a datagram (returned as a message valid
// until the next call) or an error-queue entry.
func (r *rxSocket) next(ctx context.Context, deadline time.Time) (*sockets.Message, *rxError, error) {
	for {
		if len(r.pending) > 0 {
			e := r.pending[0]
			r.pending = r.pending[1:]
			return nil, &e, nil
		}
		m, err := r.flow.Recv(ctx, 0)
		if err == sockets.ErrWouldBlock {
			if _, err := r.drain(ctx); err != nil {
				return nil, nil, err
			}
			if len(r.pending) > 0 {
				continue
			}
			r.s.SetTimeout(sockets.NoTimeout)
			if err = r.s.SetReadDeadline(deadline); err == nil {
				m, err = r.flow.Recv(ctx, 0)
			}
			r.s.SetTimeout(0)
		}
		if err == nil {
			return m, nil, nil
		}
		var errno syscall.Errno
		if !errors.As(err, &errno) {
			return nil, nil, err
		}
		// The announcement of an entry on the error queue.
		if _, err := r.drain(ctx); err != nil {
			return nil, nil, err
		}
	}
}

// send runs a send; when it fails with an errno, it reads the error
// queue: a local error there is the reason (returned as a *LocalError),
// queued ICMP errors mean the failure was only their announcement, and
// the send is made again.
func (r *rxSocket) send(ctx context.Context, fn func() error) error {
	err := fn()
	if err == nil {
		return nil
	}
	again, err := r.sendFailed(ctx, err)
	if again {
		return fn()
	}
	return err
}

// sendFailed explains a send that failed with err from the error queue:
// it returns the *LocalError found there, or says to send again (again)
// when the queue held only ICMP errors, whose announcement is what failed
// the send; otherwise err itself.
func (r *rxSocket) sendFailed(ctx context.Context, err error) (again bool, _ error) {
	var errno syscall.Errno
	if !errors.As(err, &errno) || errno == syscall.EAGAIN {
		return false, err
	}
	local, derr := r.drain(ctx)
	switch {
	case derr != nil:
		return false, err
	case local != nil:
		return false, &LocalError{Errno: local.Errno, MTU: local.Info}
	case len(r.pending) > 0:
		return true, nil
	}
	return false, err
}

// drain reads the error queue until it is empty, keeping the ICMP errors
// for next and returning the last local error.
func (r *rxSocket) drain(ctx context.Context) (local *rxError, err error) {
	for {
		m := &r.emsg
		*m = sockets.Message{Data: r.eIn, OOB: r.eOb}
		err := r.s.RecvMsg(ctx, m, unix.MSG_ERRQUEUE)
		if errors.Is(err, sockets.ErrWouldBlock) {
			return local, nil
		}
		if err != nil {
			return local, err
		}
		ctl, err := parseControls(m.OOB[:m.NN])
		if err != nil || ctl.Err == nil {
			continue
		}
		e := rxError{extendedErr: ctl.Err, Quote: append([]byte(nil), m.Data[:min(m.N, len(m.Data))]...), Dst: m.Addr, Time: m.Time}
		if e.Origin == eeOriginLocal {
			local = &e
			continue
		}
		r.pending = append(r.pending, e)
	}
}

// icmpError turns an error-queue entry from the network into an ICMPError
// (nil for a local error).
func (e *rxError) icmpError() *ICMPError {
	if e.Origin != eeOriginICMP && e.Origin != eeOriginICMP6 {
		return nil
	}
	return &ICMPError{From: e.Offender, V6: e.Origin == eeOriginICMP6, Type: e.Type, Code: e.Code, Info: e.Info}
}
