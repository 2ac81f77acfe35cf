package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"

	"github.com/rawsock/rawsock/capture"
	"github.com/rawsock/rawsock/capture/replay"
)

func init() {
	register(&command{
		name:     "replay",
		synopsis: "replay -I IFACE|--l3 [flags] FILE",
		summary:  "send a pcap or pcapng capture back onto the wire at its recorded timing, like tcpreplay",
		help: `FILE is a pcap or pcapng capture (- is standard input). Its packets go out again at
their recorded times, or faster or slower with -x, at a constant rate with --pps or
--mbps, or as fast as the kernel takes them with --topspeed (sendmmsg batches).

Where they go (one of the two is required; both need CAP_NET_RAW):
  -I IFACE   Ethernet frames on IFACE through AF_PACKET (layer 2). Linux cooked
             (SLL, SLL2), BSD loopback and raw-IP captures get an Ethernet header:
             destination ff:ff:ff:ff:ff:ff (broadcast, which the far side always
             takes in) unless --dmac, source IFACE's own address unless --smac.
  --l3       bare IP packets through raw sockets (IP_HDRINCL), routed by the kernel
             by their destination; link headers (and padding) are dropped, and
             what is not IPv4 or IPv6 (ARP, say) is skipped and counted. With -I
             too, only through IFACE. The kernel fills in the IPv4 checksum and
             total length, and an IP id of 0 unless DF is set (raw(7)).

Rewriting (tcprewrite's): --src and --dst take a comma-separated list of rules, the
first that matches an address wins:
  NEW                  every address of NEW's family becomes NEW
  OLD=NEW              that address becomes NEW
  OLD/N=NEW/M          addresses in OLD/N become NEW/M's network, host part kept
                       (198.51.100.0/24=203.0.113.0/24 takes .7 to 203.0.113.7)
  OLD/N=NEW            every address of OLD/N becomes NEW
IPv4 and IPv6 rules mix in one list. --ttl N sets the IPv4 TTL and IPv6 hop limit,
--ttl=+N and --ttl=-N move them (kept within 1-255). A packet changed in any way
leaves with its checksums computed afresh (IPv4 header, TCP, UDP, ICMP, ICMPv6,
IGMP, the pseudo-header counted); a packet cut short by the capture, or a fragment,
has them adjusted for the change instead. --fixcsum recomputes them in every packet,
changed or not (captures taken on the sending host often hold checksums the network
card was to fill in). --smac and --dmac set the Ethernet addresses of every frame.
Only the outer IP header changes: not the packet an ICMP error quotes, nor ARP.

At the end it prints tcpreplay's statistics on standard output ("Actual: N packets
(B bytes) sent in S seconds", "Rated: … Bps, … Mbps, … pps", then the successful,
failed, skipped and truncated counts; --json: one object), and while it runs, live
counts on standard error when that is a terminal. Every replay ends by itself: after
the file (times --loop), -c packets or --duration. Recorded gaps are kept as they are
(--maxsleep caps them); the next loop starts right after the last packet of the one
before.

Exit status: 0 when the replay ran to its end (packets the kernel refused are
counted as failed, the first one's reason is printed on standard error); 1 when the
file is damaged (the packets before the damage are sent, then one line says what
was wrong and at which byte) or sending stopped on an error; 2 for a usage or
privilege error; 130 after SIGINT and 143 after SIGTERM, the statistics printed
first.

Examples:
  rawsock replay -I eth0 capture.pcap
  rawsock replay -I eth0 -x 2 --loop 3 capture.pcapng
  rawsock replay --l3 --pps 200 --dst 203.0.113.2 --src 198.51.100.2 capture.pcap
  rawsock replay -I eth0 --topspeed -c 100000 --loop 1000 capture.pcap
  rawsock replay -I eth0 --dst 10.0.0.0/8=203.0.113.0/24 --ttl=-1 --dmac 02:00:00:00:00:02 any.pcap`,
		setup: func(fs *pflag.FlagSet) func(*env, []string) error {
			o := &replayOpts{}
			fs.StringVarP(&o.iface, "interface", "I", "", "send Ethernet frames on `IFACE` (with --l3: send IP packets through IFACE only)")
			fs.BoolVar(&o.l3, "l3", false, "send bare IP packets through raw sockets, routed by the kernel")
			fs.Float64VarP(&o.multiplier, "multiplier", "x", 0, "replay `F` times as fast as recorded (0.5: half as fast)")
			fs.Float64VarP(&o.pps, "pps", "p", 0, "send `N` packets a second")
			fs.Float64VarP(&o.mbps, "mbps", "M", 0, "send `N` megabits a second (of frames as sent)")
			fs.BoolVarP(&o.topspeed, "topspeed", "t", false, "send as fast as possible, in sendmmsg batches")
			fs.DurationVar(&o.maxSleep, "maxsleep", 0, "wait at most `D` between two packets of the recorded timing")
			fs.IntVarP(&o.loop, "loop", "l", 1, "replay the file `N` times")
			fs.Int64VarP(&o.limit, "limit", "c", 0, "stop after `N` packets")
			fs.DurationVar(&o.duration, "duration", 0, "stop after `D` (such as 10s)")
			fs.StringVar(&o.src, "src", "", "rewrite source addresses: `RULES` as NEW, OLD=NEW or OLD/N=NEW/M, comma-separated")
			fs.StringVar(&o.dst, "dst", "", "rewrite destination addresses: `RULES` as for --src")
			fs.StringVar(&o.ttl, "ttl", "", "set the TTL and hop limit to `N`, or move them with +N or -N")
			fs.BoolVar(&o.fixCsum, "fixcsum", false, "recompute the checksums of every packet, rewritten or not")
			fs.StringVar(&o.smac, "smac", "", "Ethernet source `MAC` of every frame sent with -I")
			fs.StringVar(&o.dmac, "dmac", "", "Ethernet destination `MAC` of every frame sent with -I (default for frames re-framed: ff:ff:ff:ff:ff:ff)")
			fs.IntVar(&o.batch, "batch", replay.DefaultBatch, "hand the kernel up to `N` frames per sendmmsg")
			fs.BoolVarP(&o.quiet, "quiet", "q", false, "print no statistics, only errors")
			fs.BoolVar(&o.json, "json", false, "print the statistics as one JSON object")
			return func(e *env, args []string) error {
				o.paceFlags = nil
				for _, name := range []string{"multiplier", "pps", "mbps", "topspeed"} {
					if fs.Changed(name) {
						o.paceFlags = append(o.paceFlags, name)
					}
				}
				return runReplay(e, o, args)
			}
		},
	})
}

