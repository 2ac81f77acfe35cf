package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"github.com/rawsock/rawsock/probe"
	"github.com/rawsock/rawsock/sockets"
	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"
)

// resolver answers ping's and traceroute's name lookups; tests replace it
// so that no lookup leaves the machine.
var resolver probe.Resolver = net.DefaultResolver

// isRoot decides iputils' limits for users (interval, preload); tests
// replace it.
var isRoot = func() bool { return os.Getuid() == 0 }

func init() {
	register(&command{
		name:     "ping",
		synopsis: "ping [flags] HOST",
		summary:  "send ICMP or ICMPv6 echo requests and report the replies, as iputils ping",
		help: `Sends echo requests to HOST once a second and prints each reply, then the
statistics when the count is reached, the deadline passes or you press ^C;
^\ (SIGQUIT) prints the running statistics. The flags and the output are
iputils ping's. As root (or with CAP_NET_RAW) it uses a raw ICMP socket with
a kernel filter that keeps other ICMP traffic out; otherwise the ICMP
datagram socket that net.ipv4.ping_group_range allows. Once the socket is
open it gives up every capability it had. Round-trip times come from the
kernel's receive timestamps.

Exit status: 0 when replies came, 1 when none did (or -w passed before -c
replies came), 2 for a usage or permission error.

Examples:
  rawsock ping -c 3 127.0.0.1
  rawsock ping -6 -c 3 -i 0.2 ::1
  rawsock ping -q -f -c 10000 127.0.0.1       (as root)
  rawsock ping -c 1 --json 127.0.0.1`,
		setup: setupPing,
	})
}

type pingFlags struct {
	count, interval, size, ttl, linger, deadline, preload string
	pattern, pmtu, tos, iface                             string
	quiet, flood, numeric, timestamps, v4, v6             bool
	outstanding, broadcast, verbose, json                 bool
}

func setupPing(fs *pflag.FlagSet) func(*env, []string) error {
	f := &pingFlags{}
	fs.StringVarP(&f.count, "count", "c", "", "stop after `N` replies (or errors)")
	fs.StringVarP(&f.interval, "interval", "i", "", "wait `SECONDS` between requests (default 1; below 0.002 root only)")
	fs.StringVarP(&f.size, "size", "s", "", "send `N` data bytes (default 56)")
	fs.StringVarP(&f.ttl, "ttl", "t", "", "set the IP time to live (IPv6 hop limit) to `N`")
	fs.StringVarP(&f.linger, "timeout", "W", "", "wait `SECONDS` for a reply after the last request (default 10)")
	fs.StringVarP(&f.deadline, "deadline", "w", "", "stop after `SECONDS`, however many replies came")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "print only the header and the statistics")
	fs.BoolVarP(&f.flood, "flood", "f", false, "flood: as fast as replies come back, a dot per request (root only)")
	fs.BoolVarP(&f.numeric, "numeric", "n", false, "print addresses, never look names up")
	fs.BoolVarP(&f.timestamps, "timestamps", "D", false, "prefix each line with the Unix time")
	fs.StringVarP(&f.iface, "interface", "I", "", "send from `IFACE` (an interface name) or from an address")
	fs.StringVarP(&f.pattern, "pattern", "p", "", "fill the data with `HEX` bytes (up to 16)")
	fs.BoolVarP(&f.v4, "ipv4", "4", false, "use IPv4 only")
	fs.BoolVarP(&f.v6, "ipv6", "6", false, "use IPv6 only")
	fs.StringVarP(&f.pmtu, "pmtudisc", "M", "", "path MTU discovery `MODE`: do (set DF), dont or want")
	fs.StringVarP(&f.tos, "tos", "Q", "", "set the IP TOS or IPv6 traffic class to `N` (decimal or 0x hex)")
	fs.StringVarP(&f.preload, "preload", "l", "", "send `N` requests at once at the start (above 3 root only)")
	fs.BoolVarP(&f.outstanding, "outstanding", "O", false, "report requests still unanswered when the next goes")
	fs.BoolVarP(&f.broadcast, "broadcast", "b", false, "allow a broadcast destination")
	fs.BoolVarP(&f.verbose, "verbose", "v", false, "say which socket is used; more detail")
	fs.BoolVar(&f.json, "json", false, "print one JSON object per reply or error and a summary")
	return func(e *env, args []string) error { return runPing(e, fs, f, args) }
}

// iputilsInt parses an integer flag as iputils' strtol_or_err does, with
// its messages.
func iputilsInt(s string, lo, hi int64) (int64, error) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, usagef("invalid argument: '%s'", s)
	}
	if v < lo || v > hi {
		return 0, usagef("invalid argument: '%s': out of range: %d <= value <= %d", s, lo, hi)
	}
	return v, nil
}

