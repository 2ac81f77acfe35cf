package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/rawsock/rawsock/probe/scan"
)

func init() {
	register(&command{
		name:     "scan",
		synopsis: "scan -p PORTS|--top N [--syn|--udp|--connect] [flags] HOST",
		summary:  "find the open, closed and filtered ports of a host: SYN, UDP or connect scan, as nmap does",
		help: `--syn (the default with CAP_NET_RAW) sends one TCP SYN per port from a raw socket: a SYN-ACK
means open (and is answered with a RST), a RST closed, silence or an ICMP unreachable filtered.
--udp sends one datagram per port (a DNS, NTP, NetBIOS or SNMP request on their ports, empty
elsewhere): a UDP reply means open, ICMP port unreachable closed, another ICMP unreachable
filtered, silence open|filtered. --connect needs no privilege: it completes a TCP connection
with connect(2) and resets it at once. Without CAP_NET_RAW the default falls back to a connect
scan and says so on stderr; --syn and --udp fail instead.

Ports are a list of ports and ranges (-p 22,80,8000-8100; -p- for all 65535), or the N most
commonly open (--top N: nmap's ranking from its nmap-services file when nmap is installed,
rawsock's own short list otherwise). They are probed in random order unless -r. Each silent port
is probed again --retries times, each probe waiting --timeout (without it, the wait adapts: the
smoothed round trip plus four times its variation, as TCP computes its retransmission timeout,
kept between 100ms and 1s), so every scan ends by itself.
HOST is an IPv4 or IPv6 address, or a name from /etc/hosts: scan sends no DNS queries.

While a SYN scan runs, the scanning host's kernel also answers each SYN-ACK with a RST of its
own (it has no socket for the connection): harmless, and expected.

Output is nmap's table, PORT STATE SERVICE REASON, with service names from /etc/services; a state
with more than 25 ports other than open is summed up in a "Not shown" line unless --all. --json
prints one object per port and a summary object instead (fields in the README).

Exit status: 0 when the scan ran to its end, 1 when it failed, 2 for a usage or privilege error,
130 after SIGINT (143 after SIGTERM): the ports decided so far and the summary are printed first.

Examples:
  rawsock scan -p 22,80,443 203.0.113.2
  rawsock scan --top 100 --udp 203.0.113.2
  rawsock scan -p- --rate 2000 --json 2001:db8:2::2
  rawsock scan --connect -p 1-1024 localhost`,
		setup: func(fs *pflag.FlagSet) func(*env, []string) error {
			o := &scanOptions{}
			fs.StringVarP(&o.ports, "ports", "p", "", "ports to scan: 22,80,8000-8100, or - for all (-p-)")
			fs.IntVar(&o.top, "top", 0, "scan the N most commonly open ports instead of -p")
			fs.BoolVar(&o.syn, "syn", false, "SYN scan through a raw socket (the default when allowed; needs CAP_NET_RAW)")
			fs.BoolVar(&o.udp, "udp", false, "UDP scan through a raw socket (needs CAP_NET_RAW)")
			fs.BoolVar(&o.connect, "connect", false, "connect scan: full TCP connections, no privilege needed")
			fs.Float64Var(&o.rate, "rate", 0, "send at most PPS probes per second (0: no limit but --parallel)")
			fs.IntVar(&o.parallel, "parallel", scan.DefaultParallel, "at most N probes waiting for an answer at once")
			fs.IntVar(&o.retries, "retries", 1, "probe a silent port N more times")
			fs.DurationVar(&o.timeout, "timeout", scan.DefaultTimeout, "how long each probe waits for an answer (default: adapt to the round trip, 100ms to 1s)")
			fs.BoolVarP(&o.sequential, "sequential", "r", false, "probe the ports in order instead of shuffled")
			fs.BoolVarP(&o.ipv4, "ipv4", "4", false, "resolve HOST to its IPv4 address")
			fs.BoolVarP(&o.ipv6, "ipv6", "6", false, "resolve HOST to its IPv6 address")
			fs.BoolVar(&o.open, "open", false, "show only ports that may be open (open, open|filtered)")
			fs.BoolVar(&o.all, "all", false, "show every port: no \"Not shown\" summary of a crowded state")
			fs.BoolVar(&o.json, "json", false, "print one JSON object per port, then a summary object")
			return func(e *env, args []string) error {
				o.adaptive = !fs.Changed("timeout")
				return o.run(e, args)
			}
		},
	})
}

