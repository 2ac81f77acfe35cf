package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// A Resolver looks names up; *net.Resolver is one, tests use fakes.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
	LookupAddr(ctx context.Context, addr string) ([]string, error)
}

// A Family restricts which addresses a name may resolve to (-4, -6).
type Family int

const (
	// AnyFamily takes the first address the resolver gives.
	AnyFamily Family = iota
	// IPv4 takes only IPv4 addresses.
	IPv4
	// IPv6 takes only IPv6 addresses.
	IPv6
)

// A ResolveError is a failed lookup in getaddrinfo's words, as ping and
// traceroute print it: "host: Name or service not known".
type ResolveError struct {
	Host string
	// Msg is gai_strerror's text for what went wrong.
	Msg string
	Err error
}

// Error is "host: what went wrong".
func (e *ResolveError) Error() string { return e.Host + ": " + e.Msg }

// Unwrap returns the lookup error, if there was one.
func (e *ResolveError) Unwrap() error { return e.Err }

// Resolve returns the address to probe for host: host itself when it is
// an address (numeric true), else the first address of the family that r
// finds.
func Resolve(ctx context.Context, r Resolver, host string, fam Family) (addr netip.Addr, numeric bool, err error) {
	if a, err := netip.ParseAddr(host); err == nil {
		a = a.Unmap()
		if (fam == IPv4 && !a.Is4()) || (fam == IPv6 && a.Is4()) {
			return netip.Addr{}, true, &ResolveError{Host: host, Msg: "Address family for hostname not supported"}
		}
		return a, true, nil
	}
	if host == "" || strings.ContainsAny(host, " \t/") {
		return netip.Addr{}, false, &ResolveError{Host: host, Msg: "Name or service not known"}
	}
	network := map[Family]string{AnyFamily: "ip", IPv4: "ip4", IPv6: "ip6"}[fam]
	addrs, err := r.LookupNetIP(ctx, network, host)
	if err != nil {
		var dnsErr *net.DNSError
		msg := "Temporary failure in name resolution"
		if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
			msg = "Name or service not known"
		}
		var addrErr *net.AddrError
		if errors.As(err, &addrErr) {
			msg = "Address family for hostname not supported"
		}
		return netip.Addr{}, false, &ResolveError{Host: host, Msg: msg, Err: err}
	}
	for _, a := range addrs {
		a = a.Unmap()
		if (fam == IPv4 && !a.Is4()) || (fam == IPv6 && a.Is4()) {
			continue
		}
		return a, false, nil
	}
	return netip.Addr{}, false, &ResolveError{Host: host, Msg: "Address family for hostname not supported"}
}

// DNSNamer names addresses by reverse lookup, "name (address)", and
// prints the bare address when the lookup fails. It remembers its answers.
type DNSNamer struct {
	Resolver Resolver
	// Timeout bounds each lookup; zero is two seconds.
	Timeout time.Duration

	mu    sync.Mutex
	cache map[netip.Addr]string
}

// Name returns "name (address)" or the address.
func (n *DNSNamer) Name(addr netip.Addr) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if s, ok := n.cache[addr]; ok {
		return s
	}
	if n.cache == nil {
		n.cache = make(map[netip.Addr]string)
	}
	s := addr.String()
	timeout := n.Timeout
	if timeout == 0 {
		timeout = 2 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if names, err := n.Resolver.LookupAddr(ctx, addr.String()); err == nil && len(names) > 0 {
		s = fmt.Sprintf("%s (%s)", strings.TrimSuffix(names[0], "."), addr)
	}
	n.cache[addr] = s
	return s
}

// TraceNamer names hops as traceroute(8) does without -n: "name
// (address)", and "address (address)" when there is no name.
type TraceNamer struct{ DNSNamer }

// Name returns "name (address)" or "address (address)".
func (n *TraceNamer) Name(addr netip.Addr) string {
	s := n.DNSNamer.Name(addr)
	if s == addr.String() {
		return fmt.Sprintf("%s (%s)", addr, addr)
	}
	return s
}
