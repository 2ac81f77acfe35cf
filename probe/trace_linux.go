package probe

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/rawsock/rawsock/sockets"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// A TraceMethod is the kind of probe traceroute sends.
type TraceMethod int

const (
	// TraceUDP sends UDP datagrams to unlikely ports, from 33434 up, one
	// port per probe; the destination answers port unreachable.
	TraceUDP TraceMethod = iota
	// TraceICMP sends ICMP echo requests (-I); the destination answers
	// with echo replies.
	TraceICMP
	// TraceTCP sends TCP SYNs to one port (-T); the destination answers
	// SYN-ACK or RST. It needs a raw socket.
	TraceTCP
)

// String names the probe kind: "udp", "icmp" or "tcp".
func (m TraceMethod) String() string {
	switch m {
	case TraceICMP:
		return "icmp"
	case TraceTCP:
		return "tcp"
	}
	return "udp"
}

// The first port (UDP), sequence number (ICMP) and destination port (TCP)
// of traceroute(8).
const (
	DefaultUDPPort  = 33434
	DefaultICMPSeq  = 1
	DefaultTCPPort  = 80
	tcpOptionsLen   = 20
	defaultDataLen4 = 40 // after the IPv4 header: 60-byte packets
)

// TraceOptions are how a traceroute's socket is set up.
type TraceOptions struct {
	Dst    netip.Addr
	Method TraceMethod
	// Port is the first destination port (UDP), the first sequence number
	// (ICMP) or the destination port (TCP); 0 takes traceroute's default.
	Port int
	// PacketLen is the size of each probe, IP header included; 0 takes
	// 60 bytes (IPv4) or 80 (IPv6).
	PacketLen int
	// Source and Device choose where probes leave from.
	Source netip.Addr
	Device string
}

// ProbeSize returns the size of each probe, IP header included, as
// traceroute's header line shows it.
func (o *TraceOptions) ProbeSize() int {
	if o.Method == TraceTCP {
		return ipHeaderLen(o.Dst) + 20 + tcpOptionsLen
	}
	if o.PacketLen > 0 {
		return max(o.PacketLen, ipHeaderLen(o.Dst)+8)
	}
	return ipHeaderLen(o.Dst) + defaultDataLen4
}

func ipHeaderLen(a netip.Addr) int {
	if a.Is6() && !a.Is4In6() {
		return 40
	}
	return 20
}

// OpenTrace opens the socket for a traceroute to opts.Dst by opts.Method:
// a UDP socket, an echo socket (raw or datagram, as OpenEcho chooses) or a
// raw TCP socket, each reading ICMP errors from its error queue.
func OpenTrace(opts *TraceOptions) (TraceConn, error) {
	switch opts.Method {
	case TraceICMP:
		return openICMPTrace(opts)
	case TraceTCP:
		return openTCPTrace(opts)
	}
	return openUDPTrace(opts)
}

func family(a netip.Addr) (sockets.Family, bool) {
	if a.Is6() && !a.Is4In6() {
		return sockets.INET6, true
	}
	return sockets.INET, false
}

// setRecvErr turns on IP_RECVERR (IPV6_RECVERR) and kernel timestamps.
func setRecvErr(s *sockets.Socket, v6 bool) error {
	level, name := unix.IPPROTO_IP, unix.IP_RECVERR
	if v6 {
		level, name = unix.IPPROTO_IPV6, unix.IPV6_RECVERR
	}
	if err := s.SetOption(level, name, 1); err != nil {
		return err
	}
	return s.SetTimestamps(true)
}

func bindSource(s *sockets.Socket, opts *TraceOptions) error {
	if opts.Device != "" {
		if err := s.BindToDevice(opts.Device); err != nil {
			return fmt.Errorf("SO_BINDTODEVICE %s: %w", opts.Device, err)
		}
	}
	if opts.Source.IsValid() {
		return s.Bind(sockets.Inet(opts.Source, 0))
	}
	return nil
}

