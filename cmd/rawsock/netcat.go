package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rawsock/rawsock/sockets"
	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"
)

// listen and connect are netcat: stdin goes to the socket, the socket to
// stdout, with ncat's flags. Both are one conversation loop over package
// sockets; they differ only in how the first socket comes to be connected.

const netcatProtos = "tcp, udp, unix, unixgram or unixpacket (tcp4, tcp6, udp4, udp6 pick the IP version)"

const listenHelp = `
Listens on ADDR, takes one client (or, with -k, any number at once), and
copies stdin to the client and what the client sends to stdout. A stream
ends when the client closes it; when stdin ends, rawsock half-closes its
side (shutdown SHUT_WR) and keeps reading.

PROTO is tcp, tcp4, tcp6, udp, udp4, udp6, unix (stream), unixgram
(datagrams) or unixpacket (SEQPACKET: a connection that keeps message
boundaries). ADDR is IP:PORT, [IPv6]:PORT, :PORT or PORT (every address;
IPv4 and IPv6 for tcp and udp), or for unix sockets a path or an @name in
the abstract namespace. A socket file rawsock made is removed at exit.

With udp and unixgram, the first datagram's sender becomes the peer that
stdin goes to; with -k every sender is answered. A udp listener asks for a
4 MiB receive buffer (SO_RCVBUF, capped by net.core.rmem_max) unless
--rcvbuf gives another size, so that bursts are not dropped.

Examples:
  rawsock listen tcp 127.0.0.1:9000                 # one client, like nc -l
  rawsock listen -k --echo udp [::1]:9000           # echo every datagram
  rawsock listen -v -x unixpacket @demo             # show each message in hex
  rawsock listen --reuseaddr --rcvbuf 1M tcp :9000
`

const connectHelp = `
Connects to ADDR and copies stdin to the socket and what comes back to
stdout. When stdin ends, rawsock half-closes its side (shutdown SHUT_WR)
and keeps reading until the peer closes; datagram sockets have no end, so
use -q to quit a while after stdin ends, or --timeout.

PROTO is tcp, tcp4, tcp6, udp, udp4, udp6, unix, unixgram or unixpacket;
ADDR is IP:PORT, [IPv6]:PORT, localhost:PORT, a unix socket path or an
@name in the abstract namespace.

Examples:
  echo hello | rawsock connect tcp 127.0.0.1:9000
  printf 'ping' | rawsock connect -q 1s -x udp [::1]:9000
  rawsock connect -v --timeout 2s unixpacket @demo
  rawsock connect --ttl 3 --nodelay -s 127.0.0.2:0 tcp 127.0.0.1:9000
`

func init() {
	register(&command{
		name:     "listen",
		synopsis: "listen [flags] PROTO ADDR",
		summary:  "netcat server: accept tcp, udp, unix, unixgram or unixpacket peers; stdin to them, them to stdout",
		help:     listenHelp,
		setup: func(fs *pflag.FlagSet) func(*env, []string) error {
			o := netcatFlags(fs, true)
			return func(e *env, args []string) error { return netcat(e, args, o) }
		},
	})
	register(&command{
		name:     "connect",
		synopsis: "connect [flags] PROTO ADDR",
		summary:  "netcat client: connect over tcp, udp, unix, unixgram or unixpacket; stdin to the socket, the socket to stdout",
		help:     connectHelp,
		setup: func(fs *pflag.FlagSet) func(*env, []string) error {
			o := netcatFlags(fs, false)
			return func(e *env, args []string) error { return netcat(e, args, o) }
		},
	})
}

// ncOptions are the flags of listen and connect.
type ncOptions struct {
	listen    bool
	keep      bool
	echo      bool
	hex       bool
	verbose   bool
	reuseaddr bool
	reuseport bool
	nodelay   bool
	broadcast bool
	rcvbuf    string
	sndbuf    string
	ttl       int
	bindDev   string
	timeout   time.Duration
	quitAfter time.Duration
	source    string
	blockSize string
}

