package scan

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
)

// HostsFile is the static table of host names, hosts(5).
const HostsFile = "/etc/hosts"

// Resolve returns the address to scan for host: an IPv4 or IPv6 address as
// written, or a name from HostsFile. It asks no DNS server, so a scan sends
// nothing anywhere but to the address given. family is 4 or 6 to take only
// that family's address, 0 for the first listed (IPv4 preferred).
func Resolve(host string, family int) (netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		a = a.Unmap()
		if a.Zone() != "" {
			return netip.Addr{}, fmt.Errorf("bad host %q: scoped (link-local) addresses are not supported: give a global address", host)
		}
		if (family == 4 && !a.Is4()) || (family == 6 && !a.Is6()) {
			return netip.Addr{}, fmt.Errorf("host %s is not an IPv%d address", host, family)
		}
		return a, nil
	}
	f, err := os.Open(HostsFile)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("unknown host %q: give an address (no DNS lookups; %v)", host, err)
	}
	defer f.Close()
	addrs := LookupHosts(f, host)
	var v4, v6 []netip.Addr
	for _, a := range addrs {
		if a.Is4() {
			v4 = append(v4, a)
		} else {
			v6 = append(v6, a)
		}
	}
	switch {
	case family != 6 && len(v4) > 0:
		return v4[0], nil
	case family != 4 && len(v6) > 0:
		return v6[0], nil
	}
	return netip.Addr{}, fmt.Errorf("unknown host %q: give an address, or a name from %s (no DNS lookups)", host, HostsFile)
}

// LookupHosts returns the addresses that lines in hosts(5) format, "address
// name [aliases…] [# comment]", give to name (compared without regard to
// case), in the order listed.
func LookupHosts(r io.Reader, name string) []netip.Addr {
	var out []netip.Addr
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		text, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(text)
		if len(f) < 2 {
			continue
		}
		a, err := netip.ParseAddr(f[0])
		if err != nil || a.Zone() != "" {
			continue
		}
		for _, n := range f[1:] {
			if strings.EqualFold(n, name) {
				out = append(out, a.Unmap())
				break
			}
		}
	}
	return out
}
