package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/spf13/pflag"

	"github.com/rawsock/rawsock/capture"
	"github.com/rawsock/rawsock/craft"
	"github.com/rawsock/rawsock/sockets"
)

func init() {
	register(&command{
		name:     "send",
		synopsis: "send [flags] EXPR",
		summary:  "craft packets from a layer expression and send them, or print them with --dry-run",
		help: `EXPR is a stack of layers, outermost first, such as
  ip(dst=192.0.2.1, ttl=3)/icmp(type=echo-request, id=7, seq=1)/raw(load="hi")
Field names follow scapy's; 'rawsock layers' lists every layer, field and default, and
docs/expressions.md the whole language. A range (dport=20-25) or a list (ttl=[1,2,3])
gives one packet per value. Fields left out are filled in (lengths, checksums, the source
address of the route to dst); fields given are sent as given, however wrong. The kernel
rewrites the len and chksum of an ip() packet on a raw socket, though (raw(7)): start with
ether() and give -I to send those wrong too.

An ip() or ip6() stack goes out through a raw socket (SOCK_RAW, IP_HDRINCL), an ether()
stack through AF_PACKET on the interface given with -I. Both need CAP_NET_RAW; --dry-run
needs nothing and sends nothing: it prints each packet, and with -w writes them to a file.

Without -c, each packet of the expression is sent once; -c N sends N, going round the
expression's packets again as needed. --reply waits for each packet's answer (the echo
reply, the TCP or UDP answer from the port it went to, or an ICMP error quoting it) and
prints it with the round-trip time; the exit status is 1 when nothing answered.

SIGINT or SIGTERM stops sending early: the count of packets sent so far is printed,
the -w file holds exactly those, and the exit status is what it would have been
(0, or 1 with --reply when nothing answered).

Examples:
  rawsock send --dry-run 'ip(dst=192.0.2.1)/icmp()/raw(load="hello")'
  rawsock send --dry-run -w syn.pcap 'ip(dst=192.0.2.1)/tcp(dport=20-25, flags=S)'
  rawsock send --reply 'ip(dst=127.0.0.1)/icmp(seq=[1,2,3])'
  rawsock send -c 3 -i 200ms --reply 'ip(dst=127.0.0.1)/tcp(dport=22, flags=S)'
  rawsock send --frag 1480 --reply 'ip(dst=127.0.0.1)/icmp()/raw(size=2972)'
  rawsock send -I eth0 'ether()/ip(dst=239.1.2.3)/igmp(type=v2-report, gaddr=239.1.2.3)'
  rawsock send --flood -c 1000000 'ip(dst=127.0.0.1)/udp(dport=9)'`,
		setup: func(fs *pflag.FlagSet) func(*env, []string) error {
			o := &sendOpts{}
			fs.IntVarP(&o.count, "count", "c", 0, "send this many packets (default: each packet of the expression once)")
			fs.DurationVarP(&o.interval, "interval", "i", 0, "wait this long between packets")
			fs.Float64Var(&o.rate, "rate", 0, "send this many packets a second (instead of -i)")
			fs.BoolVar(&o.flood, "flood", false, "send as fast as possible in sendmmsg batches and print the rate; needs -c or --duration")
			fs.DurationVar(&o.duration, "duration", 0, "stop sending after this long")
			fs.StringVarP(&o.iface, "interface", "I", "", "send through this interface (AF_PACKET for an ether() stack)")
			fs.BoolVarP(&o.verbose, "verbose", "v", false, "print each packet sent")
			fs.BoolVar(&o.dryRun, "dry-run", false, "print each packet (summary and hex dump) instead of sending it")
			fs.StringVarP(&o.write, "write", "w", "", "write the packets (and replies) to this pcap file; pcapng when it ends in .pcapng")
			fs.BoolVar(&o.reply, "reply", false, "wait for each packet's answer and print it with the round-trip time")
			fs.DurationVar(&o.timeout, "timeout", time.Second, "how long --reply waits for each answer")
			fs.IntVar(&o.frag, "frag", 0, "split each IPv4 packet into fragments of this many payload bytes (a multiple of 8)")
			fs.IntVar(&o.fragOverlap, "frag-overlap", 0, "with --frag, make each fragment overlap the one before by this many bytes")
			fs.Uint64Var(&o.seed, "seed", 0, "seed of the random fields (ip id, ports, sequence numbers), for repeatable packets")
			fs.BoolVar(&o.json, "json", false, "print one JSON object per packet, reply and summary")
			return func(e *env, args []string) error { return runSend(e, o, args) }
		},
	})
}