func netcatFlags(fs *pflag.FlagSet, listen bool) *ncOptions {
	o := &ncOptions{listen: listen, quitAfter: -1}
	if listen {
		fs.BoolVarP(&o.keep, "keep-open", "k", false, "keep accepting clients, all at once; stdin goes to every one")
	}
	fs.BoolVar(&o.echo, "echo", false, "answer each message received with itself")
	fs.BoolVarP(&o.hex, "hex", "x", false, "print each message as a hex dump with its direction and size instead of raw bytes")
	fs.BoolVarP(&o.verbose, "verbose", "v", false, "print addresses, options and events on stderr")
	if !listen {
		fs.StringVarP(&o.source, "source", "s", "", "bind to this local `ADDR` before connecting (IP:PORT, or a unix name)")
	}
	fs.DurationVar(&o.timeout, "timeout", 0, "give up when connecting, accepting or an idle connection takes longer than `DURATION` (exit 1)")
	fs.DurationVarP(&o.quitAfter, "quit-after", "q", -1, "after stdin ends, wait `DURATION` and quit (as nc -q)")
	fs.StringVarP(&o.blockSize, "block-size", "b", "", "read stdin in blocks of at most `SIZE` bytes; on datagram sockets a block is one message (default 256K for streams, 65507 for datagrams)")
	fs.BoolVar(&o.reuseaddr, "reuseaddr", false, "set SO_REUSEADDR")
	fs.BoolVar(&o.reuseport, "reuseport", false, "set SO_REUSEPORT (tcp, udp)")
	fs.BoolVar(&o.nodelay, "nodelay", false, "set TCP_NODELAY (tcp)")
	fs.StringVar(&o.rcvbuf, "rcvbuf", "", "set SO_RCVBUF to `SIZE` bytes (K, M suffixes)")
	fs.StringVar(&o.sndbuf, "sndbuf", "", "set SO_SNDBUF to `SIZE` bytes (K, M suffixes)")
	fs.IntVar(&o.ttl, "ttl", 0, "set IP_TTL / IPV6_UNICAST_HOPS to `N` (tcp, udp)")
	fs.BoolVar(&o.broadcast, "broadcast", false, "set SO_BROADCAST (udp)")
	fs.StringVar(&o.bindDev, "bind-dev", "", "set SO_BINDTODEVICE: only use interface `IFACE` (tcp, udp)")
	return o
}

// protoSpec is what PROTO names: a socket type and, for inet protocols, an
// IP version (0 when the address decides).
type protoSpec struct {
	name   string
	family sockets.Family
	typ    sockets.Type
	inet   bool
}

var netcatProtoSpecs = map[string]protoSpec{
	"tcp":        {"tcp", 0, sockets.STREAM, true},
	"tcp4":       {"tcp4", sockets.INET, sockets.STREAM, true},
	"tcp6":       {"tcp6", sockets.INET6, sockets.STREAM, true},
	"udp":        {"udp", 0, sockets.DGRAM, true},
	"udp4":       {"udp4", sockets.INET, sockets.DGRAM, true},
	"udp6":       {"udp6", sockets.INET6, sockets.DGRAM, true},
	"unix":       {"unix", sockets.UNIX, sockets.STREAM, false},
	"unixgram":   {"unixgram", sockets.UNIX, sockets.DGRAM, false},
	"unixpacket": {"unixpacket", sockets.UNIX, sockets.SEQPACKET, false},
}