type replayOpts struct {
	iface         string
	l3            bool
	multiplier    float64
	pps, mbps     float64
	topspeed      bool
	maxSleep      time.Duration
	loop          int
	limit         int64
	duration      time.Duration
	src, dst, ttl string
	fixCsum       bool
	smac, dmac    string
	batch         int
	quiet, json   bool
	paceFlags     []string // the pace flags given, to tell "--pps 0" from none
}

// config checks the command line and turns it into a replay.Config without
// its Open and Sender.
func (o *replayOpts) config(args []string) (*replay.Config, error) {
	switch {
	case len(args) == 0:
		return nil, usagef("missing FILE: rawsock replay -I IFACE|--l3 FILE")
	case len(args) > 1:
		return nil, usagef("one FILE at a time: got %d arguments (%s)", len(args), strings.Join(args, " "))
	case o.iface == "" && !o.l3:
		return nil, usagef("where to? give -I IFACE (Ethernet frames through AF_PACKET) or --l3 (IP packets through raw sockets)")
	case len(o.paceFlags) > 1:
		return nil, usagef("--%s and --%s both set the pace: give one", o.paceFlags[0], o.paceFlags[1])
	case o.multiplier < 0 || o.multiplier == 0 && o.paced("multiplier"):
		return nil, usagef("bad -x %v: want a speed factor above 0 (2 is twice as fast, 0.5 half)", o.multiplier)
	case o.pps < 0 || o.pps == 0 && o.paced("pps"):
		return nil, usagef("bad --pps %v: want packets per second, above 0", o.pps)
	case o.mbps < 0 || o.mbps == 0 && o.paced("mbps"):
		return nil, usagef("bad --mbps %v: want megabits per second, above 0", o.mbps)
	case o.loop < 1:
		return nil, usagef("bad --loop %d: want how many times to replay the file, 1 or more (rawsock never loops forever)", o.loop)
	case o.limit < 0:
		return nil, usagef("bad -c %d: want a number of packets, 1 or more", o.limit)
	case o.duration < 0 || o.maxSleep < 0:
		return nil, usagef("--duration and --maxsleep take positive durations such as 500ms")
	case o.batch < 1 || o.batch > 1024:
		return nil, usagef("bad --batch %d: want 1 to 1024 frames", o.batch)
	case o.l3 && (o.smac != "" || o.dmac != ""):
		return nil, usagef("--smac and --dmac set Ethernet addresses: --l3 sends no Ethernet header")
	case args[0] == "-" && o.loop > 1:
		return nil, usagef("--loop reads the file again: give a file, not standard input, which can be read only once")
	}
	cfg := &replay.Config{
		Output: replay.L2, Multiplier: o.multiplier, PPS: o.pps, Mbps: o.mbps, TopSpeed: o.topspeed,
		MaxSleep: o.maxSleep, Loop: o.loop, Limit: o.limit, Duration: o.duration, Batch: o.batch,
	}
	if o.l3 {
		cfg.Output = replay.L3
	}
	rw := &replay.Rewrite{FixChecksums: o.fixCsum}
	var err error
	if o.src != "" {
		if rw.Src, err = replay.ParseAddrMap(o.src); err != nil {
			return nil, usagef("--src: %v", err)
		}
	}
	if o.dst != "" {
		if rw.Dst, err = replay.ParseAddrMap(o.dst); err != nil {
			return nil, usagef("--dst: %v", err)
		}
	}
	if o.ttl != "" {
		if rw.TTL, err = replay.ParseTTL(o.ttl); err != nil {
			return nil, usagef("--ttl: %v (write --ttl=-1 for a negative change)", err)
		}
	}
	cfg.Rewrite = rw
	for _, m := range []struct {
		flag, s string
		to      *net.HardwareAddr
	}{{"--smac", o.smac, &cfg.SrcMAC}, {"--dmac", o.dmac, &cfg.DstMAC}} {
		if m.s == "" {
			continue
		}
		mac, err := net.ParseMAC(m.s)
		if err != nil || len(mac) != 6 {
			return nil, usagef("%s %q: want an Ethernet address such as 02:00:00:00:00:01", m.flag, m.s)
		}
		*m.to = mac
	}
	return cfg, nil
}

