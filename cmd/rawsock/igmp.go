package main

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"

	"github.com/rawsock/rawsock/sockets"
)

func init() {
	register(&command{
		name:     "igmp",
		synopsis: "igmp join|leave GROUP -I IFACE [flags]",
		summary:  "hold a real multicast membership (IGMP/MLD reports sent by the kernel), or leave one",
		help: `join holds a membership of GROUP on IFACE through IP_ADD_MEMBERSHIP (IPV6_JOIN_GROUP for an
IPv6 group), so the kernel itself sends the membership reports and answers queries, until
interrupted (Ctrl-C) or until --duration ends; then it leaves the group, and the kernel
announces that too. With --source the membership is source-specific (IGMPv3/MLDv2 INCLUDE
mode, IP_ADD_SOURCE_MEMBERSHIP), one flag per source.

leave joins and at once leaves, so the kernel announces leaving GROUP on IFACE: an IGMPv2
Leave Group or an IGMPv3 state-change report, depending on the interface's IGMP version.

To craft queries and reports yourself instead, use rawsock send with igmp() layers.

Examples:
  rawsock igmp join 239.1.2.3 -I eth0
  rawsock igmp join 232.1.1.1 -I eth0 --source 198.51.100.7 --duration 30s
  rawsock igmp leave 239.1.2.3 -I eth0`,
		setup: func(fs *pflag.FlagSet) func(*env, []string) error {
			iface := fs.StringP("interface", "I", "", "interface to join on (required)")
			var sources []string
			fs.StringArrayVar(&sources, "source", nil, "join only for this source (IPv4, repeatable): source-specific membership")
			duration := fs.Duration("duration", 0, "leave after this long (default: until interrupted)")
			verbose := fs.BoolP("verbose", "v", false, "show the kernel's membership table for the interface after joining")
			return func(e *env, args []string) error {
				if len(args) != 2 || (args[0] != "join" && args[0] != "leave") {
					return usagef("want 'join GROUP' or 'leave GROUP', got %q: see 'rawsock igmp --help'", args)
				}
				m, err := parseMembership(args[1], *iface, sources)
				if err != nil {
					return err
				}
				if args[0] == "leave" {
					if err := m.join(); err != nil {
						return err
					}
					// The kernel announces a leave only after it has
					// reported the membership (RFC 2236 §3: only the last
					// reporter leaves).
					m.waitReported(2 * time.Second)
					if err := m.leave(); err != nil {
						return err
					}
					fmt.Fprintf(e.stdout, "left %s on %s\n", m.group, m.ifname)
					return nil
				}
				if *duration < 0 {
					return usagef("bad --duration %v: want a positive duration such as 30s", *duration)
				}
				if err := m.join(); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "joined %s on %s%s; the kernel reports the membership until %s\n",
					m.group, m.ifname, m.sourceNote(), m.until(*duration))
				if *verbose {
					printMemberships(e, m.ifname, m.group.Is6())
				}
				var timeout <-chan time.Time
				if *duration > 0 {
					timeout = time.After(*duration)
				}
				select {
				case <-e.ctx.Done():
				case <-timeout:
				}
				if err := m.leave(); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "left %s on %s\n", m.group, m.ifname)
				return nil
			}
		},
	})
}

// membership is one group joined on one interface through a UDP socket of
// its own: the kernel keeps the membership as long as the socket holds it.
type membership struct {
	group   netip.Addr
	ifname  string
	ifindex int
	ifaddr  netip.Addr // the interface's IPv4 address, for source-specific joins
	sources []netip.Addr
	sock    *sockets.Socket
}

func parseMembership(group, ifname string, sources []string) (*membership, error) {
	g, err := netip.ParseAddr(group)
	if err != nil || !g.IsMulticast() {
		return nil, usagef("bad group %q: want a multicast address such as 239.1.2.3 or ff15::1", group)
	}
	if ifname == "" {
		return nil, usagef("which interface? give -I IFACE (see 'ip link')")
	}
	ifc, err := net.InterfaceByName(ifname)
	if err != nil {
		return nil, usagef("unknown interface %q: see 'ip link' for the names", ifname)
	}
	m := &membership{group: g.Unmap(), ifname: ifname, ifindex: ifc.Index}
	for _, s := range sources {
		a, err := netip.ParseAddr(s)
		if err != nil || !a.Is4() {
			return nil, usagef("bad --source %q: want an IPv4 unicast address", s)
		}
		m.sources = append(m.sources, a)
	}
	if len(m.sources) > 0 {
		if !m.group.Is4() {
			return nil, usagef("--source works with IPv4 groups only")
		}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().Is4() {
				m.ifaddr = p.Addr()
				break
			}
		}
	}
	return m, nil
}

func (m *membership) join() error {
	family := sockets.INET
	if m.group.Is6() {
		family = sockets.INET6
	}
	s, err := sockets.Open(family, sockets.DGRAM, 0, nil)
	if err != nil {
		return err
	}
	m.sock = s
	if len(m.sources) == 0 {
		if err := s.JoinGroup(m.ifindex, m.group); err != nil {
			s.Close()
			return needPrivilege(fmt.Errorf("join %s on %s: %w", m.group, m.ifname, err), "CAP_NET_ADMIN")
		}
		return nil
	}
	for _, src := range m.sources {
		if err := s.SetOptionBytes(unix.IPPROTO_IP, unix.IP_ADD_SOURCE_MEMBERSHIP, m.mreqSource(src)); err != nil {
			s.Close()
			return fmt.Errorf("join %s from %s on %s: %w", m.group, src, m.ifname, err)
		}
	}
	return nil
}

