package scan

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/rawsock/rawsock/craft"
	"github.com/rawsock/rawsock/sockets"
)

// rawProber sends SYN or UDP probes through a raw socket and reads the
// answers from that socket (TCP or UDP) and from a raw ICMP socket, each
// with a BPF program that passes only what can answer this scan.
type rawProber struct {
	c       codec
	send    *sockets.Socket // raw TCP or UDP: sends probes and RSTs, receives answers
	icmp    *sockets.Socket // raw ICMP or ICMPv6: receives errors
	reserve *sockets.Socket // an ordinary socket bound to c.sport, so no local program gets it
	dst     sockets.Addr
	buf     [maxProbe]byte // the probe being sent; only Probe touches it

	replies chan Reply
	done    chan struct{}
	wg      sync.WaitGroup
	close   sync.Once
}

var _ Prober = (*rawProber)(nil)

// recvBuffer is the receive buffer asked for each raw socket: room for the
// answers of a full window of probes arriving at once.
const recvBuffer = 4 << 20

// openRaw opens the sockets of a raw scan whose sequence numbers derive
// from key.
func openRaw(m Method, target netip.Addr, key uint64) (*rawProber, error) {
	src, err := craft.RouteSource(target, "")
	if err != nil {
		return nil, err
	}
	p := &rawProber{
		c:       codec{method: m, src: src, dst: target, key: key, ttl: probeTTL},
		dst:     sockets.Inet(target, 0),
		replies: make(chan Reply, 1024),
		done:    make(chan struct{}),
	}
	family, proto, icmpProto := sockets.INET, protoTCP, protoICMP
	if target.Is6() {
		family, icmpProto = sockets.INET6, protoICMP6
	}
	if m == UDP {
		proto = protoUDP
	}
	if err := p.open(family, proto, icmpProto); err != nil {
		p.closeSockets()
		return nil, err
	}
	p.wg.Add(2)
	go p.receive(p.send, p.answer)
	go p.receive(p.icmp, p.icmpAnswer)
	return p, nil
}

func (p *rawProber) open(family sockets.Family, proto, icmpProto int) error {
	// The kernel picks a free port for the reserving socket: that is the
	// scan's random source port, and no connection of this host can take
	// it while the scan runs.
	typ := sockets.STREAM
	if proto == protoUDP {
		typ = sockets.DGRAM
	}
	var err error
	if p.reserve, err = sockets.Open(family, typ, 0, nil); err != nil {
		return err
	}
	if err := p.reserve.Bind(sockets.Inet(p.c.src, 0)); err != nil {
		return fmt.Errorf("reserve a source port on %s: %w", p.c.src, err)
	}
	name, err := p.reserve.SockName()
	if err != nil {
		return err
	}
	p.c.sport = name.(sockets.InetAddr).Port()

	p.send, err = sockets.Open(family, sockets.RAW, proto, &sockets.Config{Filter: replyFilter(p.c.dst, uint8(proto), p.c.sport)})
	if err != nil {
		return fmt.Errorf("a %s scan needs a raw socket: %w", strings.ToUpper(p.c.method.String()), err)
	}
	if family == sockets.INET {
		if err := p.send.SetHeaderIncluded(true); err != nil {
			return err
		}
	} else if err := p.send.Bind(sockets.Inet(p.c.src, 0)); err != nil {
		// Bound, the socket sends from exactly the address the
		// checksums were computed with.
		return err
	}
	p.icmp, err = sockets.Open(family, sockets.RAW, icmpProto, &sockets.Config{Filter: icmpFilter(p.c.dst, uint8(proto))})
	if err != nil {
		return fmt.Errorf("a %s scan needs a raw socket: %w", strings.ToUpper(p.c.method.String()), err)
	}
	for _, s := range []*sockets.Socket{p.send, p.icmp} {
		// Beyond net.core.rmem_max only with CAP_NET_ADMIN; the ordinary
		// option is the fallback.
		if s.SetOption(unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, recvBuffer) != nil {
			s.SetRecvBuffer(recvBuffer)
		}
		if family == sockets.INET6 {
			if err := s.SetOption(unix.IPPROTO_IPV6, unix.IPV6_RECVHOPLIMIT, 1); err != nil {
				return err
			}
		}
	}
	return nil
}