// parseSize reads "65536", "64K", "1M".
func parseSize(flag, s string) (int, error) {
	mult := 1
	switch {
	case strings.HasSuffix(strings.ToUpper(s), "K"):
		mult, s = 1<<10, s[:len(s)-1]
	case strings.HasSuffix(strings.ToUpper(s), "M"):
		mult, s = 1<<20, s[:len(s)-1]
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 || n > (1<<30)/mult {
		return 0, usagef("--%s %q: give a size in bytes from 1 to 1G, such as 65536, 64K or 1M", flag, s)
	}
	return n * mult, nil
}

// netcatAddr parses ADDR for the protocol: the family comes from the
// protocol or, for plain tcp and udp, from the address.
func netcatAddr(p protoSpec, s string, listen bool) (sockets.Family, sockets.Addr, error) {
	if !p.inet {
		a, err := sockets.ParseAddr(sockets.UNIX, s)
		if err != nil {
			return 0, nil, usagef("%v", err)
		}
		return sockets.UNIX, a, nil
	}
	if _, err := strconv.Atoi(s); err == nil {
		s = ":" + s // a bare port
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return 0, nil, usagef("invalid %s address %q: write IP:PORT, [IPv6]:PORT or :PORT", p.name, s)
	}
	family := p.family
	if host == "localhost" {
		host = "127.0.0.1"
		if family == sockets.INET6 {
			host = "::1"
		}
	}
	if host == "" && !listen {
		return 0, nil, usagef("%q has no host to connect to: write it as 127.0.0.1:%s or [::1]:%s", s, port, port)
	}
	if family == 0 {
		family = sockets.INET
		if strings.Contains(host, ":") || host == "" && listen {
			family = sockets.INET6 // "[::1]:80"; ":80" listens on IPv4 and IPv6
		}
	}
	a, err := sockets.ParseAddr(family, net.JoinHostPort(host, port))
	if err != nil {
		return 0, nil, usagef("%v", err)
	}
	return family, a, nil
}

// nc is one run of listen or connect.
type nc struct {
	e     *env
	o     *ncOptions
	p     protoSpec
	ctx   context.Context // ends at -q after stdin, or on a signal
	quit  context.CancelFunc
	block int

	outMu sync.Mutex // stdout and stderr, one message at a time
	done  bool       // set under outMu when the command returns

	convMu sync.Mutex
	convs  map[any]*conv // where stdin goes: by address for datagram peers, else by *conv
	single bool          // one peer: stdin's end half-closes it

	stdinDone chan struct{} // closed when stdin has ended and all of it is sent
}

// linger is how long a conversation whose peer has ended waits for the
// rest of stdin to go out, as socat's -t does.
const linger = 500 * time.Millisecond

func netcat(e *env, args []string, o *ncOptions) error {
	if len(args) != 2 {
		return usagef("needs PROTO and ADDR, such as: rawsock %s tcp 127.0.0.1:9000", e.cmd)
	}
	p, ok := netcatProtoSpecs[strings.ToLower(args[0])]
	if !ok {
		return usagef("unknown protocol %q: use %s", args[0], netcatProtos)
	}
	family, addr, err := netcatAddr(p, args[1], o.listen)
	if err != nil {
		return err
	}
	if err := checkNetcatFlags(p, o); err != nil {
		return err
	}
	n := &nc{e: e, o: o, p: p, convs: map[any]*conv{}, single: !o.keep, stdinDone: make(chan struct{})}
	n.ctx, n.quit = context.WithCancel(e.ctx)
	defer n.quit()
	defer n.finish()
	n.block = 256 << 10
	if p.typ != sockets.STREAM {
		n.block = 65507
	}
	if o.blockSize != "" {
		if n.block, err = parseSize("block-size", o.blockSize); err != nil {
			return err
		}
	}
	s, err := sockets.Open(family, p.typ, 0, nil)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := n.setOptions(s, family); err != nil {
		return err
	}
	if o.listen {
		err = n.listen(s, addr)
	} else {
		err = n.connect(s, family, addr)
	}
	if errors.Is(err, context.Canceled) {
		return nil // -q after stdin, or interrupted: a normal end
	}
	return err
}

// finish stops every later write to stdout and stderr: goroutines still
// reading stdin must not print after the command has returned.
func (n *nc) finish() {
	n.outMu.Lock()
	n.done = true
	n.outMu.Unlock()
}

func checkNetcatFlags(p protoSpec, o *ncOptions) error {
	only := func(set bool, flag, what string, ok bool) error {
		if set && !ok {
			return usagef("--%s applies to %s sockets, not %s", flag, what, p.name)
		}
		return nil
	}
	tcp := p.inet && p.typ == sockets.STREAM
	udp := p.inet && p.typ == sockets.DGRAM
	for _, err := range []error{
		only(o.nodelay, "nodelay", "tcp", tcp),
		only(o.broadcast, "broadcast", "udp", udp),
		only(o.ttl != 0, "ttl", "tcp and udp", p.inet),
		only(o.reuseport, "reuseport", "tcp and udp", p.inet),
		only(o.bindDev != "", "bind-dev", "tcp and udp", p.inet),
	} {
		if err != nil {
			return err
		}
	}
	if o.ttl < 0 || o.ttl > 255 {
		return usagef("--ttl %d out of range: use 1-255", o.ttl)
	}
	if o.timeout < 0 {
		return usagef("--timeout %v is negative: give a duration such as 2s", o.timeout)
	}
	return nil
}

// setOptions applies the option flags and, with -v, prints what the
// kernel holds afterwards (it doubles buffer sizes, for one).
func (n *nc) setOptions(s *sockets.Socket, family sockets.Family) error {
	o := n.o
	ipLevel, ttlOpt, ttlName := unix.IPPROTO_IP, unix.IP_TTL, "IP_TTL"
	if family == sockets.INET6 {
		ipLevel, ttlOpt, ttlName = unix.IPPROTO_IPV6, unix.IPV6_UNICAST_HOPS, "IPV6_UNICAST_HOPS"
	}
	var rcvbuf, sndbuf int
	var err error
	if o.rcvbuf != "" {
		if rcvbuf, err = parseSize("rcvbuf", o.rcvbuf); err != nil {
			return err
		}
	}
	if o.sndbuf != "" {
		if sndbuf, err = parseSize("sndbuf", o.sndbuf); err != nil {
			return err
		}
	}
	opts := []struct {
		wanted       bool
		name         string
		level, name2 int
		set          func() error
	}{
		{o.reuseaddr, "SO_REUSEADDR", unix.SOL_SOCKET, unix.SO_REUSEADDR, func() error { return s.SetReuseAddr(true) }},
		{o.reuseport, "SO_REUSEPORT", unix.SOL_SOCKET, unix.SO_REUSEPORT, func() error { return s.SetReusePort(true) }},
		{o.nodelay, "TCP_NODELAY", unix.IPPROTO_TCP, unix.TCP_NODELAY, func() error { return s.SetNoDelay(true) }},
		{o.broadcast, "SO_BROADCAST", unix.SOL_SOCKET, unix.SO_BROADCAST, func() error { return s.SetBroadcast(true) }},
		{rcvbuf > 0, "SO_RCVBUF", unix.SOL_SOCKET, unix.SO_RCVBUF, func() error { return s.SetRecvBuffer(rcvbuf) }},
		{sndbuf > 0, "SO_SNDBUF", unix.SOL_SOCKET, unix.SO_SNDBUF, func() error { return s.SetSendBuffer(sndbuf) }},
		{o.ttl != 0, ttlName, ipLevel, ttlOpt, func() error { return s.SetTTL(o.ttl) }},
	}
	var shown []string
	for _, opt := range opts {
		if !opt.wanted {
			continue
		}
		if err := opt.set(); err != nil {
			return fmt.Errorf("set %s: %w", opt.name, err)
		}
		if v, err := s.GetOption(opt.level, opt.name2); err == nil {
			shown = append(shown, fmt.Sprintf("%s=%d", opt.name, v))
		}
	}
	if o.bindDev != "" {
		if err := s.BindToDevice(o.bindDev); err != nil {
			if errors.Is(err, unix.ENODEV) {
				return usagef("--bind-dev %q: no such interface: see 'ip link' for the names", o.bindDev)
			}
			return needPrivilege(fmt.Errorf("set SO_BINDTODEVICE: %w", err), "CAP_NET_RAW")
		}
		if dev, err := s.Device(); err == nil {
			shown = append(shown, "SO_BINDTODEVICE="+dev)
		}
	}
	if len(shown) > 0 {
		n.logf("options: %s", strings.Join(shown, " "))
	}
	if o.listen && rcvbuf == 0 && n.p.inet && n.p.typ == sockets.DGRAM {
		// A UDP server takes whatever senders burst at it, and the
		// kernel drops what overflows the receive buffer: ask for a
		// large one (the kernel caps it at net.core.rmem_max).
		if err := s.SetRecvBuffer(listenRecvBuffer); err == nil {
			if v, err := s.GetOption(unix.SOL_SOCKET, unix.SO_RCVBUF); err == nil {
				n.logf("receive buffer: SO_RCVBUF=%d (--rcvbuf sets another)", v)
			}
		}
	}
	if o.timeout > 0 {
		s.SetTimeout(o.timeout)
	}
	return nil
}

// listenRecvBuffer is the SO_RCVBUF that listen asks for on a UDP socket
// when --rcvbuf does not say: 4 MiB, some 5000 full-sized Ethernet
// datagrams, where the usual default (net.core.rmem_default, 208 KiB)
// holds under 300 small ones.
const listenRecvBuffer = 4 << 20

func (n *nc) logf(format string, args ...any) {
	if n.o.verbose {
		n.outMu.Lock()
		if !n.done {
			n.e.warnf(format, args...)
		}
		n.outMu.Unlock()
	}
}

func name(a sockets.Addr) string {
	if a == nil || a.String() == "" {
		return "(unnamed)"
	}
	return a.String()
}

// explain turns the socket errors users meet into a line that says what
// to do.
func (n *nc) explain(err error, addr sockets.Addr) error {
	where := name(addr)
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("timed out after %v (--timeout): nothing moved on %s in that time", n.o.timeout, where)
	case errors.Is(err, unix.ECONNREFUSED):
		return fmt.Errorf("connection to %s refused: nothing is listening there; start a server first (rawsock listen %s %s)", where, n.p.name, where)
	case errors.Is(err, unix.EADDRINUSE) && !n.p.inet:
		return fmt.Errorf("%s is in use: another socket is bound to it, or a stale socket file is left: remove it or choose another name", where)
	case errors.Is(err, unix.EADDRINUSE):
		return fmt.Errorf("address %s already in use: another socket is bound to it; choose another port (or --reuseport on both)", where)
	case errors.Is(err, unix.ENOENT) && !n.p.inet:
		return fmt.Errorf("no unix socket at %s: start a server there first (rawsock listen %s %s)", where, n.p.name, where)
	case errors.Is(err, unix.EADDRNOTAVAIL):
		return fmt.Errorf("address %s is not one of this host's: use an address from 'ip addr', or :PORT", where)
	case errors.Is(err, unix.ECONNRESET):
		return fmt.Errorf("%s reset the connection", where)
	case errors.Is(err, unix.EACCES) && n.p.inet:
		if ia, ok := addr.(sockets.InetAddr); ok && ia.Port() != 0 && ia.Port() < 1024 {
			return usagef("binding port %d: %v: ports below 1024 need root or CAP_NET_BIND_SERVICE; use a port above 1023", ia.Port(), syscall.EACCES)
		}
	}
	return err
}

