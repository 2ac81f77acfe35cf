package sockets

import (
	"context"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A Message is one datagram (or one read of a stream) for SendMsg, RecvMsg,
// SendBatch and RecvBatch, the Go form of struct msghdr.
type Message struct {
	// Data is the data to send, or the buffer to receive into.
	Data []byte
	// OOB is ancillary data to send, or a buffer for the ancillary data
	// received. It may be nil: a receive then still fills Time.
	OOB []byte
	// Addr is where to send (nil on a connected socket), and after a
	// receive the sender.
	Addr Addr
	// N is how many bytes of Data were sent or received. With MSG_TRUNC a
	// received datagram's N is its real length, which may exceed len(Data).
	N int
	// NN is how many bytes of OOB were received.
	NN int
	// Flags are the MSG_* flags the kernel set on receive (unix.MSG_TRUNC
	// for a datagram longer than Data, unix.MSG_CTRUNC for OOB too short).
	Flags int
	// Time is when the kernel received the message, when timestamps are on
	// (SetTimestamps); the zero time otherwise.
	Time time.Time
}

// oobScratch is room for the timestamp control messages, used when a
// Message brings no OOB buffer of its own.
const oobScratch = 64

// msgState holds one message's kernel-facing parts while a call runs.
type msgState struct {
	sa      sockaddr
	iov     unix.Iovec
	scratch [oobScratch]byte
}

// setup points h at m's buffers; toSend says whether m.Addr is a
// destination to encode.
func (st *msgState) setup(h *unix.Msghdr, m *Message, family Family, toSend bool) error {
	*h = unix.Msghdr{}
	st.iov = unix.Iovec{}
	if len(m.Data) > 0 {
		st.iov.Base = &m.Data[0]
		st.iov.SetLen(len(m.Data))
	}
	h.Iov = &st.iov
	h.SetIovlen(1)
	oob := m.OOB
	if !toSend && oob == nil {
		oob = st.scratch[:]
	}
	if len(oob) > 0 {
		h.Control = &oob[0]
		h.SetControllen(len(oob))
	}
	if toSend {
		if m.Addr != nil {
			if err := st.sa.encode(family, m.Addr); err != nil {
				return err
			}
			h.Name = &st.sa.b[0]
			h.Namelen = st.sa.n
		}
		return nil
	}
	h.Name = &st.sa.b[0]
	h.Namelen = uint32(len(st.sa.b))
	return nil
}

// rearm restores the lengths a failed receive attempt may have changed.
func (st *msgState) rearm(h *unix.Msghdr, m *Message) {
	h.Namelen = uint32(len(st.sa.b))
	if m.OOB != nil {
		h.SetControllen(len(m.OOB))
	} else {
		h.SetControllen(oobScratch)
	}
	h.Flags = 0
}

// finish copies a receive's results from h into m, decoding the sender
// through the socket's cache.
func (st *msgState) finish(h *unix.Msghdr, m *Message, n int, cache *addrCache) error {
	m.N = n
	m.Flags = int(h.Flags)
	nn := int(h.Controllen)
	var oob []byte
	if m.OOB != nil {
		oob = m.OOB[:min(nn, len(m.OOB))]
		m.NN = len(oob)
	} else {
		oob = st.scratch[:min(nn, oobScratch)]
		m.NN = 0
	}
	m.Time, _ = ParseTimestamp(oob)
	st.sa.n = h.Namelen
	a, err := cache.addr(&st.sa)
	m.Addr = a
	return err
}

// SendMsg sends one message (sendmsg(2)) with its ancillary data, to
// m.Addr or to the connected peer, and sets m.N.
func (s *Socket) SendMsg(ctx context.Context, m *Message, flags int) error {
	c := s.getCall(writing)
	defer s.putCall(writing, c)
	if err := c.st.setup(&c.h, m, s.family, true); err != nil {
		return s.opError("sendmsg", "sendmsg", m.Addr, err)
	}
	c.kind, c.flags = callSendmsg, sendFlags(flags)
	err := s.do(ctx, writing, c, "sendmsg", m.Addr)
	m.N = 0
	if err == nil {
		m.N = max(c.n, 0)
	}
	return err
}

// RecvMsg receives one message (recvmsg(2)) into m.Data and m.OOB, and
// sets m.N, m.NN, m.Flags, m.Addr (the sender) and m.Time (the kernel's
// receive time when SetTimestamps is on). A sender seen lately costs no
// allocation, so neither does a receive.
func (s *Socket) RecvMsg(ctx context.Context, m *Message, flags int) error {
	c := s.getCall(reading)
	defer s.putCall(reading, c)
	c.st.setup(&c.h, m, s.family, false)
	c.kind, c.flags, c.m = callRecvmsg, flags, m
	if err := s.do(ctx, reading, c, "recvmsg", nil); err != nil {
		return err
	}
	if err := c.st.finish(&c.h, m, c.n, &s.from); err != nil {
		return s.opError("recvmsg", "recvmsg", nil, err)
	}
	return nil
}

// maxBatch is the most messages one sendmmsg or recvmmsg takes
// (UIO_MAXIOV); longer batches are cut to it.
const maxBatch = 1024

// SendBatch sends the messages with as few system calls as it can
// (sendmmsg(2)), waiting until at least one is sent, and returns how many
// were: the rest are the caller's to send again. Each message's N is set.
// One call sends at most 1024 messages.
func (s *Socket) SendBatch(ctx context.Context, ms []Message, flags int) (int, error) {
	if len(ms) == 0 {
		return 0, nil
	}
	ms = ms[:min(len(ms), maxBatch)]
	c := s.getCall(writing)
	defer s.putCall(writing, c)
	c.batch(len(ms))
	for i := range ms {
		if err := c.sts[i].setup(&c.hs[i].Hdr, &ms[i], s.family, true); err != nil {
			return 0, s.opError("sendmmsg", "sendmmsg", ms[i].Addr, err)
		}
	}
	c.kind, c.flags = callSendmmsg, sendFlags(flags)
	if err := s.do(ctx, writing, c, "sendmmsg", nil); err != nil {
		return 0, err
	}
	for i := range c.n {
		ms[i].N = int(c.hs[i].Len)
	}
	return c.n, nil
}

// RecvBatch receives up to len(ms) messages (at most 1024) with as few
// system calls as it can (recvmmsg(2)), waiting until at least one has
// arrived, and returns how many it received; each is filled in as RecvMsg
// fills one.
func (s *Socket) RecvBatch(ctx context.Context, ms []Message, flags int) (int, error) {
	if len(ms) == 0 {
		return 0, nil
	}
	ms = ms[:min(len(ms), maxBatch)]
	c := s.getCall(reading)
	defer s.putCall(reading, c)
	c.batch(len(ms))
	for i := range ms {
		c.sts[i].setup(&c.hs[i].Hdr, &ms[i], s.family, false)
	}
	c.kind, c.flags, c.ms = callRecvmmsg, flags, ms
	if err := s.do(ctx, reading, c, "recvmmsg", nil); err != nil {
		return 0, err
	}
	for i := range c.n {
		if err := c.sts[i].finish(&c.hs[i].Hdr, &ms[i], int(c.hs[i].Len), &s.from); err != nil {
			return i, s.opError("recvmmsg", "recvmmsg", nil, err)
		}
	}
	return c.n, nil
}

// The control message types that carry receive times (socket(7)): the
// kernel answers SO_TIMESTAMPNS with SCM_TIMESTAMPNS, and its "new"
// 64-bit-time variants on 32-bit systems.
const (
	scmTimestamp      = 29 // SO_TIMESTAMP_OLD: struct timeval
	scmTimestampNS    = 35 // SO_TIMESTAMPNS_OLD: struct timespec
	scmTimestampNew   = 63 // SO_TIMESTAMP_NEW: struct __kernel_sock_timeval
	scmTimestampNSNew = 64 // SO_TIMESTAMPNS_NEW: struct __kernel_timespec
)

// ParseTimestamp finds a receive time (SCM_TIMESTAMPNS or SCM_TIMESTAMP)
// among the control messages in oob, as recvmsg(2) returned them.
func ParseTimestamp(oob []byte) (time.Time, bool) {
	const word = int(unsafe.Sizeof(uintptr(0)))
	align := func(n int) int { return (n + word - 1) &^ (word - 1) }
	hdr := align(word + 8) // cmsg_len (size_t), cmsg_level, cmsg_type
	for len(oob) >= hdr {
		var clen int
		if word == 8 {
			clen = int(min(ne.Uint64(oob), uint64(len(oob))))
		} else {
			clen = int(ne.Uint32(oob))
		}
		if clen < hdr || clen > len(oob) {
			return time.Time{}, false
		}
		level := int32(ne.Uint32(oob[word:]))
		typ := int32(ne.Uint32(oob[word+4:]))
		data := oob[hdr:clen]
		if level == unix.SOL_SOCKET {
			if t, ok := decodeTime(typ, data, word); ok {
				return t, true
			}
		}
		next := align(clen)
		if next >= len(oob) {
			break
		}
		oob = oob[next:]
	}
	return time.Time{}, false
}

// decodeTime reads a timespec or timeval of the given control type.
func decodeTime(typ int32, data []byte, word int) (time.Time, bool) {
	var sec, frac int64
	switch {
	case len(data) >= 16 && (word == 8 || typ == scmTimestampNew || typ == scmTimestampNSNew):
		sec, frac = int64(ne.Uint64(data)), int64(ne.Uint64(data[8:]))
	case len(data) >= 8 && word == 4:
		sec, frac = int64(int32(ne.Uint32(data))), int64(int32(ne.Uint32(data[4:])))
	default:
		return time.Time{}, false
	}
	switch typ {
	case scmTimestampNS, scmTimestampNSNew:
		return time.Unix(sec, frac), true
	case scmTimestamp, scmTimestampNew:
		return time.Unix(sec, frac*1000), true
	}
	return time.Time{}, false
}
