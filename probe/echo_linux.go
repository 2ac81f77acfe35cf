package probe

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/rawsock/rawsock/sockets"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// echoSocket is the Linux EchoConn over package sockets.
type echoSocket struct {
	s    *sockets.Socket
	rx   *rxSocket
	flow *sockets.Flow // to dst: sends, and receives for rx
	v6   bool
	raw  bool
	id   uint16
	dst  sockets.Addr // boxed once: SendTo takes an interface
	out  []byte
	// filtered says EchoFilter is attached: another process's reply came.
	filtered bool
}

var _ EchoConn = (*echoSocket)(nil)

// OpenEcho opens the socket for pinging opts.Dst: a raw ICMP socket when
// the process may open one (or opts.Kind says so), otherwise the ICMP
// datagram socket, whose use net.ipv4.ping_group_range governs. When
// neither is allowed the error is a *PermissionError saying what to change.
func OpenEcho(opts *EchoOptions) (EchoConn, error) {
	c, err := openEchoSocket(opts)
	if err != nil {
		return nil, err
	}
	if err := c.setup(opts); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func openEchoSocket(opts *EchoOptions) (*echoSocket, error) {
	if !opts.Dst.IsValid() {
		return nil, errors.New("no destination address")
	}
	v6 := opts.Dst.Is6() && !opts.Dst.Is4In6()
	fam, proto := sockets.INET, unix.IPPROTO_ICMP
	if v6 {
		fam, proto = sockets.INET6, unix.IPPROTO_ICMPV6
	}
	c := &echoSocket{v6: v6, dst: sockets.Inet(opts.Dst.Unmap(), 0)}
	var rawErr error
	if opts.Kind != DatagramSocket {
		c.id = opts.ID
		if c.id == 0 {
			var b [2]byte
			rand.Read(b[:])
			c.id = binary.BigEndian.Uint16(b[:]) | 1
		}
		// The identifier filter (EchoFilter) is attached when another
		// process's echo reply first arrives, as iputils does: a filter
		// costs every packet, and most pings run alone.
		c.s, rawErr = sockets.Open(fam, sockets.RAW, proto, &sockets.Config{LazyPoller: true})
		if rawErr == nil {
			c.raw = true
			return c, nil
		}
		if opts.Kind == RawSocket || !isPermission(rawErr) {
			return nil, rawErr
		}
	}
	s, err := sockets.Open(fam, sockets.DGRAM, proto, &sockets.Config{LazyPoller: true})
	if err != nil {
		if isPermission(err) && opts.Kind == AutoSocket {
			return nil, &PermissionError{Err: err, Range: pingGroupRange(), Groups: groups()}
		}
		return nil, err
	}
	c.s = s
	return c, nil
}

func isPermission(err error) bool {
	return errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES)
}

func pingGroupRange() string {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ping_group_range")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(b)), " ")
}

func groups() []int {
	gs, _ := os.Getgroups()
	return append([]int{os.Getgid()}, gs...)
}

// setup sets the socket options iputils sets, in its order.
func (c *echoSocket) setup(opts *EchoOptions) error {
	s := c.s
	ipLevel, recvErr := unix.IPPROTO_IP, unix.IP_RECVERR
	if c.v6 {
		ipLevel, recvErr = unix.IPPROTO_IPV6, unix.IPV6_RECVERR
	}
	if opts.Device != "" {
		if err := s.BindToDevice(opts.Device); err != nil {
			return fmt.Errorf("SO_BINDTODEVICE %s: %w", opts.Device, err)
		}
	}
	if opts.TOS != 0 {
		if err := s.SetTOS(opts.TOS); err != nil {
			return err
		}
	}
	if opts.Broadcast {
		if err := s.SetBroadcast(true); err != nil {
			return fmt.Errorf("cannot set broadcasting: %w", err)
		}
	}
	if opts.PMTUDisc != "" {
		v, ok := map[string]int{"dont": unix.IP_PMTUDISC_DONT, "want": unix.IP_PMTUDISC_WANT, "do": unix.IP_PMTUDISC_DO}[opts.PMTUDisc]
		if !ok {
			return fmt.Errorf("invalid -M argument: %s", opts.PMTUDisc)
		}
		name := unix.IP_MTU_DISCOVER
		if c.v6 {
			name = unix.IPV6_MTU_DISCOVER
		}
		if err := s.SetOption(ipLevel, name, v); err != nil {
			return err
		}
	}
	// A datagram socket's identifier is its port: bind to learn it (and
	// to the source address, when one is given).
	if opts.Source.IsValid() || !c.raw {
		src := opts.Source
		if !src.IsValid() {
			src = netip.IPv4Unspecified()
			if c.v6 {
				src = netip.IPv6Unspecified()
			}
		}
		if err := s.Bind(sockets.Inet(src, 0)); err != nil {
			return fmt.Errorf("bind icmp socket: %w", err)
		}
		if !c.raw {
			a, err := s.SockName()
			if err != nil {
				return err
			}
			if ia, ok := a.(sockets.InetAddr); ok {
				c.id = ia.Port()
			}
		}
	}
	if c.raw {
		// The kernel's own ICMP type filter drops everything but echo
		// replies before the packet is even copied for this socket (the
		// BPF filter, once attached, checks the identifier). ICMP errors
		// reach the error queue all the same.
		if err := c.setTypeFilter(); err != nil {
			return err
		}
	}
	if err := s.SetOption(ipLevel, recvErr, 1); err != nil {
		return err
	}
	switch {
	case c.v6:
		if err := s.SetOption(unix.IPPROTO_IPV6, unix.IPV6_RECVHOPLIMIT, 1); err != nil {
			return err
		}
	case !c.raw:
		if err := s.SetOption(unix.IPPROTO_IP, unix.IP_RECVTTL, 1); err != nil {
			return err
		}
	}
	if opts.TTL > 0 {
		if err := s.SetMulticastTTL(opts.TTL); err != nil {
			return fmt.Errorf("cannot set multicast time-to-live: %w", err)
		}
		if err := s.SetTTL(opts.TTL); err != nil {
			return fmt.Errorf("cannot set unicast time-to-live: %w", err)
		}
	}
	if opts.RecvBuffer > 0 {
		s.SetRecvBuffer(opts.RecvBuffer)
	}
	if err := s.SetTimestamps(true); err != nil {
		return err
	}
	var err error
	if c.flow, err = s.NewFlow(c.dst, rxBufSize, rxOOBSize); err != nil {
		return err
	}
	if c.rx, err = newRx(s, c.flow); err != nil {
		return err
	}
	c.out = make([]byte, 0, 65536)
	return nil
}