func (n *nc) listen(s *sockets.Socket, addr sockets.Addr) error {
	if ia, ok := addr.(sockets.InetAddr); ok && ia.Addr().IsUnspecified() && ia.Addr().Is6() && n.p.family == 0 {
		s.SetV6Only(false) // ":PORT" takes IPv4 too
	}
	if err := s.Bind(addr); err != nil {
		return n.explain(err, addr)
	}
	if ua, ok := addr.(sockets.UnixAddr); ok && !ua.Abstract() {
		defer os.Remove(ua.Name)
	}
	local, _ := s.SockName()
	if n.p.typ == sockets.DGRAM {
		n.logf("listening on %s (%s)", name(local), n.p.name)
		return n.listenDatagrams(s, local)
	}
	if err := s.Listen(128); err != nil {
		return n.explain(err, addr)
	}
	n.logf("listening on %s (%s)", name(local), n.p.name)
	if !n.o.keep {
		c, peer, err := s.Accept(n.ctx)
		if err != nil {
			return n.explain(err, local)
		}
		defer c.Close()
		s.Close() // one client: stop listening, as nc does
		n.logf("connection from %s", name(peer))
		return n.converse(c, peer)
	}
	go n.pumpStdin()
	s.SetTimeout(sockets.NoTimeout) // -k serves until interrupted
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, peer, err := s.Accept(n.ctx)
		if err != nil {
			return n.explain(err, local)
		}
		n.logf("connection from %s", name(peer))
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			if err := n.converse(c, peer); err != nil && !errors.Is(err, context.Canceled) {
				n.outMu.Lock()
				if !n.done {
					n.e.warnf("%s: %v", name(peer), err)
				}
				n.outMu.Unlock()
			}
		}()
	}
}

