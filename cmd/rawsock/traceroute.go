package main

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/rawsock/rawsock/probe"
	"github.com/spf13/pflag"
)

func init() {
	register(&command{
		name:     "traceroute",
		synopsis: "traceroute [flags] HOST [PACKETLEN]",
		summary:  "print the route packets take to a host: UDP, ICMP echo or TCP SYN probes, as traceroute(8)",
		help: `Sends probes with growing TTLs (hop limits) and prints who answers at each
hop: the routers' ICMP time exceeded, then the destination itself. UDP probes
go to ports from 33434 up (any user); -I sends ICMP echo requests (any user
allowed an ICMP socket); -T sends TCP SYNs to one port (root or CAP_NET_RAW).
Up to 16 probes are in flight at once, and a probe waits up to 5 seconds, or
a few round trips once its hop or a later one has answered (-w). Marks after
a time say why a probe went no further: !H host, !N network, !P protocol
unreachable, !X administratively prohibited, !F-MTU fragmentation needed.
PACKETLEN is the size of each probe, headers included (60, or 80 for IPv6).

Examples:
  rawsock traceroute -n 127.0.0.1
  rawsock traceroute -I -q 1 -w 1 ::1
  rawsock traceroute -T -p 22 -n 127.0.0.1      (as root)
  rawsock traceroute --json -n 127.0.0.1`,
		setup: setupTraceroute,
	})
}

type traceFlags struct {
	icmp, tcp, udp, numeric, v4, v6, json bool
	port, maxTTL, first, queries, sim     string
	wait, sendWait, iface, source         string
}

func setupTraceroute(fs *pflag.FlagSet) func(*env, []string) error {
	f := &traceFlags{}
	fs.BoolVarP(&f.icmp, "icmp", "I", false, "probe with ICMP echo requests")
	fs.BoolVarP(&f.tcp, "tcp", "T", false, "probe with TCP SYNs (root or CAP_NET_RAW)")
	fs.BoolVarP(&f.udp, "udp", "U", false, "probe with UDP datagrams (the default)")
	fs.StringVarP(&f.port, "port", "p", "", "first destination `PORT` (UDP, default 33434), first sequence number (ICMP, 1) or the port (TCP, 80)")
	fs.StringVarP(&f.maxTTL, "max-hops", "m", "", "stop after `N` hops (default 30, at most 255)")
	fs.StringVarP(&f.first, "first", "f", "", "start at hop `N` (default 1)")
	fs.StringVarP(&f.queries, "queries", "q", "", "send `N` probes per hop (default 3, at most 10)")
	fs.StringVarP(&f.wait, "wait", "w", "", "wait `MAX[,HERE,NEAR]`: at most MAX seconds (default 5), or HERE (3) times the round trip of an answer from the same hop, NEAR (10) times one from a later hop")
	fs.StringVarP(&f.sim, "sim-queries", "N", "", "keep up to `N` probes in flight (default 16)")
	fs.StringVarP(&f.sendWait, "sendwait", "z", "", "wait `SECONDS` between probes (default 0)")
	fs.BoolVarP(&f.numeric, "numeric", "n", false, "print addresses, never look names up")
	fs.BoolVarP(&f.v4, "ipv4", "4", false, "use IPv4 only")
	fs.BoolVarP(&f.v6, "ipv6", "6", false, "use IPv6 only")
	fs.StringVarP(&f.iface, "interface", "i", "", "send through `IFACE`")
	fs.StringVarP(&f.source, "source", "s", "", "send from `ADDRESS`")
	fs.BoolVar(&f.json, "json", false, "print one JSON object per hop and a summary")
	return func(e *env, args []string) error { return runTraceroute(e, f, args) }
}

// traceInt parses an integer option, in traceroute's words when it fails.
func traceInt(s, opt string) (int, error) {
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, usagef("cannot handle -%s option with arg %s: give a whole number", opt, s)
	}
	return v, nil
}

// parseWait reads -w MAX[,HERE,NEAR] (also with slashes, as traceroute
// allows).
func parseWait(s string, cfg *probe.TraceConfig) error {
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '/' })
	if len(parts) == 0 || len(parts) > 3 {
		return usagef("cannot handle -w option with arg %s: use MAX[,HERE,NEAR] in seconds", s)
	}
	var v [3]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(p, 64)
		if err != nil || f < 0 || f > 86400 {
			return usagef("cannot handle -w option with arg %s: use MAX[,HERE,NEAR] in seconds", s)
		}
		v[i] = f
	}
	cfg.Wait = time.Duration(v[0] * float64(time.Second))
	if cfg.Wait == 0 {
		cfg.Wait = time.Nanosecond
	}
	if len(parts) > 1 {
		cfg.Here, cfg.Near, cfg.HereNearSet = v[1], probe.DefaultNear, true
		if len(parts) > 2 {
			cfg.Near = v[2]
		}
	}
	return nil
}