type sendOpts struct {
	count       int
	interval    time.Duration
	rate        float64
	flood       bool
	duration    time.Duration
	iface       string
	verbose     bool
	dryRun      bool
	write       string
	reply       bool
	timeout     time.Duration
	frag        int
	fragOverlap int
	seed        uint64
	json        bool
}

func (o *sendOpts) check() error {
	switch {
	case o.count < 0:
		return usagef("bad -c %d: want a number of packets, 1 or more", o.count)
	case o.interval < 0 || o.duration < 0 || o.timeout <= 0:
		return usagef("-i, --duration and --timeout take positive durations such as 200ms")
	case o.rate < 0:
		return usagef("bad --rate %v: want packets per second, more than 0", o.rate)
	case o.rate > 0 && o.interval > 0:
		return usagef("-i and --rate both set the pace: give one")
	case o.flood && o.count == 0 && o.duration == 0:
		return usagef("--flood needs -c or --duration, so that it stops by itself")
	case o.flood && (o.reply || o.interval > 0 || o.rate > 0 || o.verbose):
		return usagef("--flood sends as fast as it can: it cannot be combined with --reply, -i, --rate or -v")
	case o.frag < 0 || o.frag > 0 && o.frag < 8:
		return usagef("bad --frag %d: want at least 8 bytes of payload per fragment", o.frag)
	case o.fragOverlap != 0 && o.frag == 0:
		return usagef("--frag-overlap needs --frag")
	case o.fragOverlap < 0 || o.fragOverlap > 0 && (o.fragOverlap+7)&^7 >= o.frag&^7:
		return usagef("bad --frag-overlap %d: want less than the fragment size (%d)", o.fragOverlap, o.frag)
	case o.dryRun && (o.reply || o.flood):
		return usagef("--dry-run sends nothing: it cannot be combined with --reply or --flood")
	}
	return nil
}

func runSend(e *env, o *sendOpts, args []string) error {
	if len(args) == 0 {
		return usagef("missing EXPR: write layers such as 'ip(dst=192.0.2.1)/icmp()'; see 'rawsock send --help'")
	}
	if err := o.check(); err != nil {
		return err
	}
	tpl, err := craft.Parse(strings.Join(args, " "))
	if err != nil {
		return usagef("%v", err)
	}
	first := tpl.First()
	if first == "ether" && o.iface == "" && !o.dryRun {
		return usagef("an ether() stack goes out through AF_PACKET: give the interface with -I")
	}
	if o.frag > 0 && first == "ip6" {
		return usagef("--frag splits IPv4 packets; an ip6() stack has no fragments here")
	}
	if first == "ip" && !o.dryRun {
		warnKernelRewrites(e, tpl)
	}
	s := &sender{e: e, o: o, tpl: tpl, link: layers.LinkTypeRaw, first: layers.LayerTypeIPv4}
	switch first {
	case "ether":
		s.link, s.first = layers.LinkTypeEthernet, layers.LayerTypeEthernet
	case "ip6":
		s.first = layers.LayerTypeIPv6
	}
	bopts := &craft.Options{Interface: o.iface, Seed: o.seed}
	if o.dryRun {
		bopts.Source = s.dryRunSource
	}
	if s.b, err = craft.NewBuilder(tpl, bopts); err != nil {
		return usagef("%v", err)
	}
	if o.write != "" {
		closeFile, err := s.openFile()
		if err != nil {
			return err
		}
		defer func() {
			if cerr := closeFile(); cerr != nil && err == nil {
				err = cerr
			}
		}()
	}
	if o.dryRun {
		return s.dryRun()
	}
	if s.w, err = openWire(first, o.iface, o.reply); err != nil {
		return needPrivilege(err, "CAP_NET_RAW")
	}
	defer s.w.close()
	if o.flood {
		return s.flood()
	}
	return s.loop()
}