func (o *replayOpts) paced(name string) bool {
	for _, n := range o.paceFlags {
		if n == name {
			return true
		}
	}
	return false
}

func runReplay(e *env, o *replayOpts, args []string) error {
	cfg, err := o.config(args)
	if err != nil {
		return err
	}
	name := args[0]
	if o.iface != "" {
		if _, err := net.InterfaceByName(o.iface); err != nil {
			return usagef("-I %s: no such interface here: 'ip link' lists them", o.iface)
		}
	}
	in, err := openCapture(e, name)
	if err != nil {
		return err
	}
	first := in
	cfg.Open = func() (replay.Source, error) {
		if first != nil {
			src := first
			first = nil
			return src, nil
		}
		return openCapture(e, name)
	}
	if o.loop > 1 {
		cfg.Open = replay.Cached(cfg.Open, replay.DefaultCache)
	}
	defer func() {
		if first != nil {
			first.Close()
		}
	}()

	var device string
	switch {
	case o.l3:
		rs, err := replay.OpenRaw(o.iface)
		if err != nil {
			return needPrivilege(fmt.Errorf("raw IP socket: %w", err), "CAP_NET_RAW")
		}
		defer rs.Close()
		cfg.Sender = rs
		device = "raw IP sockets"
		if o.iface != "" {
			device += " on " + o.iface
		}
	default:
		ps, err := replay.OpenPacket(o.iface)
		if err != nil {
			return needPrivilege(fmt.Errorf("AF_PACKET socket on %s: %w", o.iface, err), "CAP_NET_RAW")
		}
		defer ps.Close()
		cfg.Sender = ps
		cfg.InterfaceMAC = ps.HardwareAddr()
		device = o.iface
	}

	live := !o.quiet && isTerminal(e.stderr)
	if live {
		cfg.Progress = func(st replay.Stats) {
			fmt.Fprintf(e.stderr, "\r%d packets sent, %d failed, %d skipped, %.0f pps ", st.Packets, st.Failed, st.Skipped, st.PPS())
		}
	}
	st, err := replay.Run(e.ctx, cfg)
	if live && st.Elapsed >= time.Second {
		fmt.Fprint(e.stderr, "\r\033[K")
	}
	if !o.quiet {
		if o.json {
			writeReplayJSON(e.stdout, name, device, st)
		} else {
			writeReplayStats(e.stdout, device, o.loop, st)
		}
	}
	if st.Failed > 0 {
		e.warnf("%d packets failed to send; the first: %v", st.Failed, st.FirstError)
	}
	if err != nil {
		var fe *capture.FileError
		if errors.As(err, &fe) {
			return fmt.Errorf("%s: %w", name, err)
		}
		return fmt.Errorf("send: %w", err)
	}
	if st.Interrupted {
		return exitStatus(signalStatus(e.ctx))
	}
	return nil
}