// attachFilter attaches EchoFilter for the socket's identifier.
func (c *echoSocket) attachFilter() error {
	prog, err := bpf.Assemble(EchoFilter(c.v6, c.id))
	if err != nil {
		return err
	}
	return c.s.AttachFilter(prog)
}

// setTypeFilter passes only echo replies: ICMP_FILTER (raw(7)) or
// ICMP6_FILTER (RFC 3542), where a set bit blocks a type.
func (c *echoSocket) setTypeFilter() error {
	if !c.v6 {
		return c.s.SetOption(unix.SOL_RAW, unix.ICMP_FILTER, int(^uint32(1<<icmpEchoReply)))
	}
	var f [8]uint32
	for i := range f {
		f[i] = ^uint32(0)
	}
	f[icmp6EchoReply>>5] &^= 1 << (icmp6EchoReply & 31)
	b := make([]byte, 32)
	for i, w := range f {
		binary.NativeEndian.PutUint32(b[4*i:], w)
	}
	return c.s.SetOptionBytes(unix.IPPROTO_ICMPV6, unix.ICMPV6_FILTER, b)
}

func (c *echoSocket) ID() uint16   { return c.id }
func (c *echoSocket) Raw() bool    { return c.raw }
func (c *echoSocket) Close() error { return c.s.Close() }

// Socket returns the underlying socket, for options OpenEcho does not set.
func (c *echoSocket) Socket() *sockets.Socket { return c.s }

func (c *echoSocket) Send(ctx context.Context, seq uint16, data []byte) (time.Time, error) {
	c.out = AppendEcho(c.out[:0], c.v6, c.id, seq, data)
	now := time.Now()
	_, err := c.flow.Send(ctx, c.out, 0)
	if err != nil {
		// The error queue may hold the local error that explains the
		// failure, or only ICMP errors whose announcement failed the send,
		// which is then made again.
		var again bool
		if again, err = c.rx.sendFailed(ctx, err); again {
			now = time.Now()
			_, err = c.flow.Send(ctx, c.out, 0)
		}
	}
	return now, err
}

// SetTTL changes the TTL (hop limit) of the requests that follow.
func (c *echoSocket) SetTTL(ttl int) error { return c.s.SetTTL(ttl) }

func (c *echoSocket) Receive(ctx context.Context, deadline time.Time) (Answer, error) {
	if err := ctx.Err(); err != nil {
		return Answer{}, err
	}
	var a Answer
	for {
		m, e, err := c.rx.next(ctx, deadline)
		switch {
		case err != nil:
			return Answer{}, err
		case m != nil:
			if c.parseReply(m, &a) {
				return a, nil
			}
		case e.icmpError() != nil:
			a := Answer{From: e.Offender, TTL: -1, Time: e.Time, Quote: e.Quote, Err: e.icmpError()}
			if ia, ok := e.Dst.(sockets.InetAddr); ok {
				a.Dst = ia.Addr().Unmap()
			}
			return a, nil
		}
		// A local error was already reported by the send that caused it.
	}
}

// parseReply turns a received datagram into the echo reply answer a
// (every field of which it sets), or reports false for one to skip, such
// as another process's reply, which from then on the kernel keeps out
// (EchoFilter).
func (c *echoSocket) parseReply(m *sockets.Message, a *Answer) bool {
	ia, ok := m.Addr.(sockets.InetAddr)
	if !ok {
		return false
	}
	b := m.Data[:min(m.N, len(m.Data))]
	ttl := -1
	if c.raw && !c.v6 {
		// A raw IPv4 socket receives the IP header first (ip(7)); all a
		// reply needs from it is its length and the TTL.
		if len(b) < 20 || b[0]>>4 != 4 {
			return false
		}
		hl := int(b[0]&0x0f) * 4
		if hl < 20 || hl > len(b) {
			return false
		}
		ttl = int(b[8])
		b = b[hl:]
	} else {
		ttl = findTTL(m.OOB[:m.NN])
	}
	if c.raw && len(b) >= 8 && binary.BigEndian.Uint16(b[4:]) != c.id {
		// Another process's ping: from now on the kernel keeps its
		// replies out. Should attaching fail, they are still dropped
		// here, one by one.
		if !c.filtered {
			c.filtered = c.attachFilter() == nil
		}
		return false
	}
	// Field by field: a composite literal would be built aside and copied
	// over the whole Answer.
	a.ICMP, a.From, a.TTL, a.Time = b, ia.Addr().Unmap(), ttl, m.Time
	a.Err, a.Quote, a.Dst = nil, nil, netip.Addr{}
	return true
}