// warnKernelRewrites says when fields the user set will not go out as
// given: with IP_HDRINCL the kernel always writes the IPv4 total length
// and checksum, and an id of 0 (raw(7)).
func warnKernelRewrites(e *env, tpl *craft.Template) {
	var lost []string
	for _, f := range tpl.Given(0) {
		if f == "len" || f == "chksum" {
			lost = append(lost, f)
		}
	}
	if len(lost) > 0 {
		e.warnf("the kernel rewrites ip %s of packets sent on a raw socket (raw(7)); to send them as given, start with ether() and use -I",
			strings.Join(lost, " and "))
	}
}

// sender holds one run of the command.
type sender struct {
	e     *env
	o     *sendOpts
	tpl   *craft.Template
	b     *craft.Builder
	w     wire
	link  layers.LinkType
	first gopacket.LayerType
	file  *capture.Writer

	warned   bool
	sent     int
	answered int
	frags    [][]byte
}

// dryRunSource picks source addresses for --dry-run: the route's when
// there is one, else 0.0.0.0 (or ::), which a raw socket would fill in.
func (s *sender) dryRunSource(dst netip.Addr) (netip.Addr, error) {
	a, err := craft.RouteSource(dst, s.o.iface)
	if err == nil {
		return a, nil
	}
	if !s.warned {
		s.warned = true
		s.e.warnf("%v; using an unspecified source", err)
	}
	if dst.Is6() {
		return netip.IPv6Unspecified(), nil
	}
	return netip.IPv4Unspecified(), nil
}

func (s *sender) openFile() (func() error, error) {
	f, err := os.Create(s.o.write)
	if err != nil {
		return nil, fmt.Errorf("-w: %w", err)
	}
	format := capture.Pcap
	if strings.HasSuffix(strings.ToLower(s.o.write), ".pcapng") {
		format = capture.Pcapng
	}
	cfg := &capture.WriterConfig{}
	if format == capture.Pcapng {
		name := s.o.iface
		if name == "" {
			name = "rawsock send"
		}
		cfg.Interfaces = []capture.Interface{{Name: name, LinkType: s.link}}
	}
	s.file, err = capture.NewWriter(f, format, s.link, cfg)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("-w %s: %w", s.o.write, err)
	}
	return func() error {
		err := s.file.Flush()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("-w %s: %w", s.o.write, err)
		}
		return nil
	}, nil
}

func (s *sender) record(t time.Time, data []byte) error {
	if s.file == nil {
		return nil
	}
	return s.file.WritePacket(gopacket.CaptureInfo{Timestamp: t, CaptureLength: len(data), Length: len(data)}, data)
}

// next builds the next packet to send, going round the expression when -c
// asks for more packets than it has; it returns false when done.
func (s *sender) next() bool {
	if s.o.count > 0 && s.sent >= s.o.count {
		return false
	}
	if s.b.Next() {
		return true
	}
	if s.b.Err() != nil || s.o.count == 0 && s.o.duration == 0 {
		return false
	}
	s.b.Reset()
	return s.b.Next()
}

// packets returns what goes on the wire for the packet built: the packet,
// or its fragments.
func (s *sender) packets() ([][]byte, error) {
	data := s.b.Bytes()
	if s.o.frag == 0 {
		s.frags = append(s.frags[:0], data)
		return s.frags, nil
	}
	off := 0
	if s.first == layers.LayerTypeEthernet {
		off = 14
		if len(data) < 14 || data[12] != 0x08 || data[13] != 0x00 {
			return nil, fmt.Errorf("--frag splits IPv4 packets; this frame does not carry one")
		}
	}
	frags, err := craft.FragmentIPv4(data[off:], s.o.frag, s.o.fragOverlap)
	if err != nil {
		return nil, fmt.Errorf("--frag: %w", err)
	}
	s.frags = s.frags[:0]
	for _, f := range frags {
		s.frags = append(s.frags, append(append([]byte(nil), data[:off]...), f...))
	}
	return s.frags, nil
}

// A dryPacket is one packet of --dry-run --json.
type dryPacket struct {
	N       int    `json:"n"`
	Summary string `json:"summary"`
	Expr    string `json:"expr"`
	Len     int    `json:"len"`
	Hex     string `json:"hex"`
}

