package main

import (
	"errors"
	"fmt"
	"net"
	"os/user"
	"strconv"
	"strings"
	"syscall"

	"github.com/gopacket/gopacket/layers"
	"github.com/rawsock/rawsock/capture"
	"github.com/rawsock/rawsock/capture/filter"
	"github.com/spf13/pflag"
)

func init() {
	register(&command{
		name:     "sniff",
		aliases:  []string{"dump"},
		synopsis: "sniff [flags] [EXPRESSION]",
		summary:  "capture packets live and print or save them, like tcpdump",
		help: `Captures the packets of an interface (-i; every interface with -i any, the
default, in Linux cooked v2 frames that name each packet's interface), or of
one IP protocol with a raw IPv4 socket (--l3 icmp). EXPRESSION is a tcpdump
filter (docs/filters.md); it runs in the kernel, attached before the socket
is bound, so a packet outside it never reaches rawsock. Packets are printed
as tcpdump prints them, or written with -w (rotating with -C, -G, -W).

It stops after -c packets, when -G -W has made its files, or at SIGINT or
SIGTERM; it then flushes the file and prints on standard error:
  N packets captured / N packets received by filter / N packets dropped by kernel

Needs CAP_NET_RAW (root, or: sudo setcap cap_net_raw,cap_net_admin+ep rawsock).
-Z USER gives up root for USER once the socket and the first file are open.
-r FILE reads a file instead, as 'rawsock read' does.

Examples:
  rawsock sniff -i eth0 -n icmp
  rawsock sniff -i any -c 10 -nv 'tcp port 22'
  rawsock sniff -i eth0 -w ring.pcap -C 10 -W 5 -Z nobody
  rawsock sniff --l3 icmp -n
  rawsock sniff -i eth0 -w - | rawsock read -n -`,
		setup: setupSniff,
	})
}

type sniffFlags struct {
	printFlags
	iface, l3, linkType, dropTo, readFile string
	snaplen, fileMB, rotateSec, files     int
	bufferKiB                             int
	noPromisc, flushEach, list            bool
}

func setupSniff(fs *pflag.FlagSet) func(*env, []string) error {
	f := &sniffFlags{}
	fs.StringVarP(&f.iface, "interface", "i", "any", "capture on `IFACE` (any: every interface)")
	fs.BoolVarP(&f.noPromisc, "no-promiscuous-mode", "p", false, "do not put the interface into promiscuous mode")
	fs.StringVar(&f.l3, "l3", "", "capture one IP `PROTOCOL` (icmp, tcp, udp, igmp or a number) with a raw IPv4 socket")
	fs.StringVarP(&f.linkType, "linktype", "y", "", "`LINKTYPE` of -i any: LINUX_SLL2 (the default) or LINUX_SLL (which keeps VLAN tags, as libpcap does)")
	fs.IntVarP(&f.snaplen, "snapshot-length", "s", 0, "keep at most `N` bytes of each packet (default 262144)")
	fs.IntVarP(&f.bufferKiB, "buffer-size", "B", 0, "socket receive buffer in `KiB` (default 4096)")
	fs.BoolVarP(&f.flushEach, "packet-buffered", "U", false, "write each packet to the file at once")
	fs.IntVarP(&f.fileMB, "file-size", "C", 0, "start a new file when the current one is larger than `MB` million bytes")
	fs.IntVarP(&f.rotateSec, "rotate-seconds", "G", 0, "start a new file every `SECONDS` (the -w name may use strftime % fields)")
	fs.IntVarP(&f.files, "file-count", "W", 0, "with -C, reuse `N` files in a ring; with -G alone, stop after N files")
	fs.StringVarP(&f.dropTo, "relinquish-privileges", "Z", "", "become `USER` once the socket and the first file are open")
	fs.StringVarP(&f.readFile, "read", "r", "", "read packets from `FILE` instead of capturing")
	fs.BoolVarP(&f.list, "list-interfaces", "D", false, "list the interfaces and exit")
	f.printFlags.declare(fs)
	return func(e *env, args []string) error {
		expr, err := f.expression(args)
		if err != nil {
			return err
		}
		if f.list {
			return listCaptureInterfaces(e)
		}
		if f.readFile != "" {
			return readFile(e, &f.printFlags, f.readFile, expr)
		}
		return sniff(e, f, expr)
	}
}

func listCaptureInterfaces(e *env) error {
	ifs, err := net.Interfaces()
	if err != nil {
		return err
	}
	for i, ifc := range ifs {
		var notes []string
		if ifc.Flags&net.FlagUp != 0 {
			notes = append(notes, "Up")
		}
		if ifc.Flags&net.FlagRunning != 0 {
			notes = append(notes, "Running")
		}
		if ifc.Flags&net.FlagLoopback != 0 {
			notes = append(notes, "Loopback")
		}
		fmt.Fprintf(e.stdout, "%d.%s [%s]\n", i+1, ifc.Name, strings.Join(notes, ", "))
	}
	fmt.Fprintf(e.stdout, "%d.any (Pseudo-device that captures on all interfaces) [Up, Running]\n", len(ifs)+1)
	return nil
}