type scanOptions struct {
	ports                  string
	top                    int
	syn, udp, connect      bool
	rate                   float64
	parallel, retries      int
	timeout                time.Duration
	sequential, ipv4, ipv6 bool
	open, all, json        bool
	adaptive               bool // no --timeout: adapt the wait to the round trips measured
}

func (o *scanOptions) run(e *env, args []string) error {
	cfg, err := o.config(args)
	if err != nil {
		return err
	}
	explicit := o.syn || o.udp || o.connect
	p, err := scan.NewProber(cfg.Method, cfg.Target, cfg.Timeout)
	if err != nil && !explicit && isPermission(err) {
		e.warnf("a SYN scan needs CAP_NET_RAW, which this process lacks: running a connect scan instead (for SYN scans: run as root or: sudo setcap cap_net_raw,cap_net_admin+ep %s)", selfPath())
		cfg.Method = scan.Connect
		p, err = scan.NewProber(cfg.Method, cfg.Target, cfg.Timeout)
	}
	if err != nil {
		return needPrivilege(err, "CAP_NET_RAW")
	}
	cfg.Prober = p
	report, err := scan.Run(e.ctx, cfg)
	if report != nil {
		services, serr := scan.LoadServices(scan.ServicesFile)
		if serr != nil {
			e.warnf("service names: %v", serr)
		}
		if o.json {
			writeScanJSON(e.stdout, report, services)
		} else {
			o.writeTable(e.stdout, report, services)
		}
	}
	if err != nil {
		return err
	}
	if report.Interrupted {
		return exitStatus(signalStatus(e.ctx))
	}
	return nil
}

// config checks the command line and turns it into a scan.Config.
func (o *scanOptions) config(args []string) (*scan.Config, error) {
	if len(args) != 1 {
		return nil, usagef("want one HOST to scan, got %d arguments: see 'rawsock scan --help'", len(args))
	}
	cfg := &scan.Config{Method: scan.SYN, Rate: o.rate, Parallel: o.parallel, Retries: o.retries, Timeout: o.timeout}
	if o.adaptive {
		cfg.MinTimeout = minTimeout
	}
	switch n := btoi(o.syn) + btoi(o.udp) + btoi(o.connect); {
	case n > 1:
		return nil, usagef("choose one of --syn, --udp and --connect")
	case o.udp:
		cfg.Method = scan.UDP
	case o.connect:
		cfg.Method = scan.Connect
	}
	switch {
	case o.rate < 0:
		return nil, usagef("bad --rate %v: want probes per second, or 0 for no limit", o.rate)
	case o.parallel < 1:
		return nil, usagef("bad --parallel %d: want at least 1", o.parallel)
	case o.retries < 0:
		return nil, usagef("bad --retries %d: want 0 or more", o.retries)
	case o.timeout <= 0:
		return nil, usagef("bad --timeout %v: want a duration above zero, such as 500ms", o.timeout)
	case o.ipv4 && o.ipv6:
		return nil, usagef("choose one of -4 and -6")
	case o.open && o.all:
		return nil, usagef("choose one of --open and --all")
	}
	var err error
	switch {
	case o.ports != "" && o.top != 0:
		return nil, usagef("give -p or --top, not both")
	case o.top != 0:
		if o.top < 1 || o.top > 65535 {
			return nil, usagef("bad --top %d: want a count from 1 to 65535", o.top)
		}
		cfg.Ports, _ = scan.TopPorts(o.top, cfg.Method.Proto())
	case o.ports != "":
		if cfg.Ports, err = scan.ParsePorts(o.ports); err != nil {
			return nil, usagef("%v", err)
		}
	default:
		return nil, usagef("which ports? give -p PORTS (22,80,8000-8100, or -p- for all) or --top N")
	}
	if !o.sequential {
		rand.Shuffle(len(cfg.Ports), func(i, j int) { cfg.Ports[i], cfg.Ports[j] = cfg.Ports[j], cfg.Ports[i] })
	}
	family := 0
	if o.ipv4 {
		family = 4
	} else if o.ipv6 {
		family = 6
	}
	if cfg.Target, err = scan.Resolve(args[0], family); err != nil {
		return nil, usagef("%v", err)
	}
	return cfg, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func isPermission(err error) bool {
	return errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES)
}