func (s *sender) dryRun() error {
	enc := jsonOut(s.e.stdout)
	n := 0
	for s.next() {
		pkts, err := s.packets()
		if err != nil {
			return err
		}
		for _, p := range pkts {
			n++
			s.sent++
			if err := s.record(time.Now(), p); err != nil {
				return err
			}
			summary := describe(p, s.first)
			if s.o.json {
				expr, _ := craft.Expr(p, s.first)
				if err := enc.Encode(dryPacket{N: n, Summary: summary, Expr: expr, Len: len(p), Hex: hex.EncodeToString(p)}); err != nil {
					return err
				}
				continue
			}
			fmt.Fprintf(s.e.stdout, "%s\n", summary)
			hexDump(s.e.stdout, p)
		}
		if s.o.frag > 0 {
			s.sent -= len(pkts) - 1
		}
	}
	if err := s.b.Err(); err != nil {
		return err
	}
	if !s.o.json && s.o.write != "" {
		fmt.Fprintf(s.e.stdout, "wrote %d packets to %s\n", n, s.o.write)
	}
	return nil
}

// jsonOut writes one JSON object per line, with > and < as they are in
// the summaries rather than escaped for HTML.
func jsonOut(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc
}

// describe is the one-line summary of a packet.
func describe(p []byte, first gopacket.LayerType) string {
	st, err := craft.Decode(p, first)
	if err != nil {
		return fmt.Sprintf("%d bytes", len(p))
	}
	return craft.Summary(st)
}

// hexDump prints b as tcpdump -X does: offset, 16 bytes in groups of two,
// and the printable characters.
func hexDump(w io.Writer, b []byte) {
	for off := 0; off < len(b); off += 16 {
		line := b[off:min(off+16, len(b))]
		var h, a strings.Builder
		for i, c := range line {
			fmt.Fprintf(&h, "%02x", c)
			if i%2 == 1 {
				h.WriteByte(' ')
			}
			if c >= 0x20 && c < 0x7f {
				a.WriteByte(c)
			} else {
				a.WriteByte('.')
			}
		}
		fmt.Fprintf(w, "\t0x%04x:  %-40s %s\n", off, h.String(), a.String())
	}
}

// sentJSON and replyJSON are the --json lines of a sent packet and of its
// answer; summaryJSON ends the run.
type sentJSON struct {
	N       int      `json:"n"`
	Sent    string   `json:"sent"`
	Len     int      `json:"len"`
	Answer  string   `json:"answer,omitempty"`
	Reply   string   `json:"reply,omitempty"`
	ReplyEx string   `json:"reply_expr,omitempty"`
	RTTms   *float64 `json:"rtt_ms,omitempty"`
}

type summaryJSON struct {
	Sent     int     `json:"sent"`
	Answered *int    `json:"answered,omitempty"`
	Seconds  float64 `json:"seconds"`
	PPS      float64 `json:"pps"`
}

// loop sends packet by packet at the pace asked, waiting for answers with
// --reply.
func (s *sender) loop() error {
	ctx := s.e.ctx
	if s.o.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.o.duration)
		defer cancel()
	}
	pace := s.o.interval
	if s.o.rate > 0 {
		pace = time.Duration(float64(time.Second) / s.o.rate)
	}
	enc := jsonOut(s.e.stdout)
	start := time.Now()
	for s.next() {
		if s.sent > 0 && pace > 0 {
			// Keep the schedule (start + n·pace) rather than sleeping pace
			// after each packet, so that the rate holds.
			if !sleepCtx(ctx, time.Until(start.Add(time.Duration(s.sent)*pace))) {
				break
			}
		}
		if ctx.Err() != nil {
			break
		}
		pkts, err := s.packets()
		if err != nil {
			return err
		}
		var sentAt time.Time
		went := 0
		for _, p := range pkts {
			sentAt = time.Now()
			if err := s.w.send(ctx, p, s.first); err != nil {
				if ctx.Err() != nil {
					break
				}
				return fmt.Errorf("send: %w", err)
			}
			went++
			if err := s.record(sentAt, p); err != nil {
				return err
			}
		}
		if went == 0 {
			break // interrupted before the packet went: not sent
		}
		s.sent++
		line := sentJSON{N: s.sent, Sent: describe(s.b.Bytes(), s.first), Len: len(s.b.Bytes())}
		if s.o.verbose && !s.o.json {
			fmt.Fprintf(s.e.stdout, "sent %d: %s\n", s.sent, line.Sent)
		}
		if s.o.reply {
			if err := s.awaitReply(ctx, s.b.Bytes(), sentAt, &line); err != nil {
				return err
			}
		}
		if s.o.json && (s.o.verbose || s.o.reply) {
			if err := enc.Encode(line); err != nil {
				return err
			}
		}
	}
	if err := s.b.Err(); err != nil {
		return err
	}
	elapsed := time.Since(start)
	if s.o.json {
		sum := summaryJSON{Sent: s.sent, Seconds: elapsed.Seconds(), PPS: rate(s.sent, elapsed)}
		if s.o.reply {
			sum.Answered = &s.answered
		}
		if err := enc.Encode(sum); err != nil {
			return err
		}
	} else if s.o.reply {
		fmt.Fprintf(s.e.stdout, "%d packets sent, %d answered\n", s.sent, s.answered)
	} else {
		fmt.Fprintf(s.e.stdout, "sent %d packets\n", s.sent)
	}
	if s.o.reply && s.answered == 0 {
		return exitStatus(1)
	}
	return nil
}