// leave drops the membership explicitly, so the kernel announces it at
// once rather than when the socket's memberships are cleaned up.
func (m *membership) leave() error {
	defer m.sock.Close()
	if len(m.sources) == 0 {
		if err := m.sock.LeaveGroup(m.ifindex, m.group); err != nil {
			return fmt.Errorf("leave %s on %s: %w", m.group, m.ifname, err)
		}
		return nil
	}
	for _, src := range m.sources {
		if err := m.sock.SetOptionBytes(unix.IPPROTO_IP, unix.IP_DROP_SOURCE_MEMBERSHIP, m.mreqSource(src)); err != nil {
			return fmt.Errorf("leave %s from %s on %s: %w", m.group, src, m.ifname, err)
		}
	}
	return nil
}

// mreqSource is struct ip_mreq_source (ip(7)): group, interface address,
// source address.
func (m *membership) mreqSource(src netip.Addr) []byte {
	b := make([]byte, 12)
	g, i, s := m.group.As4(), m.ifaddr.As4(), src.As4()
	copy(b[0:], g[:])
	copy(b[4:], i[:])
	copy(b[8:], s[:])
	return b
}

func (m *membership) sourceNote() string {
	if len(m.sources) == 0 {
		return ""
	}
	return fmt.Sprintf(" for sources %v", m.sources)
}

func (m *membership) until(d time.Duration) string {
	if d > 0 {
		return "it leaves in " + d.String()
	}
	return "interrupted (Ctrl-C)"
}

// waitReported waits, at most timeout, until the kernel has reported the
// membership: under IGMPv1/v2 its table marks us as the last reporter once
// the randomly delayed first report is out; IGMPv3 and MLDv2 send their
// state-change report within a few milliseconds of the join.
func (m *membership) waitReported(timeout time.Duration) {
	const stateChange = 200 * time.Millisecond
	start := time.Now()
	for time.Since(start) < timeout {
		reported, v3 := kernelReported(m.ifname, m.group)
		if reported || (v3 && time.Since(start) >= stateChange) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kernelReported says whether the kernel has reported group on ifname, and
// whether it runs a version with state-change reports (IGMPv3, MLD).
func kernelReported(ifname string, group netip.Addr) (reported, v3 bool) {
	if group.Is6() {
		return false, true
	}
	ifc, err := readIGMPTable("/proc/net/igmp", ifname)
	if err != nil {
		return false, true
	}
	for _, g := range ifc.groups {
		if g.addr == group {
			return g.reporter, ifc.version == "V3"
		}
	}
	return false, ifc.version == "V3"
}

// printMemberships prints the kernel's memberships of ifname, from
// /proc/net/igmp or /proc/net/igmp6.
func printMemberships(e *env, ifname string, v6 bool) {
	groups, err := kernelGroups(ifname, v6)
	if err != nil {
		e.warnf("read the kernel's membership table: %v", err)
		return
	}
	fmt.Fprintf(e.stdout, "kernel memberships on %s: %v\n", ifname, groups)
}

// kernelGroups lists the groups the kernel holds on ifname.
func kernelGroups(ifname string, v6 bool) ([]netip.Addr, error) {
	if v6 {
		return readIGMP6("/proc/net/igmp6", ifname)
	}
	return readIGMP("/proc/net/igmp", ifname)
}

// igmpInterface is one interface's part of /proc/net/igmp.
type igmpInterface struct {
	version string // the querier version the kernel runs: "V1", "V2" or "V3"
	groups  []igmpGroup
}

type igmpGroup struct {
	addr     netip.Addr
	reporter bool // we sent the last report (IGMPv1/v2)
}

// readIGMPTable parses ifname's part of /proc/net/igmp: an interface line
// ("2\teth0  :  2  V3") followed by its groups, one per line: the address as
// hex in host byte order, users, timer, and the reporter flag.
func readIGMPTable(path, ifname string) (igmpInterface, error) {
	var ifc igmpInterface
	lines, err := readLines(path)
	if err != nil {
		return ifc, err
	}
	in := false
	for _, line := range lines[1:] {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if line[0] != '\t' && line[0] != ' ' {
			in = len(f) > 1 && f[1] == ifname
			if in {
				ifc.version = f[len(f)-1]
			}
			continue
		}
		if !in || len(f[0]) != 8 {
			continue
		}
		var v uint32
		if _, err := fmt.Sscanf(f[0], "%x", &v); err != nil {
			continue
		}
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], v)
		ifc.groups = append(ifc.groups, igmpGroup{addr: netip.AddrFrom4(b), reporter: f[len(f)-1] == "1"})
	}
	return ifc, nil
}

// readIGMP lists the IPv4 groups joined on ifname.
func readIGMP(path, ifname string) ([]netip.Addr, error) {
	ifc, err := readIGMPTable(path, ifname)
	var out []netip.Addr
	for _, g := range ifc.groups {
		out = append(out, g.addr)
	}
	return out, err
}

// readIGMP6 parses /proc/net/igmp6: "2 eth0 ff020000000000000000000000000001 1 0000000C 0".
func readIGMP6(path, ifname string) ([]netip.Addr, error) {
	lines, err := readLines(path)
	if err != nil {
		return nil, err
	}
	var out []netip.Addr
	for _, line := range lines {
		f := strings.Fields(line)
		if len(f) < 3 || f[1] != ifname || len(f[2]) != 32 {
			continue
		}
		var b [16]byte
		for i := range b {
			fmt.Sscanf(f[2][2*i:2*i+2], "%02x", &b[i])
		}
		out = append(out, netip.AddrFrom16(b))
	}
	return out, nil
}

func readLines(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return strings.Split(strings.TrimRight(string(b), "\n"), "\n"), nil
}
