package netlab

import (
	"runtime"
	"strings"
	"testing"
)

// The main goroutine keeps the process's first thread for itself. Host.Do
// enters a namespace on a locked thread and lets the thread die with its
// goroutine, but the first thread cannot die: had Do run there, the whole
// process would count as inside the lab's namespace, and the lab's
// teardown (which kills every process in it) would kill the test itself.
func init() { runtime.LockOSThread() }

// A Routed lab is four hosts in a line, two routers between a client and a
// server, so that a probe crosses two forwarding hops:
//
//	client ── r1 ── r2 ── server
//
//	client eth0  198.51.100.2/24  2001:db8:1::2/64
//	r1     eth0  198.51.100.1/24  2001:db8:1::1/64
//	r1     eth1  192.0.2.1/24     2001:db8:12::1/64
//	r2     eth0  192.0.2.2/24     2001:db8:12::2/64
//	r2     eth1  203.0.113.1/24   2001:db8:2::1/64
//	server eth0  203.0.113.2/24   2001:db8:2::2/64
//
// Both routers forward IPv4 and IPv6, and every host routes the three
// subnets of each family. ICMP rate limits are off on every host, so a
// test may draw as many time-exceeded and unreachable messages as it
// likes without some of them going missing — with one exception the lab
// cannot lift: a router answering from an unreachable or prohibit route,
// or for want of any route, does so at most five times in a burst and
// then once a second per source (net.ipv4.route.error_cost and
// error_burst belong to the host's own namespace).
type Routed struct {
	*Lab
	Client, R1, R2, Server *Host
}

// The addresses of a Routed lab, for tests to use by name.
const (
	RoutedClient4 = "198.51.100.2"
	RoutedR1In4   = "198.51.100.1" // r1 on the client's link
	RoutedR1Out4  = "192.0.2.1"    // r1 on the routers' link
	RoutedR2In4   = "192.0.2.2"    // r2 on the routers' link
	RoutedR2Out4  = "203.0.113.1"  // r2 on the server's link
	RoutedServer4 = "203.0.113.2"

	RoutedClient6 = "2001:db8:1::2"
	RoutedR1In6   = "2001:db8:1::1"
	RoutedR1Out6  = "2001:db8:12::1"
	RoutedR2In6   = "2001:db8:12::2"
	RoutedR2Out6  = "2001:db8:2::1"
	RoutedServer6 = "2001:db8:2::2"
)

// NewRouted builds a Routed lab for t. Like every lab it is removed when
// the test ends, pass or fail, and it calls RequirePrivilege first.
func NewRouted(t testing.TB) *Routed {
	t.Helper()
	l := New(t)
	RequireTool(t, "ping")
	r := &Routed{Lab: l, Client: l.Host("client"), R1: l.Host("r1"), R2: l.Host("r2"), Server: l.Host("server")}
	l.Link(r.Client, []string{RoutedClient4 + "/24", RoutedClient6 + "/64"}, r.R1, []string{RoutedR1In4 + "/24", RoutedR1In6 + "/64"})
	l.Link(r.R1, []string{RoutedR1Out4 + "/24", RoutedR1Out6 + "/64"}, r.R2, []string{RoutedR2In4 + "/24", RoutedR2In6 + "/64"})
	l.Link(r.R2, []string{RoutedR2Out4 + "/24", RoutedR2Out6 + "/64"}, r.Server, []string{RoutedServer4 + "/24", RoutedServer6 + "/64"})
	for _, h := range []*Host{r.R1, r.R2} {
		h.Sysctl("net.ipv4.ip_forward", "1")
		h.Sysctl("net.ipv6.conf.all.forwarding", "1")
	}
	for _, h := range r.Hosts() {
		// An empty mask exempts every ICMP type from the per-destination
		// limit. (A zero net.ipv4.icmp_ratelimit would not do: it empties
		// the bucket the route errors above draw from too.)
		h.Sysctl("net.ipv4.icmp_ratemask", "0")
		h.Sysctl("net.ipv6.icmp.ratelimit", "0")
	}
	r.Client.MustRun("ip", "route", "add", "default", "via", RoutedR1In4)
	r.Client.MustRun("ip", "-6", "route", "add", "default", "via", RoutedR1In6)
	r.R1.MustRun("ip", "route", "add", "203.0.113.0/24", "via", RoutedR2In4)
	r.R1.MustRun("ip", "-6", "route", "add", "2001:db8:2::/64", "via", RoutedR2In6)
	r.R2.MustRun("ip", "route", "add", "198.51.100.0/24", "via", RoutedR1Out4)
	r.R2.MustRun("ip", "-6", "route", "add", "2001:db8:1::/64", "via", RoutedR1Out6)
	r.Server.MustRun("ip", "route", "add", "default", "via", RoutedR2Out4)
	r.Server.MustRun("ip", "-6", "route", "add", "default", "via", RoutedR2Out6)
	// One packet each way along the whole path resolves every neighbour on
	// it, so that a test's first burst of probes does not meet neighbour
	// discovery still under way (which can lose a burst of ICMPv6 errors).
	r.warm()
	return r
}