// udpTrace probes with UDP datagrams to port base+n.
type udpTrace struct {
	s    *sockets.Socket
	rx   *rxSocket
	dst  netip.Addr
	base int
	data []byte
}

func openUDPTrace(opts *TraceOptions) (*udpTrace, error) {
	fam, v6 := family(opts.Dst)
	s, err := sockets.Open(fam, sockets.DGRAM, 0, nil)
	if err != nil {
		return nil, err
	}
	t := &udpTrace{s: s, dst: opts.Dst.Unmap(), base: opts.Port}
	if t.base == 0 {
		t.base = DefaultUDPPort
	}
	if err := bindSource(s, opts); err != nil {
		s.Close()
		return nil, err
	}
	if err := setRecvErr(s, v6); err != nil {
		s.Close()
		return nil, err
	}
	t.data = make([]byte, opts.ProbeSize()-ipHeaderLen(opts.Dst)-8)
	for i := range t.data {
		t.data[i] = byte(0x40 + i%0x40)
	}
	if t.rx, err = newRx(s, nil); err != nil {
		s.Close()
		return nil, err
	}
	return t, nil
}

func (t *udpTrace) Close() error { return t.s.Close() }

func (t *udpTrace) Send(ctx context.Context, n, ttl int) (time.Time, error) {
	if err := t.s.SetTTL(ttl); err != nil {
		return time.Time{}, err
	}
	to := sockets.Inet(t.dst, uint16(t.base+n))
	var now time.Time
	err := t.rx.send(ctx, func() error {
		now = time.Now()
		_, err := t.s.SendTo(ctx, t.data, 0, to)
		return err
	})
	return now, err
}

func (t *udpTrace) Receive(ctx context.Context, deadline time.Time) (TraceAnswer, error) {
	for {
		m, e, err := t.rx.next(ctx, deadline)
		switch {
		case err != nil:
			return TraceAnswer{}, err
		case m != nil:
			// The destination runs a service on the port and answered.
			if ia, ok := m.Addr.(sockets.InetAddr); ok && ia.Addr().Unmap() == t.dst {
				return TraceAnswer{Probe: int(uint16(int(ia.Port()) - t.base)), From: t.dst, Time: m.Time}, nil
			}
		case e.icmpError() != nil:
			if ia, ok := e.Dst.(sockets.InetAddr); ok && ia.Addr().Unmap() == t.dst {
				return TraceAnswer{Probe: int(uint16(int(ia.Port()) - t.base)), From: e.Offender, Time: e.Time, Err: e.icmpError()}, nil
			}
		}
	}
}

// icmpTrace probes with echo requests of sequence number base+n.
type icmpTrace struct {
	e    *echoSocket
	dst  netip.Addr
	base int
	data []byte
}

func openICMPTrace(opts *TraceOptions) (*icmpTrace, error) {
	c, err := OpenEcho(&EchoOptions{Dst: opts.Dst, Source: opts.Source, Device: opts.Device})
	if err != nil {
		return nil, err
	}
	t := &icmpTrace{e: c.(*echoSocket), dst: opts.Dst.Unmap(), base: opts.Port}
	if t.base == 0 {
		t.base = DefaultICMPSeq
	}
	t.data = make([]byte, opts.ProbeSize()-ipHeaderLen(opts.Dst)-8)
	for i := range t.data {
		t.data[i] = byte(0x40 + i%0x40)
	}
	return t, nil
}

func (t *icmpTrace) Close() error { return t.e.Close() }

func (t *icmpTrace) Send(ctx context.Context, n, ttl int) (time.Time, error) {
	if err := t.e.SetTTL(ttl); err != nil {
		return time.Time{}, err
	}
	return t.e.Send(ctx, uint16(t.base+n), t.data)
}