func rate(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// sleepCtx sleeps for d, or until ctx ends; it reports whether the whole
// time passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// awaitReply reads what arrives until an answer to sent, or the timeout.
func (s *sender) awaitReply(ctx context.Context, sent []byte, sentAt time.Time, line *sentJSON) error {
	ctx, cancel := context.WithTimeout(ctx, s.o.timeout)
	defer cancel()
	buf := make([]byte, 65536)
	for {
		n, at, first, err := s.w.recv(ctx, buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
				if !s.o.json {
					fmt.Fprintf(s.e.stdout, "no answer to %d within %v: %s\n", s.sent, s.o.timeout, describe(sent, s.first))
				}
				return nil
			}
			return fmt.Errorf("receive: %w", err)
		}
		r := buf[:n]
		kind := craft.Answers(sent, s.first, r, first)
		if kind == craft.NoAnswer {
			continue
		}
		s.answered++
		if at.IsZero() {
			at = time.Now()
		}
		rtt := at.Sub(sentAt)
		ms := float64(rtt.Microseconds()) / 1000
		line.Answer, line.Reply, line.RTTms = kind.String(), describe(r, first), &ms
		line.ReplyEx, _ = craft.Expr(r, first)
		if err := s.record(at, r); err != nil {
			return err
		}
		if !s.o.json {
			what := "reply"
			if kind == craft.ICMPError {
				what = "icmp error"
			}
			fmt.Fprintf(s.e.stdout, "%s to %d: %s rtt=%.3f ms\n", what, s.sent, line.Reply, ms)
		}
		return nil
	}
}

// flood sends in sendmmsg batches as fast as the kernel takes them, until
// -c packets are sent or --duration ends, then prints the rate. On a
// loopback most of the cost of a packet is the kernel's, receiving it in
// the sender's own system call, so there is one sender per CPU, each with
// its own socket: sender k of W sends packets k, k+W, k+2W… of the
// sequence one builder would make. With -w there is one sender only.
func (s *sender) flood() error {
	ctx := s.e.ctx
	if s.o.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.o.duration)
		defer cancel()
	}
	workers := min(runtime.GOMAXPROCS(0), 8)
	if s.file != nil {
		workers = 1
	}
	seed := s.o.seed
	if seed == 0 {
		seed = rand.Uint64() | 1
	}
	fw := make([]*floodWorker, workers)
	for k := range fw {
		w := &floodWorker{s: s, k: k, of: workers, w: s.w}
		var err error
		if w.b, err = craft.NewBuilder(s.tpl, &craft.Options{Interface: s.o.iface, Seed: seed}); err != nil {
			return err
		}
		if k > 0 {
			if w.w, err = openWire(s.tpl.First(), s.o.iface, false); err != nil {
				return needPrivilege(err, "CAP_NET_RAW")
			}
			defer w.w.close()
		}
		fw[k] = w
	}
	start := time.Now()
	errs := make(chan error, workers)
	for _, w := range fw {
		go func() { errs <- w.run(ctx) }()
	}
	var err error
	for range fw {
		if werr := <-errs; werr != nil && err == nil {
			err = werr
		}
	}
	elapsed := time.Since(start)
	if err != nil {
		return err
	}
	total := 0
	for _, w := range fw {
		total += w.sent
	}
	if s.o.json {
		return jsonOut(s.e.stdout).Encode(summaryJSON{Sent: total, Seconds: elapsed.Seconds(), PPS: rate(total, elapsed)})
	}
	fmt.Fprintf(s.e.stdout, "sent %d packets in %.3f s: %.0f packets/s\n", total, elapsed.Seconds(), rate(total, elapsed))
	return nil
}