// signalStatus is the exit status after a signal ended the command: 128 plus
// the signal's number, as a shell reports it (130 for SIGINT, 143 for
// SIGTERM).
func signalStatus(ctx context.Context) int {
	if cause := context.Cause(ctx); cause != nil && strings.Contains(cause.Error(), syscall.SIGTERM.String()) {
		return 128 + int(syscall.SIGTERM)
	}
	return 128 + int(syscall.SIGINT)
}

// minTimeout is the shortest wait of a probe when no --timeout is given and
// the wait adapts to the round trips measured, as nmap -T4's
// --min-rtt-timeout is.
const minTimeout = 100 * time.Millisecond

// hideOver is how many ports of one state (other than open) the table lists
// before it sums them up in a "Not shown" line, as nmap does.
const hideOver = 25

func (o *scanOptions) writeTable(w io.Writer, r *scan.Report, services *scan.Services) {
	proto := r.Method.Proto()
	fmt.Fprintf(w, "scan report for %s (%s scan, %d %s ports)\n", r.Target, r.Method, r.Ports, proto)
	hidden := map[scan.State]map[scan.Reason]int{}
	if !o.all {
		for _, s := range []scan.State{scan.Closed, scan.Filtered, scan.OpenFiltered} {
			if n := r.Count(s); n > hideOver || (o.open && s != scan.OpenFiltered && n > 0) {
				hidden[s] = map[scan.Reason]int{}
			}
		}
	}
	var rows []scan.Result
	for _, res := range r.Results {
		if h, ok := hidden[res.State]; ok {
			h[res.Reason]++
			continue
		}
		rows = append(rows, res)
	}
	var notShown []string
	for _, s := range []scan.State{scan.Closed, scan.Filtered, scan.OpenFiltered} {
		if h, ok := hidden[s]; ok && len(h) > 0 {
			var why []string
			n := 0
			for _, reason := range sortedReasons(h) {
				why = append(why, fmt.Sprintf("%d %s", h[reason], reason))
				n += h[reason]
			}
			if len(why) == 1 {
				why[0] = string(sortedReasons(h)[0])
			}
			notShown = append(notShown, fmt.Sprintf("%d %s %s ports (%s)", n, s, proto, strings.Join(why, ", ")))
		}
	}
	if len(notShown) > 0 {
		fmt.Fprintf(w, "Not shown: %s\n", strings.Join(notShown, ", "))
	}
	if len(rows) > 0 {
		tw := tabwriter.NewWriter(w, 0, 8, 1, ' ', 0)
		fmt.Fprintf(tw, "PORT\tSTATE\tSERVICE\tREASON\n")
		for _, res := range rows {
			name := services.Name(res.Port, proto)
			if name == "" {
				name = "unknown"
			}
			fmt.Fprintf(tw, "%d/%s\t%s\t%s\t%s\n", res.Port, proto, res.State, name, res.Reason)
		}
		tw.Flush()
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, summaryLine(r))
}