func (t *icmpTrace) Receive(ctx context.Context, deadline time.Time) (TraceAnswer, error) {
	v6 := t.dst.Is6()
	for {
		a, err := t.e.Receive(ctx, deadline)
		if err != nil {
			return TraceAnswer{}, err
		}
		raw := a.ICMP
		want := echoType(v6, true)
		if a.Err != nil {
			raw, want = a.Quote, echoType(v6, false)
			if a.Dst.IsValid() && a.Dst != t.dst {
				continue
			}
		} else if a.From != t.dst {
			continue
		}
		e, err := ParseEcho(raw)
		if err != nil || e.Type != want || (t.e.raw && e.ID != t.e.id) {
			continue
		}
		return TraceAnswer{Probe: int(uint16(int(e.Seq) - t.base)), From: a.From, Time: a.Time, Err: a.Err}, nil
	}
}

// tcpTrace probes with SYNs from source port base+n to one port.
type tcpTrace struct {
	s       *sockets.Socket
	rx      *rxSocket
	v6      bool
	src     netip.Addr
	dst     netip.Addr
	dstSock sockets.Addr
	port    uint16
	base    uint16
	seq     uint32
	buf     gopacket.SerializeBuffer
}

// tcpSpan is how many source ports a TCP trace may use: enough for 255
// hops of 10 probes.
const tcpSpan = 2560

// TCPFilter is the classic BPF program of a TCP trace's raw socket: it
// passes segments from port to the source ports [base, base+span) and
// drops the rest of the host's TCP traffic.
func TCPFilter(v6 bool, port, base, span uint16) []bpf.Instruction {
	load := func(off uint32) bpf.Instruction {
		if v6 {
			return bpf.LoadAbsolute{Off: off, Size: 2}
		}
		return bpf.LoadIndirect{Off: off, Size: 2}
	}
	prog := []bpf.Instruction{
		load(0),
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: uint32(port), SkipTrue: 4},
		load(2),
		bpf.JumpIf{Cond: bpf.JumpLessThan, Val: uint32(base), SkipTrue: 2},
		bpf.JumpIf{Cond: bpf.JumpGreaterOrEqual, Val: uint32(base) + uint32(span), SkipTrue: 1},
		bpf.RetConstant{Val: 0xffff},
		bpf.RetConstant{Val: 0},
	}
	if v6 {
		return prog
	}
	return append([]bpf.Instruction{bpf.LoadMemShift{Off: 0}}, prog...)
}

func openTCPTrace(opts *TraceOptions) (*tcpTrace, error) {
	fam, v6 := family(opts.Dst)
	t := &tcpTrace{v6: v6, dst: opts.Dst.Unmap(), port: uint16(opts.Port), buf: gopacket.NewSerializeBuffer()}
	if t.port == 0 {
		t.port = DefaultTCPPort
	}
	var r [6]byte
	rand.Read(r[:])
	t.base = 32768 + binary.BigEndian.Uint16(r[:])%(60999-32768-tcpSpan)
	t.seq = binary.BigEndian.Uint32(r[2:])
	route, err := RouteTo(t.dst, opts.Device, false)
	if err != nil {
		return nil, err
	}
	t.src = route.Source
	if opts.Source.IsValid() {
		t.src = opts.Source
	}
	prog, err := bpf.Assemble(TCPFilter(v6, t.port, t.base, tcpSpan))
	if err != nil {
		return nil, err
	}
	s, err := sockets.Open(fam, sockets.RAW, unix.IPPROTO_TCP, &sockets.Config{Filter: prog})
	if err != nil {
		return nil, err
	}
	t.s = s
	if err := bindSource(s, opts); err != nil {
		s.Close()
		return nil, err
	}
	if err := setRecvErr(s, v6); err != nil {
		s.Close()
		return nil, err
	}
	t.dstSock = sockets.Inet(t.dst, 0)
	if t.rx, err = newRx(s, nil); err != nil {
		s.Close()
		return nil, err
	}
	return t, nil
}