// iputilsSeconds parses a number of seconds with a fraction ("0.2").
func iputilsSeconds(s, what string, lo float64) (time.Duration, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < lo || v > float64(math.MaxInt32/1000) {
		return 0, usagef("%s: %s", what, s)
	}
	return time.Duration(v * float64(time.Second)).Round(time.Microsecond), nil
}

// parsePattern reads -p's hex digits as bytes, as iputils does.
func parsePattern(s string) ([]byte, error) {
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return nil, usagef("patterns must be specified as hex digits: %s", s)
		}
	}
	var b []byte
	for i := 0; i < len(s) && len(b) < 16; i += 2 {
		end := min(i+2, len(s))
		v, _ := strconv.ParseUint(s[i:end], 16, 8)
		b = append(b, byte(v))
	}
	return b, nil
}

// parseTOS reads -Q as decimal or 0x hex.
func parseTOS(s string) (int, error) {
	base, digits := 10, s
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		base, digits = 16, s[2:]
	}
	v, err := strconv.ParseInt(digits, base, 32)
	if err != nil {
		return 0, usagef("bad TOS value: %s", s)
	}
	if v < 0 || v > 255 {
		return 0, usagef("the decimal value of TOS bits must be in range 0-255: %d", v)
	}
	return int(v), nil
}

