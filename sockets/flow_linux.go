package sockets

import (
	"context"
	"errors"
	"fmt"
)

// A Flow is a fast path for one goroutine's loop of datagrams to and from
// one peer over a datagram or raw socket — ping -f, a request-reply
// benchmark. It builds what the kernel reads once: the peer's socket
// address for sending, and a msghdr over buffers of its own for
// receiving, so that each Send or Recv is its system call and little
// else. Non-blocking mode, timeouts, deadlines, contexts and Close apply
// as to the Socket's own calls, and errors are the same.
//
// A Flow is not safe for concurrent use: one goroutine sends and receives
// through it, while others may still use the Socket's own methods.
type Flow struct {
	s      *Socket
	to     Addr
	tx, rx *call
	msg    Message
}

// NewFlow returns a Flow to the peer to (nil: the connected peer, or none
// for a flow that only receives), with a receive buffer of bufsize bytes
// and room for oobsize bytes of ancillary data (timestamps, TTLs).
func (s *Socket) NewFlow(to Addr, bufsize, oobsize int) (*Flow, error) {
	if s.typ != DGRAM && s.typ != RAW {
		return nil, fmt.Errorf("a flow needs a datagram or raw socket, not %v", s.typ)
	}
	if bufsize < 0 || oobsize < 0 {
		return nil, errors.New("negative flow buffer size: give 0 or more bytes")
	}
	f := &Flow{s: s, to: to, tx: newCall(), rx: newCall()}
	if to != nil {
		if err := f.tx.st.sa.encode(s.family, to); err != nil {
			return nil, s.opError("sendto", "sendto", to, err)
		}
		f.tx.withSA = true
	}
	f.tx.kind = callSendto
	f.msg = Message{Data: make([]byte, bufsize)}
	if oobsize > 0 {
		f.msg.OOB = make([]byte, oobsize)
	}
	f.rx.kind, f.rx.m = callRecvmsg, &f.msg
	f.rx.st.setup(&f.rx.h, &f.msg, s.family, false)
	return f, nil
}

// Send sends b to the flow's peer (sendto(2)) and returns how much was
// sent. flags are MSG_* values.
func (f *Flow) Send(ctx context.Context, b []byte, flags int) (int, error) {
	c := f.tx
	c.b, c.flags = b, sendFlags(flags)
	err := f.s.do(ctx, writing, c, "sendto", f.to)
	c.b = nil
	if err != nil {
		return 0, err
	}
	return c.n, nil
}

// Recv receives one datagram (recvmsg(2)) into the flow's own message
// and returns it, filled in as RecvMsg fills one: valid until the next
// Recv. flags are MSG_* values (unix.MSG_ERRQUEUE, …).
func (f *Flow) Recv(ctx context.Context, flags int) (*Message, error) {
	c := f.rx
	c.flags = flags
	if err := f.s.do(ctx, reading, c, "recvmsg", nil); err != nil {
		return nil, err
	}
	if err := c.st.finish(&c.h, &f.msg, c.n, &f.s.from); err != nil {
		return nil, f.s.opError("recvmsg", "recvmsg", nil, err)
	}
	return &f.msg, nil
}