func sortedReasons(m map[scan.Reason]int) []scan.Reason {
	var rs []scan.Reason
	for r := range m {
		rs = append(rs, r)
	}
	// Most common first, then by name, so the line reads the same every run.
	for i := 1; i < len(rs); i++ {
		for j := i; j > 0 && (m[rs[j]] > m[rs[j-1]] || m[rs[j]] == m[rs[j-1]] && rs[j] < rs[j-1]); j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
		}
	}
	return rs
}

// summaryLine is the last line of a scan: what was found and what it took.
func summaryLine(r *scan.Report) string {
	var counts []string
	for _, s := range []scan.State{scan.Open, scan.Closed, scan.Filtered, scan.OpenFiltered} {
		if n := r.Count(s); n > 0 || s == scan.Open {
			counts = append(counts, fmt.Sprintf("%d %s", n, s))
		}
	}
	what := fmt.Sprintf("%d ports of %s scanned", len(r.Results), r.Target)
	if r.Interrupted {
		what = fmt.Sprintf("interrupted: %d of %d ports of %s scanned", len(r.Results), r.Ports, r.Target)
	}
	return fmt.Sprintf("%s in %.2fs: %s (%d probes sent, %d answers)",
		what, r.Elapsed.Seconds(), strings.Join(counts, ", "), r.Sent, r.Replies)
}

// scanPortJSON is one port of --json output.
type scanPortJSON struct {
	Type    string  `json:"type"` // "port"
	Host    string  `json:"host"`
	Port    uint16  `json:"port"`
	Proto   string  `json:"proto"`
	State   string  `json:"state"`
	Service string  `json:"service,omitempty"`
	Reason  string  `json:"reason"`
	TTL     uint8   `json:"ttl,omitempty"`
	From    string  `json:"from,omitempty"`
	RTTms   float64 `json:"rtt_ms,omitempty"`
	Probes  int     `json:"probes"`
}

// scanSummaryJSON is the last object of --json output.
type scanSummaryJSON struct {
	Type         string  `json:"type"` // "summary"
	Host         string  `json:"host"`
	Method       string  `json:"method"`
	Proto        string  `json:"proto"`
	Ports        int     `json:"ports"`
	Scanned      int     `json:"scanned"`
	Open         int     `json:"open"`
	Closed       int     `json:"closed"`
	Filtered     int     `json:"filtered"`
	OpenFiltered int     `json:"open_filtered"`
	ProbesSent   int     `json:"probes_sent"`
	Replies      int     `json:"replies"`
	ElapsedS     float64 `json:"elapsed_s"`
	Interrupted  bool    `json:"interrupted"`
}

func writeScanJSON(w io.Writer, r *scan.Report, services *scan.Services) {
	enc := json.NewEncoder(w)
	proto := r.Method.Proto()
	for _, res := range r.Results {
		p := scanPortJSON{
			Type: "port", Host: r.Target.String(), Port: res.Port, Proto: proto, State: res.State.String(),
			Service: services.Name(res.Port, proto), Reason: string(res.Reason), TTL: res.TTL,
			RTTms: float64(res.RTT.Microseconds()) / 1000, Probes: res.Probes,
		}
		if res.From.IsValid() {
			p.From = res.From.String()
		}
		enc.Encode(p)
	}
	enc.Encode(scanSummaryJSON{
		Type: "summary", Host: r.Target.String(), Method: r.Method.String(), Proto: proto,
		Ports: r.Ports, Scanned: len(r.Results),
		Open: r.Count(scan.Open), Closed: r.Count(scan.Closed), Filtered: r.Count(scan.Filtered),
		OpenFiltered: r.Count(scan.OpenFiltered), ProbesSent: r.Sent, Replies: r.Replies,
		ElapsedS: r.Elapsed.Seconds(), Interrupted: r.Interrupted,
	})
}