// Probe sends the probe for port.
func (p *rawProber) Probe(port uint16) error {
	n := p.c.probe(p.buf[:], port)
	if _, err := p.send.SendTo(context.Background(), p.buf[:n], 0, p.dst); err != nil {
		if errors.Is(err, unix.ENOBUFS) || errors.Is(err, unix.EAGAIN) {
			return fmt.Errorf("%w: %w", ErrBusy, err)
		}
		return err
	}
	return nil
}

// Replies returns the answers matched so far.
func (p *rawProber) Replies() <-chan Reply { return p.replies }

// Close closes the sockets and waits for the receiving goroutines to end.
func (p *rawProber) Close() error {
	p.close.Do(func() {
		close(p.done)
		p.closeSockets()
		p.wg.Wait()
	})
	return nil
}

func (p *rawProber) closeSockets() {
	for _, s := range []*sockets.Socket{p.send, p.icmp, p.reserve} {
		if s != nil {
			s.Close()
		}
	}
}

// receive reads s until it is closed, handing each packet, its sender and
// its TTL (hop limit) to match. IPv4 packets carry their TTL; an IPv6 raw
// socket gives the hop limit as ancillary data.
func (p *rawProber) receive(s *sockets.Socket, match func([]byte, netip.Addr, uint8)) {
	defer p.wg.Done()
	m := sockets.Message{Data: make([]byte, snapLen), OOB: make([]byte, 64)}
	for {
		m.Data = m.Data[:cap(m.Data)]
		if err := s.RecvMsg(context.Background(), &m, 0); err != nil {
			return // closed
		}
		var from netip.Addr
		if a, ok := m.Addr.(sockets.InetAddr); ok {
			from = a.Addr().Unmap()
		}
		match(m.Data[:min(m.N, len(m.Data))], from, hopLimit(m.OOB[:m.NN]))
	}
}

// answer handles what the TCP or UDP socket received; a SYN-ACK is
// answered with a RST at once.
func (p *rawProber) answer(b []byte, from netip.Addr, hops uint8) {
	var rep Reply
	var ok bool
	var ack uint32
	switch {
	case p.c.method == UDP && p.c.dst.Is4():
		rep, ok = p.c.udpReply4(b)
	case p.c.method == UDP:
		rep, ok = p.c.udpReply6(b, from, hops)
	case p.c.dst.Is4():
		rep, ack, ok = p.c.tcpReply4(b)
	default:
		rep, ack, ok = p.c.tcpReply6(b, from, hops)
	}
	if !ok {
		return
	}
	if rep.State == Open && p.c.method == SYN {
		var rst [ipv4Len + tcpRSTLen]byte
		n := p.c.reset(rst[:], rep.Port, ack)
		p.send.SendTo(context.Background(), rst[:n], 0, p.dst)
	}
	p.deliver(rep)
}

func (p *rawProber) icmpAnswer(b []byte, from netip.Addr, hops uint8) {
	var rep Reply
	var ok bool
	if p.c.dst.Is4() {
		rep, ok = p.c.icmpReply4(b)
	} else {
		rep, ok = p.c.icmpReply6(b, from, hops)
	}
	if ok {
		p.deliver(rep)
	}
}

func (p *rawProber) deliver(rep Reply) {
	select {
	case p.replies <- rep:
	case <-p.done:
	}
}

// hopLimit reads IPV6_HOPLIMIT from a received message's ancillary data;
// 0 when absent.
func hopLimit(oob []byte) uint8 {
	if len(oob) == 0 {
		return 0
	}
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return 0
	}
	for _, m := range msgs {
		if m.Header.Level == unix.IPPROTO_IPV6 && m.Header.Type == unix.IPV6_HOPLIMIT && len(m.Data) >= 4 {
			return uint8(binary.NativeEndian.Uint32(m.Data))
		}
	}
	return 0
}