// listenDatagrams serves udp and unixgram: without -k the first sender
// becomes the peer; with -k every sender is answered.
func (n *nc) listenDatagrams(s *sockets.Socket, local sockets.Addr) error {
	buf := make([]byte, 256<<10)
	if !n.o.keep {
		nr, from, err := s.RecvFromInto(n.ctx, buf, 0)
		if err != nil {
			return n.explain(err, local)
		}
		c := n.newConv(s, from, nil)
		if from == nil {
			n.logf("datagram from an unnamed socket: it cannot be answered")
		} else {
			if err := s.Connect(n.ctx, from); err != nil {
				return n.explain(err, from)
			}
			n.logf("datagram from %s: talking to it from now on", name(from))
			n.addConv(c)
		}
		go n.pumpStdin()
		if err := c.received(buf[:min(nr, len(buf))], nil); err != nil {
			return err
		}
		return c.receiveLoop(buf)
	}
	go n.pumpStdin()
	s.SetTimeout(sockets.NoTimeout)
	if n.p.inet {
		b := newDatagramBatch()
		for {
			k, err := s.RecvBatch(n.ctx, b.ms, 0)
			if err != nil {
				return n.explain(err, local)
			}
			for i := range b.ms[:k] {
				m := &b.ms[i]
				if err := n.sender(s, m.Addr).received(b.data(i), &b.out); err != nil {
					return err
				}
			}
			if err := b.flush(n); err != nil {
				return err
			}
		}
	}
	for {
		nr, from, err := s.RecvFromInto(n.ctx, buf, 0)
		if err != nil {
			return n.explain(err, local)
		}
		if err := n.sender(s, from).received(buf[:min(nr, len(buf))], nil); err != nil {
			return err
		}
	}
}

