package scan

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
)

// ParsePorts reads a port list in nmap's -p syntax: ports and ranges
// separated by commas ("22,80,8000-8100"), where a range may leave out its
// first port (1) or its last (65535), so "-" alone means every port. The
// result keeps the order given, without repeats.
func ParsePorts(spec string) ([]uint16, error) {
	if strings.TrimSpace(spec) == "" {
		return nil, fmt.Errorf("no ports given: write them as 22,80,8000-8100, or - for all")
	}
	var ports []uint16
	seen := make(map[uint16]bool)
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			return nil, fmt.Errorf("empty item in port list %q: remove the extra comma", spec)
		}
		lo, hi, err := portRange(item)
		if err != nil {
			return nil, err
		}
		for p := lo; p <= hi; p++ {
			if !seen[uint16(p)] {
				seen[uint16(p)] = true
				ports = append(ports, uint16(p))
			}
		}
	}
	return ports, nil
}

func portRange(item string) (lo, hi int, err error) {
	first, last, isRange := strings.Cut(item, "-")
	if lo, err = portNumber(first, 1, item); err != nil {
		return 0, 0, err
	}
	if !isRange {
		if first == "" {
			return 0, 0, fmt.Errorf("bad port %q: want a number from 1 to 65535", item)
		}
		return lo, lo, nil
	}
	if hi, err = portNumber(last, 65535, item); err != nil {
		return 0, 0, err
	}
	if lo > hi {
		return 0, 0, fmt.Errorf("reversed port range %q: write it low to high, %d-%d", item, hi, lo)
	}
	return lo, hi, nil
}

// portNumber parses one end of a range; empty means def.
func portNumber(s string, def int, item string) (int, error) {
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || strings.HasPrefix(s, "+") {
		return 0, fmt.Errorf("bad port %q in %q: want a number from 1 to 65535", s, item)
	}
	if n < 1 || n > 65535 {
		return 0, fmt.Errorf("port %d out of range in %q: ports run from 1 to 65535", n, item)
	}
	return n, nil
}

// NmapServices is where nmap keeps its table of services with the measured
// frequency of each port being open; TopPorts ranks by it when it is there.
const NmapServices = "/usr/share/nmap/nmap-services"

// TopPorts returns the n most commonly open ports of proto ("tcp" or
// "udp"), most common first, and says which ranking it used. When nmap is
// installed, the ranking is nmap's own (read from NmapServices at run time,
// so --top N scans the same ports as nmap --top-ports N); otherwise it is
// rawsock's short built-in list (see topTCP), followed by every other port
// in numeric order.
func TopPorts(n int, proto string) ([]uint16, string) {
	if f, err := os.Open(NmapServices); err == nil {
		defer f.Close()
		if ranked, err := RankNmapServices(f, proto); err == nil && len(ranked) >= n {
			return ranked[:n], "nmap-services"
		}
	}
	return builtinTop(n, proto), "built-in"
}

// RankNmapServices reads a file in nmap-services' format, "name
// port/proto frequency [# comment]" per line, and returns the ports of
// proto from the most to the least often found open; ports of equal
// frequency keep the file's order, as nmap's --top-ports does.
func RankNmapServices(r io.Reader, proto string) ([]uint16, error) {
	type entry struct {
		port uint16
		freq float64
	}
	var entries []entry
	seen := make(map[uint16]bool)
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		text, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(text)
		if len(f) < 3 {
			continue
		}
		portText, p, ok := strings.Cut(f[1], "/")
		if !ok || p != proto {
			continue
		}
		port, err := strconv.ParseUint(portText, 10, 16)
		freq, ferr := strconv.ParseFloat(f[2], 64)
		if err != nil || ferr != nil || port == 0 || math.IsNaN(freq) || freq < 0 {
			return nil, fmt.Errorf("line %d: want 'name port/%s frequency', got %q", line, proto, sc.Text())
		}
		if !seen[uint16(port)] {
			seen[uint16(port)] = true
			entries = append(entries, entry{uint16(port), freq})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].freq > entries[j].freq })
	ports := make([]uint16, len(entries))
	for i, e := range entries {
		ports[i] = e.port
	}
	return ports, nil
}

// topTCP and topUDP are rawsock's own ranking, used when nmap's table is
// not installed. They are not measured frequencies: they list the services
// a lab or a server most often runs, in this order of judgement — the web
// and remote shells first (what almost every host exposes), then mail,
// name and file services, Windows and directory services, databases,
// message brokers and cluster control planes. A port's place says how
// likely it is worth a probe, not how secure it is.
var topTCP = []uint16{
	80, 443, 22, 21, 23, 25, 3389, 8080, 110, 445, 139, 143, 53, 135, 3306, 8443, 111, 995, 993, 587,
	5900, 1723, 8000, 8888, 465, 179, 1433, 1521, 5432, 6379, 27017, 9200, 2049, 389, 636, 88, 464, 514,
	513, 512, 873, 1080, 3128, 8081, 9090, 5000, 5060, 5061, 6000, 6443, 10250, 2375, 2376, 11211, 5672,
	9092, 2181, 15672, 1883, 8883, 3000, 5601, 9100, 631, 548, 119, 1025, 5985, 5986, 7001, 8009,
}

var topUDP = []uint16{
	53, 123, 161, 67, 68, 69, 137, 138, 500, 514, 520, 1900, 5353, 4500, 1194, 51820, 162, 111, 2049,
	11211, 5060, 3478, 443, 1812, 1813, 623, 5683, 47808, 19, 7,
}

func builtinTop(n int, proto string) []uint16 {
	list := topTCP
	if proto == "udp" {
		list = topUDP
	}
	ports := make([]uint16, 0, n)
	seen := make(map[uint16]bool)
	for _, p := range list {
		if len(ports) == n {
			return ports
		}
		if !seen[p] {
			seen[p] = true
			ports = append(ports, p)
		}
	}
	for p := 1; p <= 65535 && len(ports) < n; p++ {
		if !seen[uint16(p)] {
			ports = append(ports, uint16(p))
		}
	}
	return ports
}
