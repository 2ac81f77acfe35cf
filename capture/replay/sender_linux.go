package replay

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"

	"github.com/rawsock/rawsock/sockets"
)

// A PacketSender sends Ethernet frames through an AF_PACKET socket bound to
// one interface (packet(7)), in sendmmsg(2) batches. The socket is opened
// with protocol 0, so it receives nothing, and stays out of the runtime
// poller but while a send waits (sockets.Config.LazyPoller): a replay
// rarely waits, and the poller would cost a wakeup per frame sent.
type PacketSender struct {
	s       *sockets.Socket
	ifindex int
	mac     net.HardwareAddr
	addrs   map[uint16]sockets.Addr // by EtherType: an Addr made once each
	msgs    []sockets.Message
}

var (
	_ Sender = (*PacketSender)(nil)
	_ Sender = (*RawSender)(nil)
)

// OpenPacket opens a PacketSender on the interface called ifname. It needs
// CAP_NET_RAW: the error then wraps syscall.EPERM.
func OpenPacket(ifname string) (*PacketSender, error) {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return nil, err
	}
	s, err := sockets.OpenPacket(ifname, sockets.RAW, 0, &sockets.Config{LazyPoller: true})
	if err != nil {
		return nil, err
	}
	return &PacketSender{s: s, ifindex: ifi.Index, mac: ifi.HardwareAddr, addrs: map[uint16]sockets.Addr{}}, nil
}

// HardwareAddr returns the interface's own address, the source of frames
// made from captures without Ethernet headers.
func (p *PacketSender) HardwareAddr() net.HardwareAddr { return p.mac }

// Send sends Ethernet frames; see Sender.
func (p *PacketSender) Send(ctx context.Context, frames [][]byte) (int, error) {
	if cap(p.msgs) < len(frames) {
		p.msgs = make([]sockets.Message, len(frames))
	}
	ms := p.msgs[:len(frames)]
	for i, f := range frames {
		var typ uint16
		if len(f) >= 14 {
			typ = binary.BigEndian.Uint16(f[12:])
		}
		a, ok := p.addrs[typ]
		if !ok {
			a = sockets.Packet(p.ifindex, typ)
			p.addrs[typ] = a
		}
		ms[i] = sockets.Message{Data: f, Addr: a}
	}
	return sendAll(ctx, p.s, ms)
}

// Close closes the socket.
func (p *PacketSender) Close() error { return p.s.Close() }