// sender returns the conversation of a datagram's sender on the -k
// socket s, made on its first datagram.
func (n *nc) sender(s *sockets.Socket, from sockets.Addr) *conv {
	if from == nil {
		return n.newConv(s, nil, nil)
	}
	n.convMu.Lock()
	c := n.convs[from]
	n.convMu.Unlock()
	if c == nil {
		c = n.newConv(s, from, from)
		n.addConv(c)
		n.logf("datagram from %s: new peer", name(from))
	}
	return c
}

// A datagramBatch receives UDP datagrams many at a time (recvmmsg(2)) and
// collects what they bring for stdout, which takes it in one write per
// batch rather than one per datagram: a receiver that makes two system
// calls per datagram falls behind a sender that makes a fraction of one
// (sendmmsg), and the kernel drops what overflows the receive buffer.
// Each datagram is still one message: -x shows each, --echo answers each.
type datagramBatch struct {
	ms  []sockets.Message
	out []byte
}

// A batch takes batchDatagrams datagrams of up to datagramSlot bytes,
// the largest a UDP datagram carries. The kernel writes only the first
// pages of each slot; the rest stays untouched virtual memory.
const (
	batchDatagrams = 32
	datagramSlot   = 64 << 10
)

func newDatagramBatch() *datagramBatch {
	mem := make([]byte, batchDatagrams*datagramSlot)
	b := &datagramBatch{ms: make([]sockets.Message, batchDatagrams), out: make([]byte, 0, 64<<10)}
	for i := range b.ms {
		b.ms[i].Data = mem[i*datagramSlot : (i+1)*datagramSlot : (i+1)*datagramSlot]
	}
	return b
}

// data is the i-th datagram received.
func (b *datagramBatch) data(i int) []byte {
	m := &b.ms[i]
	return m.Data[:min(m.N, len(m.Data))]
}

// flush writes what the batch collected for stdout.
func (b *datagramBatch) flush(n *nc) error {
	if len(b.out) == 0 {
		return nil
	}
	err := n.outputRaw(b.out)
	b.out = b.out[:0]
	return err
}

func (n *nc) connect(s *sockets.Socket, family sockets.Family, addr sockets.Addr) error {
	if n.o.source != "" {
		_, src, err := netcatAddr(n.p, n.o.source, true)
		if err != nil {
			return err
		}
		if src.Family() != family && !(family == sockets.INET6 && src.Family() == sockets.INET) {
			return usagef("--source %s is %v but %s is %v: use addresses of one IP version", n.o.source, src.Family(), name(addr), family)
		}
		if err := s.Bind(src); err != nil {
			return n.explain(err, src)
		}
	} else if n.p.typ == sockets.DGRAM && !n.p.inet {
		// A unixgram peer can only answer a named socket.
		if err := s.Bind(sockets.Unix("")); err != nil {
			return err
		}
	}
	if err := s.Connect(n.ctx, addr); err != nil {
		return n.explain(err, addr)
	}
	local, _ := s.SockName()
	n.logf("connected to %s from %s (%s)", name(addr), name(local), n.p.name)
	return n.converse(s, addr)
}