// ipProtocols are the names --l3 accepts.
var ipProtocols = map[string]int{"icmp": 1, "igmp": 2, "tcp": 6, "udp": 17, "gre": 47, "esp": 50, "ah": 51, "sctp": 132}

func (f *sniffFlags) liveConfig() (*capture.LiveConfig, error) {
	cfg := &capture.LiveConfig{
		Interface:   f.iface,
		Snaplen:     f.snaplen,
		Promiscuous: !f.noPromisc,
		BufferSize:  f.bufferKiB * 1024,
	}
	if f.snaplen < 0 || f.snaplen > capture.MaxSnaplen {
		return nil, usagef("-s %d: the snapshot length is 1 to %d (0 for the most)", f.snaplen, capture.MaxSnaplen)
	}
	if f.l3 != "" {
		p, ok := ipProtocols[strings.ToLower(f.l3)]
		if !ok {
			n, err := strconv.Atoi(f.l3)
			if err != nil || n < 1 || n > 255 {
				return nil, usagef("--l3 %q: give a protocol name (icmp, tcp, udp, igmp) or a number 1-255", f.l3)
			}
			p = n
		}
		cfg.L3Protocol = p
	}
	switch strings.ToUpper(f.linkType) {
	case "", "LINUX_SLL2":
	case "LINUX_SLL":
		cfg.Cooked = layers.LinkTypeLinuxSLL
	default:
		return nil, usagef("-y %q: rawsock captures -i any as LINUX_SLL2 or LINUX_SLL", f.linkType)
	}
	return cfg, nil
}

func sniff(e *env, f *sniffFlags, expr string) error {
	cfg, err := f.liveConfig()
	if err != nil {
		return err
	}
	link, err := capture.LiveLinkType(cfg)
	if err != nil {
		return usagef("-i %s: %v", f.iface, err)
	}
	snaplen := cfg.Snaplen
	if snaplen == 0 {
		snaplen = capture.MaxSnaplen
	}
	if strings.TrimSpace(expr) != "" || f.dump > 0 {
		prog, err := filter.Compile(expr, link, snaplen)
		if err != nil {
			var fe *filter.Error
			if errors.As(err, &fe) {
				return usagef("filter: %v", err)
			}
			return err
		}
		if f.dump > 0 {
			format := []filter.Format{filter.Assembly, filter.CArray, filter.Decimal}[min(f.dump, 3)-1]
			return filter.Dump(e.stdout, prog, format)
		}
		cfg.Filter = prog
	}
	live, err := capture.OpenLive(cfg)
	if err != nil {
		return needPrivilege(err, "CAP_NET_RAW")
	}
	defer live.Close()
	ifc := live.Interface()
	fmt.Fprintf(e.stderr, "listening on %s, link-type %s (%s), snapshot length %d bytes\n",
		ifc.Name, capture.LinkTypeName(link), capture.LinkTypeDescription(link), snaplen)

	f.printFlags.rotate = rotation{mb: f.fileMB, seconds: f.rotateSec, files: f.files, flushEach: f.flushEach, snaplen: snaplen}
	out, err := newOutput(e, &f.printFlags, []capture.Interface{ifc})
	if err != nil {
		return err
	}
	defer out.close()
	if f.dropTo != "" {
		if err := dropPrivileges(f.dropTo); err != nil {
			return err
		}
	}
	n := 0
	for f.count == 0 || n < f.count {
		data, ci, err := live.ReadPacketContext(e.ctx)
		if err != nil {
			if e.ctx.Err() != nil {
				break
			}
			out.close()
			return err
		}
		n++
		if err := out.packet(ci, ifc, data); err != nil {
			return err
		}
		if out.done() {
			break
		}
		if live.Buffered() == 0 {
			if err := out.flushText(); err != nil {
				return err
			}
		}
	}
	if err := out.close(); err != nil {
		return err
	}
	st, err := live.Stats()
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "%d packets captured\n%d packets received by filter\n%d packets dropped by kernel\n",
		st.Captured, st.Received, st.Dropped)
	return nil
}

// dropPrivileges becomes the user name (or numeric uid), with its group
// and supplementary groups, as tcpdump -Z does; every capability goes with
// root.
func dropPrivileges(name string) error {
	u, err := user.Lookup(name)
	if err != nil {
		if u, err = user.LookupId(name); err != nil {
			return usagef("-Z %s: no such user", name)
		}
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("-Z %s: user %s has uid %q and gid %q", name, u.Username, u.Uid, u.Gid)
	}
	groups := []int{gid}
	if ids, err := u.GroupIds(); err == nil {
		for _, id := range ids {
			if g, err := strconv.Atoi(id); err == nil && g != gid {
				groups = append(groups, g)
			}
		}
	}
	if err := syscall.Setgroups(groups); err != nil {
		return needPrivilege(fmt.Errorf("-Z %s: setgroups: %w", name, err), "CAP_SETGID")
	}
	if err := syscall.Setgid(gid); err != nil {
		return needPrivilege(fmt.Errorf("-Z %s: setgid: %w", name, err), "CAP_SETGID")
	}
	if err := syscall.Setuid(uid); err != nil {
		return needPrivilege(fmt.Errorf("-Z %s: setuid: %w", name, err), "CAP_SETUID")
	}
	return nil
}
