package main

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"

	"github.com/rawsock/rawsock/sockets"
)

func init() {
	register(&command{
		name:     "doctor",
		synopsis: "doctor [--json]",
		summary:  "say what this host lets rawsock do, and the exact fix for what it does not",
		help: `Reports the process's and the binary's capabilities, net.ipv4.ping_group_range, the
interfaces with their addresses and MTU, and whether raw IPv4, raw IPv6, packet (AF_PACKET) and
ICMP datagram sockets open. For each missing piece it prints the command that fixes it.
doctor only opens sockets and reads /proc and /sys: it sends nothing.

Exit status: 0 when everything rawsock can use is available, 1 when something is missing.

Examples:
  rawsock doctor
  rawsock doctor --json | jq .checks`,
		setup: func(fs *pflag.FlagSet) func(*env, []string) error {
			asJSON := fs.Bool("json", false, "print one JSON object instead of the report")
			return func(e *env, args []string) error {
				if len(args) > 0 {
					return usagef("takes no arguments, got %q", args[0])
				}
				r := examineHost()
				if *asJSON {
					enc := json.NewEncoder(e.stdout)
					if err := enc.Encode(r); err != nil {
						return err
					}
				} else {
					r.print(e.stdout)
				}
				if !r.OK {
					return exitStatus(1)
				}
				return nil
			}
		},
	})
}

// Capability numbers from linux/capability.h.
const (
	capNetAdmin  = 12
	capLastKnown = 40
)

var capNames = [...]string{
	"chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid", "setuid", "setpcap",
	"linux_immutable", "net_bind_service", "net_broadcast", "net_admin", "net_raw", "ipc_lock", "ipc_owner",
	"sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct", "sys_admin", "sys_boot", "sys_nice",
	"sys_resource", "sys_time", "sys_tty_config", "mknod", "lease", "audit_write", "audit_control", "setfcap",
	"mac_override", "mac_admin", "syslog", "wake_alarm", "block_suspend", "audit_read", "perfmon", "bpf",
	"checkpoint_restore",
}

// capList names the capabilities set in mask, as getcap(8) does.
func capList(mask uint64) []string {
	var names []string
	for i := 0; i < 64; i++ {
		if mask&(1<<i) == 0 {
			continue
		}
		if i <= capLastKnown {
			names = append(names, "cap_"+capNames[i])
		} else {
			names = append(names, "cap_"+strconv.Itoa(i))
		}
	}
	return names
}

// hostReport is what doctor found; its JSON form is doctor --json.
type hostReport struct {
	Binary         string          `json:"binary"`
	UID            int             `json:"uid"`
	GID            int             `json:"gid"`
	Capabilities   []string        `json:"capabilities"`
	FileCaps       string          `json:"file_capabilities"`
	PingGroupRange [2]int64        `json:"ping_group_range"`
	PingAllowed    bool            `json:"ping_group_allowed"`
	Checks         []hostCheck     `json:"checks"`
	Interfaces     []hostInterface `json:"interfaces"`
	OK             bool            `json:"ok"`
}

type hostCheck struct {
	Name string `json:"name"`
	What string `json:"what"`
	OK   bool   `json:"ok"`
	// Needed is false for what rawsock can do without: the ICMP datagram
	// socket when raw sockets open, CAP_NET_ADMIN always.
	Needed bool `json:"needed"`
	// Note says why a check that failed does not matter.
	Note  string `json:"note,omitempty"`
	Error string `json:"error,omitempty"`
	Fix   string `json:"fix,omitempty"`
}

type hostInterface struct {
	Name  string   `json:"name"`
	Up    bool     `json:"up"`
	MTU   int      `json:"mtu"`
	Addrs []string `json:"addrs"`
}