// conv is one conversation: a connected socket, or one sender on the
// listening datagram socket (to set: answers go there with sendto).
type conv struct {
	n      *nc
	s      *sockets.Socket
	peer   sockets.Addr
	to     sockets.Addr
	active atomic.Int64 // unix nanoseconds when data last moved
}

func (n *nc) newConv(s *sockets.Socket, peer, to sockets.Addr) *conv {
	c := &conv{n: n, s: s, peer: peer, to: to}
	c.touch()
	return c
}

func (c *conv) touch() { c.active.Store(time.Now().UnixNano()) }

// idle reports whether no data moved for the --timeout.
func (c *conv) idle() bool {
	return time.Since(time.Unix(0, c.active.Load())) >= c.n.o.timeout
}

func (n *nc) addConv(c *conv) {
	n.convMu.Lock()
	if c.to != nil {
		n.convs[c.to] = c
	} else {
		n.convs[c] = c
	}
	n.convMu.Unlock()
}

func (n *nc) dropConv(c *conv) {
	n.convMu.Lock()
	for k, v := range n.convs {
		if v == c {
			delete(n.convs, k)
		}
	}
	n.convMu.Unlock()
}

// converse runs a connected socket's conversation: stdin reaches it
// through the registry (from a pump of its own when it is the only one),
// and what it sends goes to stdout.
func (n *nc) converse(s *sockets.Socket, peer sockets.Addr) error {
	if n.o.timeout > 0 {
		s.SetTimeout(n.o.timeout)
	}
	c := n.newConv(s, peer, nil)
	n.addConv(c)
	defer n.dropConv(c)
	if !n.single {
		return c.receiveLoop(make([]byte, 256<<10))
	}
	go n.pumpStdin()
	if err := c.receiveLoop(make([]byte, 256<<10)); err != nil {
		return err
	}
	// The peer is done sending; what stdin still holds may be on its way.
	select {
	case <-n.stdinDone:
	case <-time.After(linger):
	}
	return nil
}

// receiveLoop copies what the socket receives to stdout until the peer
// ends the stream, the --timeout finds it idle, or the run is over.
func (c *conv) receiveLoop(buf []byte) error {
	n := c.n
	if n.p.inet && c.s.Type() == sockets.DGRAM {
		return c.receiveBatches()
	}
	for {
		nr, err := c.s.RecvInto(n.ctx, buf, 0)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) && !c.idle() {
				continue // data went the other way meanwhile
			}
			return n.explain(err, c.peer)
		}
		if nr == 0 && c.s.Type() != sockets.DGRAM {
			n.logf("%s closed the connection", name(c.peer))
			n.mark("<", "end of stream from "+name(c.peer))
			return nil
		}
		c.touch()
		if err := c.received(buf[:min(nr, len(buf))], nil); err != nil {
			return err
		}
	}
}

// receiveBatches is receiveLoop for a UDP socket: datagrams in batches.
func (c *conv) receiveBatches() error {
	n := c.n
	b := newDatagramBatch()
	for {
		k, err := c.s.RecvBatch(n.ctx, b.ms, 0)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) && !c.idle() {
				continue // data went the other way meanwhile
			}
			return n.explain(err, c.peer)
		}
		c.touch()
		for i := range k {
			if err := c.received(b.data(i), &b.out); err != nil {
				return err
			}
		}
		if err := b.flush(n); err != nil {
			return err
		}
	}
}

// received prints one message and, with --echo, sends it back. Given out,
// a message for stdout without -x is added there instead, for the caller
// to write with others.
func (c *conv) received(b []byte, out *[]byte) error {
	n := c.n
	if out != nil && !n.o.hex {
		*out = append(*out, b...)
	} else if err := n.output("<", "from", c.peer, b); err != nil {
		return err
	}
	if n.o.echo && (c.peer != nil || c.to != nil) {
		if err := c.send(b); err != nil {
			return n.explain(err, c.peer)
		}
	}
	return nil
}

// send sends one block of stdin, or an echo, to the conversation's peer.
func (c *conv) send(b []byte) error {
	n := c.n
	c.touch()
	var err error
	switch {
	case c.to != nil:
		_, err = c.s.SendTo(n.ctx, b, 0, c.to)
	case c.s.Type() == sockets.STREAM:
		_, err = c.s.SendAll(n.ctx, b, 0)
	default:
		_, err = c.s.Send(n.ctx, b, 0)
	}
	if err != nil {
		return err
	}
	return n.output(">", "to", c.peer, b)
}