func runTraceroute(e *env, f *traceFlags, args []string) error {
	var cfg probe.TraceConfig
	opts := probe.TraceOptions{}
	var err error
	switch {
	case f.v4 && f.v6:
		return usagef("only one of -4 and -6 may be given")
	case (f.icmp && f.tcp) || (f.icmp && f.udp) || (f.tcp && f.udp):
		return usagef("only one of -I, -T and -U may be given")
	case f.icmp:
		opts.Method = probe.TraceICMP
	case f.tcp:
		opts.Method = probe.TraceTCP
	}
	cfg.MaxTTL, cfg.FirstTTL, cfg.Queries = probe.DefaultMaxTTL, 1, probe.DefaultQueries
	if f.maxTTL != "" {
		if cfg.MaxTTL, err = traceInt(f.maxTTL, "m"); err != nil {
			return err
		}
	}
	if f.first != "" {
		if cfg.FirstTTL, err = traceInt(f.first, "f"); err != nil {
			return err
		}
	}
	if cfg.MaxTTL > 255 {
		return usagef("max hops cannot be more than 255")
	}
	if cfg.FirstTTL < 1 || cfg.FirstTTL > cfg.MaxTTL {
		return usagef("first hop out of range")
	}
	if f.queries != "" {
		if cfg.Queries, err = traceInt(f.queries, "q"); err != nil {
			return err
		}
	}
	if cfg.Queries < 1 || cfg.Queries > 10 {
		return usagef("no more than 10 probes per hop")
	}
	cfg.Simultaneous = probe.DefaultSimultaneous
	if f.sim != "" {
		if cfg.Simultaneous, err = traceInt(f.sim, "N"); err != nil {
			return err
		}
		cfg.Simultaneous = max(cfg.Simultaneous, 1)
	}
	if f.wait != "" {
		if err := parseWait(f.wait, &cfg); err != nil {
			return err
		}
	}
	if f.sendWait != "" {
		v, err := strconv.ParseFloat(f.sendWait, 64)
		if err != nil || v < 0 || v > 86400 {
			return usagef("cannot handle -z option with arg %s: give seconds", f.sendWait)
		}
		cfg.SendWait = time.Duration(v * float64(time.Second))
	}
	if f.port != "" {
		if opts.Port, err = traceInt(f.port, "p"); err != nil {
			return err
		}
		if opts.Port < 1 || opts.Port > 65535 {
			return usagef("cannot handle -p option with arg %s: use 1-65535", f.port)
		}
	}
	if f.source != "" {
		if opts.Source, err = netip.ParseAddr(f.source); err != nil {
			return usagef("cannot handle -s option with arg %s: give an address", f.source)
		}
	}
	opts.Device = f.iface
	switch len(args) {
	case 0:
		return usagef("no destination: give a host")
	case 2:
		if opts.PacketLen, err = traceInt(args[1], "packetlen"); err != nil {
			return err
		}
		if opts.PacketLen < 0 || opts.PacketLen > 65000 {
			return usagef("packet length %d out of range: use 0-65000", opts.PacketLen)
		}
	case 1:
	default:
		return usagef("too many arguments: give HOST [PACKETLEN]")
	}
	fam := probe.AnyFamily
	if f.v4 {
		fam = probe.IPv4
	} else if f.v6 {
		fam = probe.IPv6
	}
	addr, _, err := probe.Resolve(e.ctx, resolver, args[0], fam)
	if err != nil {
		return usagef("%v", err)
	}
	opts.Dst, cfg.Host, cfg.Addr = addr, args[0], addr
	cfg.PacketLen = opts.ProbeSize()

	conn, err := probe.OpenTrace(&opts)
	if err != nil {
		var pe *probe.PermissionError
		if errors.As(err, &pe) || opts.Method == probe.TraceTCP {
			if p := needPrivilege(err, "CAP_NET_RAW"); p != err {
				return p
			}
		}
		return usagef("%v", err)
	}
	defer conn.Close()

	var rep probe.TraceReporter
	if f.json {
		rep = &probe.TraceJSON{Out: e.stdout}
	} else {
		var names probe.Namer
		if !f.numeric {
			names = &probe.TraceNamer{DNSNamer: probe.DNSNamer{Resolver: resolver}}
		}
		rep = &probe.TraceText{Out: e.stdout, Names: names}
	}
	_, err = probe.Trace(e.ctx, conn, &cfg, rep)
	return err
}