func runPing(e *env, fs *pflag.FlagSet, f *pingFlags, args []string) error {
	cfg := probe.PingConfig{}
	opts := probe.EchoOptions{}
	var err error
	if f.v4 && f.v6 {
		return usagef("only one -4 or -6 option may be specified")
	}
	if f.count != "" {
		v, err := iputilsInt(f.count, 1, math.MaxInt64)
		if err != nil {
			return err
		}
		cfg.Count = int(min(v, math.MaxInt32))
	}
	if f.interval != "" {
		if cfg.Interval, err = iputilsSeconds(f.interval, "bad timing interval", 0); err != nil {
			return err
		}
		cfg.Interval = cfg.Interval.Truncate(time.Millisecond)
		cfg.IntervalSet = true
	}
	if f.deadline != "" {
		v, err := iputilsInt(f.deadline, 0, math.MaxInt32)
		if err != nil {
			return err
		}
		cfg.Deadline = time.Duration(v) * time.Second
	}
	if f.linger != "" {
		if cfg.Linger, err = iputilsSeconds(f.linger, "bad linger time", 0.001); err != nil {
			return err
		}
	}
	maxSize := int64(65507)
	if f.v6 {
		maxSize = 65527
	}
	if f.size != "" {
		v, err := iputilsInt(f.size, 0, maxSize)
		if err != nil {
			return err
		}
		cfg.Size = int(v)
		if v == 0 {
			cfg.Size = -1
		}
	}
	if f.ttl != "" {
		v, err := iputilsInt(f.ttl, 0, 255)
		if err != nil {
			return err
		}
		if v == 0 {
			return usagef("cannot set unicast time-to-live: invalid argument: use 1-255")
		}
		opts.TTL = int(v)
	}
	if f.preload != "" {
		v, err := iputilsInt(f.preload, 1, 65536)
		if err != nil {
			return err
		}
		if !isRoot() && v > 3 {
			return usagef("cannot set preload to value greater than 3: %d", v)
		}
		cfg.Preload = int(v)
	}
	if f.pattern != "" {
		if cfg.Pattern, err = parsePattern(f.pattern); err != nil {
			return err
		}
	}
	if f.pmtu != "" {
		switch f.pmtu {
		case "do", "dont", "want":
			opts.PMTUDisc = f.pmtu
		default:
			return usagef("invalid -M argument: %s", f.pmtu)
		}
	}
	if f.tos != "" {
		if opts.TOS, err = parseTOS(f.tos); err != nil {
			return err
		}
	}
	if f.iface != "" {
		if a, err := netip.ParseAddr(f.iface); err == nil {
			opts.Source = a
		} else {
			if _, err := sockets.InterfaceIndex(f.iface); err != nil {
				return usagef("SO_BINDTODEVICE %s: No such device", f.iface)
			}
			opts.Device = f.iface
		}
		cfg.ShowSource = true
	}
	cfg.Flood = f.flood
	cfg.Outstanding = f.outstanding
	if len(args) == 0 {
		return usagef("usage error: Destination address required")
	}
	if len(args) > 1 {
		return usagef("takes one destination, got %d: %s", len(args), strings.Join(args, " "))
	}
	interval := probe.DefaultInterval
	if cfg.IntervalSet {
		interval = cfg.Interval
	} else if cfg.Flood {
		interval = 0
	}
	if !isRoot() && interval < probe.MinUserInterval {
		return usagef("cannot flood; minimal interval allowed for user is %dms", probe.MinUserInterval/time.Millisecond)
	}

	host := args[0]
	fam := probe.AnyFamily
	if f.v4 {
		fam = probe.IPv4
	} else if f.v6 {
		fam = probe.IPv6
	}
	addr, numeric, err := probe.Resolve(e.ctx, resolver, host, fam)
	if err != nil {
		return usagef("%v", err)
	}
	if opts.Source.IsValid() && opts.Source.Is4() != addr.Is4() {
		return usagef("source %s and destination %s are of different families", opts.Source, addr)
	}
	cfg.Host, cfg.Addr, opts.Dst = host, addr, addr
	route, err := probe.RouteTo(addr, opts.Device, f.broadcast)
	if err != nil {
		return usagef("%v", err)
	}
	cfg.Source = route.Source
	if opts.Source.IsValid() {
		cfg.Source = opts.Source
	}
	cfg.Device = opts.Device
	if route.Broadcast || addr.IsMulticast() {
		if route.Broadcast {
			fmt.Fprintln(e.stderr, "WARNING: pinging broadcast address")
		}
		if !isRoot() && interval < time.Second {
			return usagef("broadcast ping with too short interval: %d", interval/time.Millisecond)
		}
		if !isRoot() && opts.PMTUDisc != "" && opts.PMTUDisc != "do" {
			return usagef("broadcast ping does not fragment")
		}
		if opts.PMTUDisc == "" {
			opts.PMTUDisc = "do"
		}
		cfg.Broadcast = true
		opts.Broadcast = route.Broadcast
	}
	dataLen := cfg.Size
	if dataLen == 0 {
		dataLen = probe.DefaultSize
	}
	opts.RecvBuffer = max(65536, (dataLen+8+512)*max(cfg.Preload, 1))

	conn, err := probe.OpenEcho(&opts)
	if err != nil {
		var pe *probe.PermissionError
		if errors.As(err, &pe) {
			return needPrivilege(err, "CAP_NET_RAW")
		}
		return usagef("%v", err)
	}
	defer conn.Close()
	dropped := dropCapabilities()
	if f.verbose {
		kind := probe.DatagramSocket
		if conn.Raw() {
			kind = probe.RawSocket
		}
		e.warnf("using %v, identifier %d", kind, conn.ID())
		if dropped != nil {
			e.warnf("keeping this process's capabilities: %v", dropped)
		}
	}

	status := make(chan struct{}, 1)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGQUIT)
	defer signal.Stop(sigs)
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case <-sigs:
				select {
				case status <- struct{}{}:
				default:
				}
			case <-done:
				return
			}
		}
	}()
	cfg.Status = status

	var rep probe.PingReporter
	if f.json {
		rep = &probe.JSONReporter{Out: e.stdout}
	} else {
		var names probe.Namer = probe.NumericNamer{}
		if !f.numeric && !f.flood && !numeric {
			names = &probe.DNSNamer{Resolver: resolver}
		}
		rep = &probe.TextReporter{
			Out: e.stdout, Err: e.stderr, Names: names, Prog: "rawsock: ping",
			Quiet: f.quiet, Flood: f.flood, Timestamps: f.timestamps, Verbose: f.verbose, ShowID: conn.Raw(),
		}
	}
	if !keepCapabilities {
		// One processor, as iputils runs on one thread. Ping keeps one
		// goroutine busy, and a flood never lets it block: every 10 ms the
		// scheduler preempts it, and with a second processor idle another
		// thread takes it over, often on the other CPU, where the kernel's
		// per-CPU state for the socket is cold. (Tests, which run ping
		// in-process, keep their processors.)
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	}
	stats, err := probe.Ping(e.ctx, conn, &cfg, rep)
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	if code := probe.ExitCode(&cfg, stats); code != 0 {
		return exitStatus(code)
	}
	return nil
}

// keepCapabilities is set by the package's tests, whose in-process runs
// must not take the test binary's own capabilities away.
var keepCapabilities bool

// dropCapabilities empties the effective, permitted and inheritable
// capability sets of every thread (capset(2)), for good: once its socket is
// open, nothing ping does needs a privilege, so a flaw in the code that reads
// what arrives has none to misuse — as iputils ping does. The user id stays
// what it was. A binary linked with cgo cannot change every thread at once
// (syscall.AllThreadsSyscall) and keeps its capabilities; the static build
// (make build) drops them.
func dropCapabilities() error {
	if keepCapabilities {
		return errors.New("running inside a test")
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData // version 3: capabilities 0-31, then 32-63
	_, _, errno := syscall.AllThreadsSyscall(unix.SYS_CAPSET,
		uintptr(unsafe.Pointer(&hdr)), uintptr(unsafe.Pointer(&data[0])), 0)
	if errno != 0 {
		return os.NewSyscallError("capset", errno)
	}
	return nil
}