// sendBlocks sends what one read of stdin brought: on a stream all of it,
// otherwise one message per block of at most size bytes, batched with
// sendmmsg.
func (c *conv) sendBlocks(b []byte, size int, batch *[]sockets.Message) error {
	if c.s.Type() == sockets.STREAM {
		return c.send(b)
	}
	ms := (*batch)[:0]
	for len(b) > 0 {
		k := min(size, len(b))
		ms = append(ms, sockets.Message{Data: b[:k], Addr: c.to})
		b = b[k:]
	}
	*batch = ms
	if len(ms) == 1 {
		return c.send(ms[0].Data)
	}
	c.touch()
	for len(ms) > 0 {
		sent, err := c.s.SendBatch(c.n.ctx, ms, 0)
		if err != nil {
			return err
		}
		for _, m := range ms[:sent] {
			if err := c.n.output(">", "to", c.peer, m.Data); err != nil {
				return err
			}
		}
		ms = ms[sent:]
	}
	return nil
}

// output writes a message to stdout: raw, or with -x as a hex dump under a
// line giving its direction, size and peer.
func (n *nc) output(dir, prep string, peer sockets.Addr, b []byte) error {
	if dir == ">" && !n.o.hex {
		return nil // sent data is only shown in hex mode
	}
	n.outMu.Lock()
	defer n.outMu.Unlock()
	if n.done {
		return nil
	}
	if !n.o.hex {
		_, err := n.e.stdout.Write(b)
		return err
	}
	_, err := fmt.Fprintf(n.e.stdout, "%s %d bytes %s %s\n%s", dir, len(b), prep, name(peer), hex.Dump(b))
	return err
}

// outputRaw writes received data to stdout as it came (not -x).
func (n *nc) outputRaw(b []byte) error {
	n.outMu.Lock()
	defer n.outMu.Unlock()
	if n.done {
		return nil
	}
	_, err := n.e.stdout.Write(b)
	return err
}

// mark prints a boundary event (end of stream) in hex mode.
func (n *nc) mark(dir, what string) {
	if !n.o.hex {
		return
	}
	n.outMu.Lock()
	if !n.done {
		fmt.Fprintf(n.e.stdout, "%s %s\n", dir, what)
	}
	n.outMu.Unlock()
}

// pumpStdin sends each block read from stdin to every conversation, and
// when stdin ends half-closes a single peer's stream (unless --echo still
// needs to answer) and starts the -q countdown.
func (n *nc) pumpStdin() {
	defer close(n.stdinDone)
	// Datagrams are read many at a time and sent in batches: a read that
	// brings several blocks sends each as a message of its own.
	buf := make([]byte, max(n.block, 256<<10))
	var convs []*conv
	var batch []sockets.Message
	for {
		nr, err := n.e.stdin.Read(buf)
		if nr > 0 {
			n.convMu.Lock()
			convs = convs[:0]
			for _, c := range n.convs {
				convs = append(convs, c)
			}
			n.convMu.Unlock()
			for _, c := range convs {
				if serr := c.sendBlocks(buf[:nr], n.block, &batch); serr != nil && n.ctx.Err() == nil {
					n.logf("sending to %s: %v", name(c.peer), n.explain(serr, c.peer))
					n.dropConv(c)
				}
			}
		}
		if err != nil {
			if err != io.EOF {
				n.logf("reading stdin: %v", err)
			}
			break
		}
	}
	n.convMu.Lock()
	convs = convs[:0]
	for _, c := range n.convs {
		convs = append(convs, c)
	}
	n.convMu.Unlock()
	if n.single && !n.o.echo {
		for _, c := range convs {
			if c.to == nil && c.s.Type() != sockets.DGRAM {
				if err := c.s.CloseWrite(); err == nil {
					n.logf("stdin ended: sent end of stream to %s (shutdown SHUT_WR)", name(c.peer))
					n.mark(">", "end of stream to "+name(c.peer))
				}
			}
		}
	} else {
		n.logf("stdin ended")
	}
	if n.o.quitAfter >= 0 {
		n.logf("quitting in %v (-q)", n.o.quitAfter)
		time.AfterFunc(n.o.quitAfter, n.quit)
	}
}