func (r *Routed) warm() {
	r.t.Helper()
	for _, dst := range []string{RoutedServer4, RoutedServer6} {
		var err error
		for try := 0; try < 3; try++ {
			if _, err = r.Client.Run("ping", "-c", "1", "-W", "2", "-n", "-q", dst); err == nil {
				break
			}
		}
		if err != nil {
			r.t.Fatalf("netlab: routed lab does not carry packets: %v", err)
		}
	}
}

// Hosts returns the lab's hosts in path order: client, r1, r2, server.
func (r *Routed) Hosts() []*Host { return []*Host{r.Client, r.R1, r.R2, r.Server} }

// Silence makes h drop every ICMP and ICMPv6 time-exceeded message it
// would send, with an nftables rule in h's own namespace, so that h is a
// hop that answers nothing: traceroute shows it as "* * *". Packets still
// cross h. The rule goes away with the namespace.
func (h *Host) Silence() {
	h.lab.t.Helper()
	RequireTool(h.lab.t, "nft")
	h.MustRun("nft", strings.Join([]string{
		"add table inet netlab_silence",
		"add chain inet netlab_silence out { type filter hook output priority 0 ; policy accept ; }",
		"add rule inet netlab_silence out icmp type time-exceeded drop",
		"add rule inet netlab_silence out icmpv6 type time-exceeded drop",
	}, " ; "))
}

// A RouteKind is what a route of Host.RouteTo does with the packets it
// matches (ip-route(8) route types).
type RouteKind string

// The route types a test can put in a host's way.
const (
	// Blackhole drops silently.
	Blackhole RouteKind = "blackhole"
	// Unreachable drops and answers ICMP host unreachable (ICMPv6 no route).
	Unreachable RouteKind = "unreachable"
	// Prohibit drops and answers ICMP communication administratively
	// prohibited (ICMPv6 administratively prohibited).
	Prohibit RouteKind = "prohibit"
)

// RouteTo adds a route of the given kind for prefix (CIDR, IPv4 or IPv6)
// in h, more specific than the lab's own routes, so that packets h would
// forward or send to prefix meet it instead.
func (h *Host) RouteTo(kind RouteKind, prefix string) {
	h.lab.t.Helper()
	switch kind {
	case Blackhole, Unreachable, Prohibit:
	default:
		h.lab.t.Fatalf("netlab: unknown route kind %q: use Blackhole, Unreachable or Prohibit", kind)
	}
	fam := "-4"
	if strings.Contains(prefix, ":") {
		fam = "-6"
	}
	h.MustRun("ip", fam, "route", "add", string(kind), prefix)
}

// Unroute deletes h's route to exactly prefix and its default route of
// the same family, so that h has no route to prefix at all and answers
// ICMP network unreachable (ICMPv6 no route) for packets it would forward
// there. Routes that are not there are no error.
func (h *Host) Unroute(prefix string) {
	h.lab.t.Helper()
	fam := "-4"
	if strings.Contains(prefix, ":") {
		fam = "-6"
	}
	for _, dst := range []string{prefix, "default"} {
		if strings.TrimSpace(h.MustRun("ip", fam, "route", "show", "exact", dst)) != "" {
			h.MustRun("ip", fam, "route", "del", dst)
		}
	}
}