// A floodWorker is one of flood's senders.
type floodWorker struct {
	s     *sender
	k, of int // sends packets k, k+of, k+2·of…
	b     *craft.Builder
	w     wire
	n     int // packets of the sequence passed, sent or not
	sent  int
}

// next moves to this worker's next packet of the sequence.
func (f *floodWorker) next() bool {
	for {
		if f.s.o.count > 0 && f.n >= f.s.o.count {
			return false
		}
		if !f.b.Next() {
			if f.b.Err() != nil {
				return false
			}
			f.b.Reset()
			if !f.b.Next() {
				return false
			}
		}
		f.n++
		if (f.n-1)%f.of == f.k {
			return true
		}
	}
}

func (f *floodWorker) run(ctx context.Context) error {
	const batch = 64
	bufs := make([][]byte, batch)
	for i := range bufs {
		bufs[i] = make([]byte, 0, 2048)
	}
	pkts := make([][]byte, 0, batch)
	frag := &sender{o: f.s.o, first: f.s.first}
	for ctx.Err() == nil {
		pkts = pkts[:0]
		for len(pkts) < batch && f.next() {
			frag.b = f.b
			ps, err := frag.packets()
			if err != nil {
				return err
			}
			for _, p := range ps {
				if len(pkts) == batch {
					break // a fragment too many for this batch: left out of the flood
				}
				i := len(pkts)
				bufs[i] = append(bufs[i][:0], p...)
				pkts = append(pkts, bufs[i])
			}
		}
		if len(pkts) == 0 {
			break
		}
		for off := 0; off < len(pkts); {
			n, err := f.w.sendBatch(ctx, pkts[off:], f.s.first)
			if err != nil {
				if ctx.Err() != nil {
					pkts = pkts[:off] // what went before the interruption, for the file
					break
				}
				return fmt.Errorf("send: %w", err)
			}
			off += n
			f.sent += n
		}
		if f.s.file != nil {
			now := time.Now()
			for _, p := range pkts {
				if err := f.s.record(now, p); err != nil {
					return err
				}
			}
		}
	}
	return f.b.Err()
}

// A wire sends packets and, with --reply, receives what comes back. The
// real one is a raw or packet socket; tests put a fake in openWire.
type wire interface {
	// send sends one packet whose outermost layer is first.
	send(ctx context.Context, p []byte, first gopacket.LayerType) error
	// sendBatch sends packets with as few system calls as it can and says
	// how many went.
	sendBatch(ctx context.Context, ps [][]byte, first gopacket.LayerType) (int, error)
	// recv receives one packet: its length, the kernel's receive time and
	// the type of its outermost layer.
	recv(ctx context.Context, buf []byte) (int, time.Time, gopacket.LayerType, error)
	close() error
}

var openWire = openSocketWire

// socketWire sends through a raw IP socket (IP_HDRINCL) or an AF_PACKET
// socket, and receives through an AF_PACKET socket, which sees whole IP
// packets of both families with the kernel's receive time.
type socketWire struct {
	out     *sockets.Socket
	in      *sockets.Socket
	ifindex int
	ether   bool
	msgs    []sockets.Message
	dsts    []netip.Addr
}

