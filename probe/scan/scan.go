// Package scan finds which ports of one host are open, closed or filtered,
// the way nmap's -sS, -sU and -sT scans do.
//
// A SYN scan sends one TCP SYN per port through a raw socket: a SYN-ACK means
// open (and is answered with a RST, so no connection is left half open), a
// RST means closed, silence or an ICMP unreachable means filtered. A UDP scan
// sends one datagram per port (a protocol request on well-known ports such as
// DNS's 53): a UDP reply means open, ICMP port unreachable closed, another
// ICMP unreachable filtered, and silence open|filtered, since most services
// ignore a datagram they do not understand. Both need CAP_NET_RAW. A connect
// scan needs no privilege: it completes (and at once resets) a real TCP
// connection with connect(2).
//
// Run drives the scan: it sends probes at a bounded rate with at most a
// bounded number waiting for an answer, retries the ports that stay silent,
// and ends by itself once every port has an answer or has used up its
// retries, each waiting Timeout. A Prober does the sending and the reply
// matching, so the scheduling and the classification are tested with fakes;
// NewProber returns the real one for a Method.
//
// While a raw scan runs, the scanning host's own kernel also sees the
// target's SYN-ACKs. It has no socket for them, so it answers each with a
// RST of its own, next to the scanner's: harmless, and the reason a SYN scan
// never completes a connection.
package scan

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"time"
)

// A Method is the kind of probe a scan sends. The zero Method is invalid.
type Method int

// The scan methods.
const (
	_ Method = iota
	// SYN sends TCP SYNs through a raw socket (nmap -sS).
	SYN
	// UDP sends UDP datagrams through a raw socket (nmap -sU).
	UDP
	// Connect opens TCP connections with connect(2) (nmap -sT).
	Connect
)

// String returns the method's name: "syn", "udp" or "connect".
func (m Method) String() string {
	switch m {
	case SYN:
		return "syn"
	case UDP:
		return "udp"
	case Connect:
		return "connect"
	}
	return fmt.Sprintf("Method(%d)", int(m))
}

// Proto returns the transport protocol the method probes: "tcp" or "udp".
func (m Method) Proto() string {
	if m == UDP {
		return "udp"
	}
	return "tcp"
}

// silent is what a port that never answered is for the method.
func (m Method) silent() State {
	if m == UDP {
		return OpenFiltered
	}
	return Filtered
}

// A State is what a scan concluded about a port. The zero State means the
// port has no conclusion yet.
type State int

// The port states, with nmap's meanings.
const (
	_ State = iota
	// Open: a service answered (SYN-ACK, a completed connection, a UDP reply).
	Open
	// Closed: the host answered that nothing listens (RST, ICMP port
	// unreachable).
	Closed
	// Filtered: something in the way dropped the probe or refused it with an
	// ICMP unreachable.
	Filtered
	// OpenFiltered: a UDP port that stayed silent; either a service ignored
	// the probe or a filter dropped it.
	OpenFiltered
)

var stateNames = [...]string{Open: "open", Closed: "closed", Filtered: "filtered", OpenFiltered: "open|filtered"}