func examineHost() *hostReport {
	r := &hostReport{Binary: selfPath(), UID: os.Getuid(), GID: os.Getgid()}
	eff, err := readCapEff("/proc/self/status")
	if err == nil {
		r.Capabilities = capList(eff)
	}
	r.FileCaps = "none"
	if fc, err := fileCaps(r.Binary); err == nil && fc != "" {
		r.FileCaps = fc
	}
	r.PingGroupRange, err = readPingGroupRange("/proc/sys/net/ipv4/ping_group_range")
	if err == nil {
		groups, _ := os.Getgroups()
		r.PingAllowed = inGroupRange(r.PingGroupRange, append(groups, os.Getgid()))
	}

	setcap := "sudo setcap cap_net_raw,cap_net_admin+ep " + r.Binary
	tryOpen := func(name, what string, fix string, open func() (*sockets.Socket, error)) {
		c := hostCheck{Name: name, What: what, OK: true, Needed: true}
		s, err := open()
		if err != nil {
			c.OK, c.Error, c.Fix = false, err.Error(), fix
		} else {
			s.Close()
		}
		r.Checks = append(r.Checks, c)
	}
	tryOpen("raw-ipv4", "raw IPv4 sockets (send, traceroute, scan --syn, privileged ping)", setcap,
		func() (*sockets.Socket, error) {
			return sockets.Open(sockets.INET, sockets.RAW, unix.IPPROTO_ICMP, nil)
		})
	tryOpen("raw-ipv6", "raw IPv6 sockets (send ip6(), ping -6 privileged)", setcap,
		func() (*sockets.Socket, error) {
			return sockets.Open(sockets.INET6, sockets.RAW, unix.IPPROTO_ICMPV6, nil)
		})
	tryOpen("packet", "packet sockets (sniff, send -I with ether())", setcap,
		func() (*sockets.Socket, error) { return sockets.Open(sockets.PACKET, sockets.RAW, 0, nil) })
	gid := strconv.Itoa(os.Getgid())
	tryOpen("icmp-datagram", "ICMP datagram sockets (ping without privilege)",
		fmt.Sprintf("sudo sysctl -w net.ipv4.ping_group_range=%q", gid+" "+gid),
		func() (*sockets.Socket, error) {
			return sockets.Open(sockets.INET, sockets.DGRAM, unix.IPPROTO_ICMP, nil)
		})
	// Unprivileged ping matters only when raw ICMP sockets are refused.
	r.Checks[3].Needed = !r.Checks[0].OK
	r.Checks[3].Note = "not needed: raw sockets work"
	admin := hostCheck{Name: "net-admin", What: "CAP_NET_ADMIN (receive buffers beyond net.core.rmem_max for sniff and scan)",
		OK: eff&(1<<capNetAdmin) != 0, Note: "optional: buffers stay within net.core.rmem_max"}
	if !admin.OK {
		admin.Error, admin.Fix = "capability CAP_NET_ADMIN is not effective", setcap
	}
	r.Checks = append(r.Checks, admin)

	r.OK = true
	for _, c := range r.Checks {
		r.OK = r.OK && (c.OK || !c.Needed)
	}
	r.Interfaces = listInterfaces()
	return r
}

func (r *hostReport) print(w io.Writer) {
	caps := "none"
	if len(r.Capabilities) > 0 {
		var shown []string
		for _, c := range r.Capabilities {
			switch c {
			case "cap_net_raw", "cap_net_admin", "cap_net_bind_service", "cap_setuid", "cap_setgid", "cap_sys_admin":
				shown = append(shown, c)
			}
		}
		caps = strings.Join(shown, ",")
		if more := len(r.Capabilities) - len(shown); more > 0 {
			caps += fmt.Sprintf(" and %d more", more)
		}
	}
	fmt.Fprintf(w, "process     uid %d gid %d, effective capabilities: %s\n", r.UID, r.GID, caps)
	fmt.Fprintf(w, "binary      %s, file capabilities: %s\n", r.Binary, r.FileCaps)
	allowed := "this process's groups may"
	if !r.PingAllowed {
		allowed = "this process's groups may not"
	}
	fmt.Fprintf(w, "ping        net.ipv4.ping_group_range = %d %d (%s open ICMP datagram sockets)\n",
		r.PingGroupRange[0], r.PingGroupRange[1], allowed)

	fmt.Fprintf(w, "\nsockets\n")
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, c := range r.Checks {
		state, note := "ok", ""
		switch {
		case !c.OK && c.Needed:
			state = "missing"
		case !c.OK:
			state, note = "off", " — "+c.Note
		}
		fmt.Fprintf(tw, "  %s\t%s%s\n", state, c.What, note)
	}
	tw.Flush()

	fmt.Fprintf(w, "\ninterfaces\n")
	tw = tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, ifc := range r.Interfaces {
		state := "down"
		if ifc.Up {
			state = "up"
		}
		addrs := strings.Join(ifc.Addrs, " ")
		if addrs == "" {
			addrs = "-"
		}
		fmt.Fprintf(tw, "  %s\t%s\tmtu %d\t%s\n", ifc.Name, state, ifc.MTU, addrs)
	}
	tw.Flush()

	if r.OK {
		fmt.Fprintf(w, "\neverything rawsock uses is available\n")
		return
	}
	fmt.Fprintf(w, "\nto fix\n")
	seen := map[string]bool{}
	for _, c := range r.Checks {
		if c.OK || !c.Needed || seen[c.Fix] {
			continue
		}
		seen[c.Fix] = true
		fmt.Fprintf(w, "  %s\n", c.Fix)
	}
}