// sendAll sends ms with sendmmsg until all are sent or one fails.
func sendAll(ctx context.Context, s *sockets.Socket, ms []sockets.Message) (int, error) {
	sent := 0
	for sent < len(ms) {
		n, err := s.SendBatch(ctx, ms[sent:], 0)
		sent += n
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}

// A RawSender sends IPv4 and IPv6 packets through raw sockets with the
// header included (IP_HDRINCL, IPV6_HDRINCL; raw(7)), to the destination
// in each packet's header, routed by the kernel. The kernel fills in an
// IPv4 header's checksum and total length, a source of 0.0.0.0 and an id
// of 0 (except in DF packets); the rest leaves as given.
type RawSender struct {
	v4, v6 *sockets.Socket
	zone   string
	addrs  map[netip.Addr]sockets.Addr
	msgs   []sockets.Message
}

// OpenRaw opens a RawSender. With ifname set, both sockets send through
// that interface only (SO_BINDTODEVICE), and link-local destinations
// belong to it. It needs CAP_NET_RAW: the error then wraps syscall.EPERM.
// On a host without IPv6, IPv6 packets fail and IPv4 ones go.
func OpenRaw(ifname string) (*RawSender, error) {
	rs := &RawSender{zone: ifname, addrs: map[netip.Addr]sockets.Addr{}}
	var err error
	if rs.v4, err = openRaw(sockets.INET, ifname); err != nil {
		return nil, err
	}
	// Broadcasts are replayed too; a raw socket refuses them without
	// SO_BROADCAST.
	if err = rs.v4.SetBroadcast(true); err == nil {
		rs.v6, err = openRaw(sockets.INET6, ifname)
		if errors.Is(err, syscall.EAFNOSUPPORT) {
			rs.v6, err = nil, nil
		}
	}
	if err != nil {
		rs.Close()
		return nil, err
	}
	return rs, nil
}

func openRaw(family sockets.Family, ifname string) (*sockets.Socket, error) {
	s, err := sockets.Open(family, sockets.RAW, sockets.ProtoRaw, &sockets.Config{LazyPoller: true})
	if err != nil {
		return nil, err
	}
	if err = s.SetHeaderIncluded(true); err == nil && ifname != "" {
		err = s.BindToDevice(ifname)
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// errNoIPv6 is the error of an IPv6 packet on a host without IPv6.
var errNoIPv6 = fmt.Errorf("no IPv6 on this host: %w", syscall.EAFNOSUPPORT)

// errNotIP is the error of a packet that is neither IPv4 nor IPv6.
var errNotIP = errors.New("not an IPv4 or IPv6 packet")

// Send sends IP packets; see Sender. A run of packets of one family goes
// out in one sendmmsg(2).
func (rs *RawSender) Send(ctx context.Context, pkts [][]byte) (int, error) {
	if cap(rs.msgs) < len(pkts) {
		rs.msgs = make([]sockets.Message, len(pkts))
	}
	sent := 0
	for sent < len(pkts) {
		v6 := len(pkts[sent]) > 0 && pkts[sent][0]>>4 == 6
		s := rs.v4
		if v6 {
			s = rs.v6
		}
		ms := rs.msgs[:0]
		for _, p := range pkts[sent:] {
			a, ok := rs.dst(p, v6)
			if !ok {
				break
			}
			ms = append(ms, sockets.Message{Data: p, Addr: a})
		}
		if len(ms) == 0 {
			if v6 && len(pkts[sent]) >= 40 && rs.v6 == nil {
				return sent, errNoIPv6
			}
			return sent, errNotIP
		}
		if s == nil {
			return sent, errNoIPv6
		}
		n, err := sendAll(ctx, s, ms)
		sent += n
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}

// dst returns the socket address of p's destination when p is an IP
// packet of the family asked.
func (rs *RawSender) dst(p []byte, v6 bool) (sockets.Addr, bool) {
	var d netip.Addr
	switch {
	case !v6 && len(p) >= 20 && p[0]>>4 == 4:
		d = netip.AddrFrom4([4]byte(p[16:20]))
	case v6 && len(p) >= 40 && p[0]>>4 == 6:
		d = netip.AddrFrom16([16]byte(p[24:40]))
		if rs.zone != "" && (d.IsLinkLocalUnicast() || d.IsLinkLocalMulticast() || d.IsInterfaceLocalMulticast()) {
			d = d.WithZone(rs.zone)
		}
	default:
		return nil, false
	}
	a, ok := rs.addrs[d]
	if !ok {
		if len(rs.addrs) >= 4096 {
			clear(rs.addrs) // a capture of many hosts: keep the cache small
		}
		a = sockets.Inet(d, 0)
		rs.addrs[d] = a
	}
	return a, true
}

// Close closes the sockets.
func (rs *RawSender) Close() error {
	var err error
	for _, s := range []*sockets.Socket{rs.v4, rs.v6} {
		if s != nil {
			if cerr := s.Close(); err == nil {
				err = cerr
			}
		}
	}
	return err
}

// fatal reports whether a send error would fail every packet after it too:
// the socket closed, the interface gone or down.
func fatal(err error) bool {
	return errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.EBADF) || errors.Is(err, syscall.ENODEV) ||
		errors.Is(err, syscall.ENXIO) || errors.Is(err, syscall.ENETDOWN)
}
