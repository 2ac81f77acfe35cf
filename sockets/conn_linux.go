package sockets

import (
	"bufio"
	"context"
	"io"
	"net"

	"golang.org/x/sys/unix"
)

// How Shutdown closes a connection: the how argument of shutdown(2).
const (
	ShutRead  = unix.SHUT_RD   // no more receiving
	ShutWrite = unix.SHUT_WR   // no more sending: the peer reads end of stream
	ShutBoth  = unix.SHUT_RDWR // neither
)

// Bind gives the socket its local address (bind(2)). For UNIX, Unix("")
// asks the kernel for an unused abstract name.
func (s *Socket) Bind(addr Addr) error {
	var sa sockaddr
	if err := sa.encode(s.family, addr); err != nil {
		return s.opError("bind", "bind", addr, err)
	}
	return s.control("bind", "bind", addr, func(fd int) error { return sysBind(fd, &sa) })
}

// Listen makes a STREAM or SEQPACKET socket accept connections, with up to
// backlog of them waiting (listen(2)); a negative backlog means the
// system's maximum.
func (s *Socket) Listen(backlog int) error {
	if backlog < 0 {
		backlog = unix.SOMAXCONN
	}
	return s.control("listen", "listen", nil, func(fd int) error { return unix.Listen(fd, backlog) })
}