// String returns nmap's word for the state: "open", "closed", "filtered" or
// "open|filtered".
func (s State) String() string {
	if s > 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// A Reason is why a port got its state, in nmap's words ("syn-ack",
// "reset", "port-unreach", "no-response", …).
type Reason string

// The reasons a scan gives.
const (
	ReasonSynAck          Reason = "syn-ack"          // a SYN-ACK, or a completed connection
	ReasonReset           Reason = "reset"            // a RST
	ReasonConnRefused     Reason = "conn-refused"     // connect(2) failed with ECONNREFUSED
	ReasonUDPResponse     Reason = "udp-response"     // a UDP datagram back from the port
	ReasonNoResponse      Reason = "no-response"      // silence after every retry
	ReasonNetUnreach      Reason = "net-unreach"      // ICMP network unreachable (ICMPv6 no route)
	ReasonHostUnreach     Reason = "host-unreach"     // ICMP host (ICMPv6 address) unreachable, or EHOSTUNREACH
	ReasonProtoUnreach    Reason = "proto-unreach"    // ICMP protocol unreachable
	ReasonPortUnreach     Reason = "port-unreach"     // ICMP port unreachable
	ReasonNetProhibited   Reason = "net-prohibited"   // ICMP network administratively prohibited
	ReasonHostProhibited  Reason = "host-prohibited"  // ICMP host administratively prohibited
	ReasonAdminProhibited Reason = "admin-prohibited" // ICMP communication administratively prohibited
	ReasonTimeExceeded    Reason = "time-exceeded"    // ICMP time exceeded on the way
)

// A Reply is a Prober's verdict on one port from one answer it matched to a
// probe.
type Reply struct {
	Port   uint16
	State  State
	Reason Reason
	// TTL is the time to live (hop limit) of the answer, 0 when unknown
	// (connect scans).
	TTL uint8
	// From is who answered: the target, or a router's ICMP error. It may be
	// the zero Addr when the prober does not know.
	From netip.Addr
}

// A Result is the conclusion on one port.
type Result struct {
	Port   uint16
	State  State
	Reason Reason
	TTL    uint8      // of the answer; 0 for no-response and connect scans
	From   netip.Addr // who answered; zero for no-response
	// RTT is the time from the last probe sent to the port until the
	// answer; 0 for no-response.
	RTT time.Duration
	// Probes is how many probes were sent to the port.
	Probes int
}

// A Prober sends probes to one host and reports what they draw. Run calls
// Probe from one goroutine at a time; the replies arrive on the channel
// Replies returns, in any order, possibly more than one per port.
type Prober interface {
	// Probe sends one probe to port. An error wrapping ErrBusy means the
	// probe was not sent for lack of buffer space and may be tried again
	// shortly; any other error ends the scan.
	Probe(port uint16) error
	// Replies returns the channel of replies matched to probes.
	Replies() <-chan Reply
	// Close stops the prober and frees its sockets. Replies may stay
	// unread after Close.
	Close() error
}

// ErrBusy is what a Prober's Probe wraps when the probe could not be sent
// now (the socket's buffer is full) but may be later.
var ErrBusy = errors.New("send buffer full")

// Config says what to scan and how. A nil *Config is invalid: Target, Ports
// and Method have no defaults.
type Config struct {
	// Target is the host to scan.
	Target netip.Addr
	// Ports are the ports to probe, each once; Run probes them in this order.
	Ports []uint16
	// Method is the kind of probe.
	Method Method
	// Prober sends the probes; nil means NewProber(Method, Target, Timeout).
	Prober Prober
	// Rate is the most probes sent per second, retries included; 0 means no
	// limit beyond Parallel.
	Rate float64
	// Parallel is the most probes waiting for an answer at once; 0 means
	// DefaultParallel.
	Parallel int
	// Retries is how many more probes a silent port gets after its first.
	Retries int
	// Timeout is how long each probe waits for an answer; 0 means
	// DefaultTimeout.
	Timeout time.Duration
	// MinTimeout, when set below Timeout, makes the wait adapt to the
	// target: a probe waits srtt + 4·rttvar of the round trips measured so
	// far (RFC 6298's retransmission timeout), as the estimate stands when
	// the probe is checked, so that probes sent before the first answer
	// gain from it too; but at least MinTimeout and at most Timeout.
	MinTimeout time.Duration
	// OnResult, when set, is called with each port's result as soon as it
	// is known, from Run's goroutine.
	OnResult func(Result)
}

// Defaults of a Config's zero fields.
const (
	DefaultTimeout  = time.Second
	DefaultParallel = 512
)

// A Report is the outcome of a scan.
type Report struct {
	Target netip.Addr
	Method Method
	// Results holds one Result per port that reached a conclusion, in port
	// order. After an interruption it lacks the ports still undecided.
	Results []Result
	// Ports is how many ports the scan was asked to probe.
	Ports int
	// Sent is how many probes went out, retries included.
	Sent int
	// Replies is how many answers the prober matched to probes, duplicates
	// included.
	Replies int
	// Start is when the first probe was sent, Elapsed how long the scan took.
	Start   time.Time
	Elapsed time.Duration
	// Interrupted is set when the context ended the scan before every port
	// had its conclusion.
	Interrupted bool
}

// Count returns how many ports ended in state s.
func (r *Report) Count(s State) int {
	n := 0
	for _, res := range r.Results {
		if res.State == s {
			n++
		}
	}
	return n
}

// Run scans cfg.Target's cfg.Ports and returns the report. It ends by itself
// once every port is decided: after at most (Retries+1) × Timeout of silence
// per port on top of the sending time. When ctx ends first, Run returns the
// partial report with Interrupted set and a nil error. An error means the
// scan could not run or a probe could not be sent.
func Run(ctx context.Context, cfg *Config) (*Report, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	p := cfg.Prober
	if p == nil {
		var err error
		if p, err = NewProber(cfg.Method, cfg.Target, cfg.Timeout); err != nil {
			return nil, err
		}
	}
	defer p.Close()
	r, err := newRun(cfg, p).loop(ctx)
	if r != nil {
		sort.Slice(r.Results, func(i, j int) bool { return r.Results[i].Port < r.Results[j].Port })
	}
	return r, err
}

func (cfg *Config) check() error {
	if cfg == nil {
		return errors.New("scan: nil Config: give a Target, Ports and a Method")
	}
	switch cfg.Method {
	case SYN, UDP, Connect:
	default:
		return fmt.Errorf("scan: unknown method %d: use SYN, UDP or Connect", int(cfg.Method))
	}
	if !cfg.Target.IsValid() {
		return errors.New("scan: no target address")
	}
	if len(cfg.Ports) == 0 {
		return errors.New("scan: no ports to scan")
	}
	for _, p := range cfg.Ports {
		if p == 0 {
			return errors.New("scan: port 0 cannot be scanned: ports run from 1 to 65535")
		}
	}
	if cfg.Rate < 0 || cfg.Parallel < 0 || cfg.Retries < 0 || cfg.Timeout < 0 || cfg.MinTimeout < 0 {
		return fmt.Errorf("scan: negative Rate, Parallel, Retries, Timeout or MinTimeout: %v, %d, %d, %v, %v",
			cfg.Rate, cfg.Parallel, cfg.Retries, cfg.Timeout, cfg.MinTimeout)
	}
	return nil
}