// captureFile is an open capture and the file under it.
type captureFile struct {
	*capture.Reader
	c io.Closer
}

func (f *captureFile) Close() error {
	if f.c == nil {
		return nil
	}
	return f.c.Close()
}

// openCapture opens a capture for replay: a file, or standard input for
// "-". A file that cannot be opened is a usage error; one that is not a
// capture is damage, as read reports it.
func openCapture(e *env, name string) (*captureFile, error) {
	var in io.Reader = e.stdin
	var c io.Closer
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, usagef("%v", err)
		}
		if st, err := f.Stat(); err == nil && st.IsDir() {
			f.Close()
			return nil, usagef("%s is a directory: give a pcap or pcapng file", name)
		}
		in, c = f, f
	}
	r, err := capture.NewReader(in)
	if err != nil {
		if c != nil {
			c.Close()
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if lt := r.LinkType(); !replay.Replayable(lt) {
		if c != nil {
			c.Close()
		}
		return nil, usagef("%s: link type %s cannot be replayed: rawsock replays EN10MB, LINUX_SLL, LINUX_SLL2, NULL, LOOP, RAW, IPV4 and IPV6 captures",
			name, capture.LinkTypeName(lt))
	}
	return &captureFile{Reader: r, c: c}, nil
}

// writeReplayStats prints the statistics as tcpreplay does.
func writeReplayStats(w io.Writer, device string, loops int, st replay.Stats) {
	fmt.Fprintf(w, "Actual: %d packets (%d bytes) sent in %.6f seconds\n", st.Packets, st.Bytes, st.Elapsed.Seconds())
	fmt.Fprintf(w, "Rated: %.1f Bps, %.2f Mbps, %.2f pps\n", st.Bps(), st.Mbps(), st.PPS())
	if st.Interrupted {
		fmt.Fprintf(w, "Interrupted in loop %d of %d\n", st.Loops+1, loops)
	} else if loops > 1 {
		fmt.Fprintf(w, "Loops: %d of %d\n", st.Loops, loops)
	}
	fmt.Fprintf(w, "Statistics for network device: %s\n", device)
	fmt.Fprintf(w, "\tSuccessful packets:        %d\n", st.Packets)
	fmt.Fprintf(w, "\tFailed packets:            %d\n", st.Failed)
	fmt.Fprintf(w, "\tSkipped packets:           %d\n", st.Skipped)
	fmt.Fprintf(w, "\tTruncated packets:         %d\n", st.Truncated)
}

// replayJSON is replay's --json output.
type replayJSON struct {
	Type        string  `json:"type"` // "summary"
	File        string  `json:"file"`
	Device      string  `json:"device"`
	Packets     int64   `json:"packets"`
	Bytes       int64   `json:"bytes"`
	Seconds     float64 `json:"seconds"`
	Bps         float64 `json:"bps"`
	Mbps        float64 `json:"mbps"`
	PPS         float64 `json:"pps"`
	Failed      int64   `json:"failed"`
	FirstError  string  `json:"first_error,omitempty"`
	Skipped     int64   `json:"skipped"`
	Truncated   int64   `json:"truncated"`
	Loops       int     `json:"loops"`
	Interrupted bool    `json:"interrupted"`
}

func writeReplayJSON(w io.Writer, file, device string, st replay.Stats) {
	j := replayJSON{
		Type: "summary", File: file, Device: device, Packets: st.Packets, Bytes: st.Bytes,
		Seconds: st.Elapsed.Seconds(), Bps: st.Bps(), Mbps: st.Mbps(), PPS: st.PPS(),
		Failed: st.Failed, Skipped: st.Skipped, Truncated: st.Truncated, Loops: st.Loops, Interrupted: st.Interrupted,
	}
	if st.FirstError != nil {
		j.FirstError = st.FirstError.Error()
	}
	json.NewEncoder(w).Encode(j)
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return false
	}
	term := false
	rc.Control(func(fd uintptr) {
		_, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
		term = err == nil
	})
	return term
}