func (t *tcpTrace) Close() error { return t.s.Close() }

// syn builds the SYN of probe n: traceroute's options (MSS, SACK
// permitted, timestamps, window scale), the checksum over the
// pseudo-header.
func (t *tcpTrace) syn(n int) ([]byte, error) {
	tcp := &layers.TCP{
		SrcPort: layers.TCPPort(t.base + uint16(n)),
		DstPort: layers.TCPPort(t.port),
		Seq:     t.seq + uint32(n),
		SYN:     true,
		Window:  5840,
		Options: []layers.TCPOption{
			{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{0x05, 0xb4}},
			{OptionType: layers.TCPOptionKindSACKPermitted, OptionLength: 2},
			{OptionType: layers.TCPOptionKindTimestamps, OptionLength: 10, OptionData: make([]byte, 8)},
			{OptionType: layers.TCPOptionKindNop},
			{OptionType: layers.TCPOptionKindWindowScale, OptionLength: 3, OptionData: []byte{7}},
		},
	}
	binary.BigEndian.PutUint32(tcp.Options[2].OptionData, uint32(time.Now().UnixMilli()))
	var err error
	if t.v6 {
		err = tcp.SetNetworkLayerForChecksum(&layers.IPv6{SrcIP: net.IP(t.src.AsSlice()), DstIP: net.IP(t.dst.AsSlice()), NextHeader: layers.IPProtocolTCP})
	} else {
		err = tcp.SetNetworkLayerForChecksum(&layers.IPv4{SrcIP: net.IP(t.src.AsSlice()), DstIP: net.IP(t.dst.AsSlice()), Protocol: layers.IPProtocolTCP})
	}
	if err != nil {
		return nil, err
	}
	if err := gopacket.SerializeLayers(t.buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, tcp); err != nil {
		return nil, err
	}
	return t.buf.Bytes(), nil
}

func (t *tcpTrace) Send(ctx context.Context, n, ttl int) (time.Time, error) {
	if n >= tcpSpan {
		return time.Time{}, errors.New("too many TCP probes")
	}
	if err := t.s.SetTTL(ttl); err != nil {
		return time.Time{}, err
	}
	b, err := t.syn(n)
	if err != nil {
		return time.Time{}, err
	}
	var now time.Time
	err = t.rx.send(ctx, func() error {
		now = time.Now()
		_, err := t.s.SendTo(ctx, b, 0, t.dstSock)
		return err
	})
	return now, err
}

func (t *tcpTrace) Receive(ctx context.Context, deadline time.Time) (TraceAnswer, error) {
	for {
		m, e, err := t.rx.next(ctx, deadline)
		switch {
		case err != nil:
			return TraceAnswer{}, err
		case m != nil:
			b := m.Data[:min(m.N, len(m.Data))]
			if !t.v6 {
				h, err := ParseIPv4(b)
				if err != nil {
					continue
				}
				b = b[h.Len:]
			}
			ia, ok := m.Addr.(sockets.InetAddr)
			if len(b) < 14 || !ok || ia.Addr().Unmap() != t.dst {
				continue
			}
			sport, dport, flags := binary.BigEndian.Uint16(b), binary.BigEndian.Uint16(b[2:]), b[13]
			const syn, rst, ack = 0x02, 0x04, 0x10
			if sport != t.port || (flags&(syn|ack) != syn|ack && flags&rst == 0) {
				continue
			}
			return TraceAnswer{Probe: int(dport - t.base), From: t.dst, Time: m.Time}, nil
		case e.icmpError() != nil:
			// The quote starts at the TCP header: source port first.
			if len(e.Quote) < 4 || binary.BigEndian.Uint16(e.Quote[2:]) != t.port {
				continue
			}
			n := int(binary.BigEndian.Uint16(e.Quote) - t.base)
			return TraceAnswer{Probe: n, From: e.Offender, Time: e.Time, Err: e.icmpError()}, nil
		}
	}
}