// Accept waits for a connection on a listening socket and returns a new,
// blocking socket for it and the peer's address (accept4(2)).
func (s *Socket) Accept(ctx context.Context) (*Socket, Addr, error) {
	var sa sockaddr
	var nfd int
	err := s.io(ctx, reading, "accept", "accept4", nil, func(fd int) error {
		var err error
		nfd, err = sysAccept(fd, &sa)
		if err == unix.ECONNABORTED {
			// The peer gave up while queued: wait for the next one.
			return unix.EAGAIN
		}
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	ns, err := newSocket(nfd, s.family, s.typ, s.proto)
	if err != nil {
		unix.Close(nfd)
		return nil, nil, err
	}
	peer, err := sa.addr()
	if err != nil {
		ns.Close()
		return nil, nil, s.opError("accept", "accept4", nil, err)
	}
	return ns, peer, nil
}

// Connect connects the socket to addr (connect(2)), waiting until a
// STREAM connection is established or refused. A non-blocking socket
// returns at once with an error wrapping unix.EINPROGRESS while the
// connection is under way; Connect on a DGRAM socket only sets the peer.
func (s *Socket) Connect(ctx context.Context, addr Addr) error {
	var sa sockaddr
	if err := sa.encode(s.family, addr); err != nil {
		return s.opError("connect", "connect", addr, err)
	}
	nonblock, want, err := s.begin(ctx, writing)
	if err != nil {
		return err
	}
	var callErr error
	if err := s.rc.Control(func(fd uintptr) {
		for {
			if callErr = sysConnect(int(fd), &sa); callErr != unix.EINTR {
				return
			}
		}
	}); err != nil {
		return s.pollError(ctx, err)
	}
	switch callErr {
	case nil, unix.EISCONN:
		return nil
	case unix.EINPROGRESS, unix.EALREADY:
		if nonblock {
			return s.opError("connect", "connect", addr, callErr)
		}
	default:
		return s.opError("connect", "connect", addr, callErr)
	}
	// In progress: the socket turns writable when the handshake ends, and
	// SO_ERROR says how it ended.
	callErr = nil
	err = s.await(ctx, writing, want, func(fd uintptr) bool {
		v, err := unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_ERROR)
		if err != nil {
			callErr = err
			return true
		}
		switch e := unix.Errno(v); e {
		case 0, unix.EISCONN:
			if _, err := unix.Getpeername(int(fd)); err == unix.ENOTCONN {
				return false // woken before the handshake ended
			}
			return true
		case unix.EINPROGRESS, unix.EALREADY, unix.EINTR:
			return false
		default:
			callErr = e
			return true
		}
	})
	if err != nil {
		return s.pollError(ctx, err)
	}
	return s.opError("connect", "connect", addr, callErr)
}

// Shutdown closes one or both directions of a connection (shutdown(2)):
// ShutWrite sends end of stream while receiving goes on.
func (s *Socket) Shutdown(how int) error {
	return s.control("shutdown", "shutdown", nil, func(fd int) error { return unix.Shutdown(fd, how) })
}

// CloseWrite is Shutdown(ShutWrite), as *net.TCPConn has it.
func (s *Socket) CloseWrite() error { return s.Shutdown(ShutWrite) }

// CloseRead is Shutdown(ShutRead), as *net.TCPConn has it.
func (s *Socket) CloseRead() error { return s.Shutdown(ShutRead) }

// SockName returns the socket's own address (getsockname(2)).
func (s *Socket) SockName() (Addr, error) {
	return s.name("getsockname", unix.SYS_GETSOCKNAME)
}

// PeerName returns the address of the socket's peer (getpeername(2)).
func (s *Socket) PeerName() (Addr, error) {
	return s.name("getpeername", unix.SYS_GETPEERNAME)
}

func (s *Socket) name(sys string, trap uintptr) (Addr, error) {
	var sa sockaddr
	if err := s.control(sys, sys, nil, func(fd int) error { return sysName(trap, fd, &sa) }); err != nil {
		return nil, err
	}
	a, err := sa.addr()
	if err != nil {
		return nil, s.opError(sys, sys, nil, err)
	}
	return a, nil
}

// sendFlags adds MSG_NOSIGNAL: a closed peer is an EPIPE error, never a
// signal.
func sendFlags(flags int) int { return flags | unix.MSG_NOSIGNAL }

// Send sends b on a connected socket (send(2)) and returns how much was
// sent, which on a STREAM socket may be less than len(b): see SendAll.
// flags are MSG_* values (unix.MSG_DONTROUTE, …).
func (s *Socket) Send(ctx context.Context, b []byte, flags int) (int, error) {
	c := s.getCall(writing)
	c.kind, c.b, c.flags, c.withSA = callSendto, b, sendFlags(flags), false
	err := s.do(ctx, writing, c, "send", nil)
	n := c.n
	s.putCall(writing, c)
	if err != nil {
		return 0, err
	}
	return n, nil
}

// SendAll sends all of b, calling send(2) as often as it takes, and
// returns how much was sent: len(b), or less with the error that stopped
// it. A timeout applies to each call, as in Python.
func (s *Socket) SendAll(ctx context.Context, b []byte, flags int) (int, error) {
	sent := 0
	for {
		n, err := s.Send(ctx, b[sent:], flags)
		sent += n
		if err != nil || sent >= len(b) {
			return sent, err
		}
	}
}

// SendTo sends b to addr (sendto(2)): a datagram, or on a raw socket a
// packet (a whole IPv4 packet with IP_HDRINCL on).
func (s *Socket) SendTo(ctx context.Context, b []byte, flags int, addr Addr) (int, error) {
	c := s.getCall(writing)
	defer s.putCall(writing, c)
	if err := c.st.sa.encode(s.family, addr); err != nil {
		return 0, s.opError("sendto", "sendto", addr, err)
	}
	c.kind, c.b, c.flags, c.withSA = callSendto, b, sendFlags(flags), true
	if err := s.do(ctx, writing, c, "sendto", addr); err != nil {
		return 0, err
	}
	return c.n, nil
}

// Recv receives up to bufsize bytes (recv(2)). An empty result with a nil
// error on a STREAM socket means the peer closed its side; on a datagram
// socket it is an empty datagram. flags are MSG_* values (unix.MSG_PEEK, …).
func (s *Socket) Recv(ctx context.Context, bufsize int, flags int) ([]byte, error) {
	b := make([]byte, bufsize)
	n, err := s.RecvInto(ctx, b, flags)
	return b[:min(n, len(b))], err
}

// RecvInto receives into b (Python's recv_into) and returns the count. With
// unix.MSG_TRUNC on a datagram socket the count is the datagram's real
// length, which may exceed len(b).
func (s *Socket) RecvInto(ctx context.Context, b []byte, flags int) (int, error) {
	c := s.getCall(reading)
	defer s.putCall(reading, c)
	c.kind, c.b, c.flags, c.withSA = callRecvfrom, b, flags, false
	if err := s.do(ctx, reading, c, "recv", nil); err != nil {
		return 0, err
	}
	return max(c.n, 0), nil
}

// RecvFrom receives up to bufsize bytes and the sender's address
// (recvfrom(2)). The address is nil when the kernel gives none: on a
// connected STREAM socket, and for an unbound unix sender (Python's None).
func (s *Socket) RecvFrom(ctx context.Context, bufsize int, flags int) ([]byte, Addr, error) {
	b := make([]byte, bufsize)
	n, from, err := s.RecvFromInto(ctx, b, flags)
	return b[:min(n, len(b))], from, err
}

// RecvFromInto receives into b and returns the count and the sender's
// address (Python's recvfrom_into). A sender seen lately costs no
// allocation: the socket keeps the last few addresses it decoded.
func (s *Socket) RecvFromInto(ctx context.Context, b []byte, flags int) (int, Addr, error) {
	c := s.getCall(reading)
	defer s.putCall(reading, c)
	c.st.sa.reset()
	c.kind, c.b, c.flags, c.withSA = callRecvfrom, b, flags, true
	if err := s.do(ctx, reading, c, "recvfrom", nil); err != nil {
		return 0, nil, err
	}
	from, err := s.from.addr(&c.st.sa)
	if err != nil {
		return c.n, nil, s.opError("recvfrom", "recvfrom", nil, err)
	}
	return c.n, from, nil
}

var (
	_ net.Conn       = (*Socket)(nil)
	_ net.PacketConn = (*Socket)(nil)
)

// Read receives into b, for io.Reader and net.Conn: at the end of a STREAM
// or SEQPACKET connection it returns io.EOF.
func (s *Socket) Read(b []byte) (int, error) {
	n, err := s.RecvInto(context.Background(), b, 0)
	if err == nil && n == 0 && len(b) > 0 && s.typ != DGRAM && s.typ != RAW && s.typ != RDM {
		return 0, io.EOF
	}
	return n, err
}

// Write sends all of b, for io.Writer and net.Conn.
func (s *Socket) Write(b []byte) (int, error) {
	return s.SendAll(context.Background(), b, 0)
}

// ReadFrom receives one datagram into b and its sender, for net.PacketConn.
func (s *Socket) ReadFrom(b []byte) (int, net.Addr, error) {
	n, from, err := s.RecvFromInto(context.Background(), b, 0)
	if from == nil {
		return n, nil, err
	}
	return n, from, err
}

// WriteTo sends b to addr, for net.PacketConn. addr may be any Addr or one
// of package net's (*net.UDPAddr, *net.UnixAddr, …).
func (s *Socket) WriteTo(b []byte, addr net.Addr) (int, error) {
	a, ok := addr.(Addr)
	if !ok {
		var err error
		if a, err = fromNetAddr(addr); err != nil {
			return 0, s.opError("sendto", "sendto", nil, err)
		}
	}
	return s.SendTo(context.Background(), b, 0, a)
}

// LocalAddr returns SockName's address, or nil, for net.Conn.
func (s *Socket) LocalAddr() net.Addr {
	if a, err := s.SockName(); err == nil && a != nil {
		return a
	}
	return nil
}

// RemoteAddr returns PeerName's address, or nil, for net.Conn.
func (s *Socket) RemoteAddr() net.Addr {
	if a, err := s.PeerName(); err == nil && a != nil {
		return a
	}
	return nil
}

// MakeFile returns a buffered reader and writer over the socket, the Go
// form of Python's socket.makefile: line reads (ReadString('\n'),
// ReadLine) work, and writes go out on Flush. size is each buffer's size;
// 0 means 64 KiB. The socket's timeout applies to every read and write
// underneath.
func (s *Socket) MakeFile(size int) *bufio.ReadWriter {
	if size <= 0 {
		size = 64 << 10
	}
	return bufio.NewReadWriter(bufio.NewReaderSize(s, size), bufio.NewWriterSize(s, size))
}