func openSocketWire(first, iface string, reply bool) (w wire, err error) {
	sw := &socketWire{ether: first == "ether"}
	defer func() {
		if err != nil {
			sw.close()
		}
	}()
	// The sending socket stays out of the runtime poller until it has to
	// wait: in the poller, every packet it sends costs an epoll wakeup
	// when the kernel frees the packet's buffer.
	lazy := &sockets.Config{LazyPoller: true}
	switch first {
	case "ether":
		if sw.out, err = sockets.OpenPacket(iface, sockets.RAW, 0, lazy); err != nil {
			return nil, err
		}
		if sw.ifindex, err = sockets.InterfaceIndex(iface); err != nil {
			return nil, err
		}
	default:
		family := sockets.INET
		if first == "ip6" {
			family = sockets.INET6
		}
		if sw.out, err = sockets.Open(family, sockets.RAW, sockets.ProtoRaw, lazy); err != nil {
			return nil, err
		}
		if err = sw.out.SetHeaderIncluded(true); err != nil {
			return nil, err
		}
		if iface != "" {
			if err = sw.out.BindToDevice(iface); err != nil {
				return nil, err
			}
		}
	}
	if reply {
		typ := sockets.DGRAM
		if sw.ether {
			typ = sockets.RAW
		}
		if sw.in, err = sockets.OpenPacket(iface, typ, sockets.EthAll, nil); err != nil {
			return nil, err
		}
		if err = sw.in.SetTimestamps(true); err != nil {
			return nil, err
		}
	}
	return sw, nil
}

// dst is where a raw IP socket sends p: the destination in its header.
func dstOf(p []byte) (netip.Addr, error) {
	switch {
	case len(p) >= 20 && p[0]>>4 == 4:
		return netip.AddrFrom4([4]byte(p[16:20])), nil
	case len(p) >= 40 && p[0]>>4 == 6:
		return netip.AddrFrom16([16]byte(p[24:40])), nil
	}
	return netip.Addr{}, errors.New("the packet has no IP header to send it by")
}

func (w *socketWire) addr(p []byte) (sockets.Addr, error) {
	if w.ether {
		proto := uint16(0)
		if len(p) >= 14 {
			proto = uint16(p[12])<<8 | uint16(p[13])
		}
		return sockets.Packet(w.ifindex, proto), nil
	}
	dst, err := dstOf(p)
	if err != nil {
		return nil, err
	}
	return sockets.Inet(dst, 0), nil
}

func (w *socketWire) send(ctx context.Context, p []byte, _ gopacket.LayerType) error {
	a, err := w.addr(p)
	if err != nil {
		return err
	}
	_, err = w.out.SendTo(ctx, p, 0, a)
	return err
}

func (w *socketWire) sendBatch(ctx context.Context, ps [][]byte, _ gopacket.LayerType) (int, error) {
	if cap(w.msgs) < len(ps) {
		w.msgs = make([]sockets.Message, len(ps))
		w.dsts = make([]netip.Addr, len(ps))
	}
	w.msgs = w.msgs[:len(ps)]
	for i, p := range ps {
		w.msgs[i].Data = p
		// An address costs an allocation as an interface: make one only
		// when the destination changes.
		if d, _ := dstOf(p); w.msgs[i].Addr == nil || w.ether || d != w.dsts[i] {
			a, err := w.addr(p)
			if err != nil {
				return 0, err
			}
			w.msgs[i].Addr, w.dsts[i] = a, d
		}
	}
	return w.out.SendBatch(ctx, w.msgs, 0)
}

func (w *socketWire) recv(ctx context.Context, buf []byte) (int, time.Time, gopacket.LayerType, error) {
	if w.in == nil {
		return 0, time.Time{}, 0, errors.New("not receiving")
	}
	oob := make([]byte, 128)
	for {
		m := sockets.Message{Data: buf, OOB: oob}
		if err := w.in.RecvMsg(ctx, &m, 0); err != nil {
			return 0, time.Time{}, 0, err
		}
		pa, _ := m.Addr.(sockets.PacketAddr)
		if pa.PacketType == sockets.PacketOutgoing {
			continue // our own packets, and everything else this host sends
		}
		if w.ether {
			return m.N, m.Time, layers.LayerTypeEthernet, nil
		}
		switch pa.Protocol {
		case sockets.EthIPv4:
			return m.N, m.Time, layers.LayerTypeIPv4, nil
		case sockets.EthIPv6:
			return m.N, m.Time, layers.LayerTypeIPv6, nil
		}
	}
}

func (w *socketWire) close() error {
	var err error
	if w.out != nil {
		err = w.out.Close()
	}
	if w.in != nil {
		if cerr := w.in.Close(); err == nil {
			err = cerr
		}
	}
	return err
}
