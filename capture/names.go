package capture

import (
	"bufio"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
)

// names resolves numbers to names the way tcpdump does without -n, but
// from local files only: /etc/hosts for addresses and /etc/services for
// ports (IP protocols have the built-in protocolKeywords). It never asks a
// DNS server, so printing a capture sends no packet anywhere.
type names struct {
	hosts    map[netip.Addr]string
	tcp, udp map[uint16]string
}

var (
	namesOnce   sync.Once
	localNames  *names
	namesFiles  = [2]string{"/etc/hosts", "/etc/services"}
	namesLoaded = func() *names {
		namesOnce.Do(func() { localNames = loadNames(namesFiles[0], namesFiles[1]) })
		return localNames
	}
)

func loadNames(hostsFile, servicesFile string) *names {
	n := &names{
		hosts: map[netip.Addr]string{},
		tcp:   map[uint16]string{},
		udp:   map[uint16]string{},
	}
	eachLine(hostsFile, func(f []string) {
		if len(f) < 2 {
			return
		}
		if a, err := netip.ParseAddr(f[0]); err == nil {
			if _, dup := n.hosts[a.Unmap()]; !dup {
				n.hosts[a.Unmap()] = f[1]
			}
		}
	})
	eachLine(servicesFile, func(f []string) {
		if len(f) < 2 {
			return
		}
		port, proto, ok := strings.Cut(f[1], "/")
		if !ok {
			return
		}
		v, err := strconv.ParseUint(port, 10, 16)
		if err != nil {
			return
		}
		m := n.tcp
		if proto == "udp" {
			m = n.udp
		} else if proto != "tcp" {
			return
		}
		if _, dup := m[uint16(v)]; !dup {
			m[uint16(v)] = f[0]
		}
	})
	return n
}

// eachLine calls fn with the fields of every line of a file, comments
// removed; a missing file has no lines.
func eachLine(path string, fn func([]string)) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		line, _, _ := strings.Cut(s.Text(), "#")
		if fields := strings.Fields(line); len(fields) > 0 {
			fn(fields)
		}
	}
}