// readCapEff reads the effective capability mask of the process from
// proc(5)'s status file.
func readCapEff(path string) (uint64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			return strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		}
	}
	return 0, errors.New("no CapEff line in " + path)
}

// fileCaps returns the file capabilities of path in getcap(8)'s form
// ("cap_net_admin,cap_net_raw=ep"), or "" when it has none.
func fileCaps(path string) (string, error) {
	buf := make([]byte, 64)
	n, err := unix.Getxattr(path, "security.capability", buf)
	if err != nil {
		if errors.Is(err, unix.ENODATA) {
			return "", nil
		}
		return "", err
	}
	return formatFileCaps(buf[:n])
}

// formatFileCaps decodes a security.capability attribute (struct
// vfs_cap_data, revision 2 or 3, see capabilities(7)).
func formatFileCaps(b []byte) (string, error) {
	if len(b) < 20 {
		return "", fmt.Errorf("security.capability is %d bytes, want at least 20", len(b))
	}
	magic := binary.LittleEndian.Uint32(b)
	if rev := magic & 0xff000000; rev != 0x02000000 && rev != 0x03000000 {
		return "", fmt.Errorf("security.capability revision %#x is not one rawsock knows", rev)
	}
	permitted := uint64(binary.LittleEndian.Uint32(b[4:])) | uint64(binary.LittleEndian.Uint32(b[12:]))<<32
	inheritable := uint64(binary.LittleEndian.Uint32(b[8:])) | uint64(binary.LittleEndian.Uint32(b[16:]))<<32
	mask := permitted | inheritable
	if mask == 0 {
		return "", nil
	}
	flags := ""
	if magic&1 != 0 {
		flags += "e"
	}
	if inheritable != 0 {
		flags += "i"
	}
	if permitted != 0 {
		flags += "p"
	}
	return strings.Join(capList(mask), ",") + "=" + flags, nil
}

func readPingGroupRange(path string) ([2]int64, error) {
	var r [2]int64
	b, err := os.ReadFile(path)
	if err != nil {
		return r, err
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return r, fmt.Errorf("%s: want two numbers, got %q", path, strings.TrimSpace(string(b)))
	}
	for i := range f {
		if r[i], err = strconv.ParseInt(f[i], 10, 64); err != nil {
			return r, fmt.Errorf("%s: %w", path, err)
		}
	}
	return r, nil
}

func inGroupRange(r [2]int64, gids []int) bool {
	for _, g := range gids {
		if int64(g) >= r[0] && int64(g) <= r[1] {
			return true
		}
	}
	return false
}

func listInterfaces() []hostInterface {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil
	}
	out := make([]hostInterface, 0, len(ifs))
	for _, ifc := range ifs {
		hi := hostInterface{Name: ifc.Name, Up: ifc.Flags&net.FlagUp != 0, MTU: ifc.MTU, Addrs: []string{}}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			hi.Addrs = append(hi.Addrs, a.String())
		}
		out = append(out, hi)
	}
	return out
}
