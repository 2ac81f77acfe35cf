package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rawsock/rawsock/internal/netlab"
)

const pcaps = "../../pcaps"

// TestReadLikeTcpdump: "rawsock read -n" prints what "tcpdump -n -r" prints.
// (The capture package compares every file under every flag; this checks
// the command around it.)
func TestReadLikeTcpdump(t *testing.T) {
	bin := netlab.RequireTool(t, "tcpdump")
	t.Setenv("TZ", "UTC")
	for _, name := range []string{"icmp.pcap", "multi.pcapng", "be-nano.pcap"} {
		file := filepath.Join(pcaps, name)
		want, err := exec.Command(bin, "-n", "-r", file).Output()
		if err != nil {
			t.Fatal(err)
		}
		code, got, stderr := runCLI(t, "", "read", "-n", file)
		if code != 0 || got != string(want) {
			t.Errorf("%s: exit %d, stderr %q, output differs from tcpdump's:\n%s\n---\n%s", name, code, stderr, got, want)
		}
		if !strings.HasPrefix(stderr, "reading from file "+file+", link-type EN10MB (Ethernet)") {
			t.Errorf("%s: stderr %q", name, stderr)
		}
	}
}

// TestReadMalformed: a damaged file prints its good packets, then one line
// with what and where, and exits 1; damage inside packets is printed and
// exits 0.
func TestReadMalformed(t *testing.T) {
	tests := []struct {
		file  string
		lines int
		code  int
		err   string
	}{
		{"bad-magic.pcap", 0, 1, "byte 0: not a pcap or pcapng file (its magic number is 0x47494638)"},
		{"truncated-header.pcap", 0, 1, "byte 0: truncated pcap file header: 10 of 24 bytes"},
		{"truncated-record-header.pcap", 2, 1, "byte 140: truncated record header: 7 of 16 bytes"},
		{"truncated-record.pcap", 2, 1, "byte 140: truncated record: 42 of 100 bytes of packet data"},
		{"caplen-over-snaplen.pcap", 2, 1, "byte 140: captured length 1500 exceeds the file's snapshot length 64"},
		{"caplen-zero.pcap", 2, 1, "byte 140: record with a captured length of 0"},
		{"caplen-2g.pcap", 2, 1, "byte 140: absurd captured length 2147483648 (the most is 262144)"},
		{"pcapng-length-lies.pcapng", 2, 1, "byte 200: pcapng block length lies: 76 at the start, 84 at the end"},
		{"pcapng-length-short.pcapng", 2, 1, "byte 200: pcapng block length lies: 40 bytes cannot hold a packet of 42"},
		{"pcapng-length-huge.pcapng", 2, 1, "byte 200: absurd pcapng block length 2147483632 (the most is 16777216)"},
		{"ipv4-ihl-under-5.pcap", 3, 0, ""},
		{"tcp-offset-past-end.pcap", 4, 0, ""},
		{"igmpv3-source-count.pcap", 4, 0, ""},
		{"dns-compression-loop.pcap", 4, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			file := filepath.Join(pcaps, "malformed", tt.file)
			code, stdout, stderr := runCLI(t, "", "read", "-n", file)
			if code != tt.code {
				t.Errorf("exit status: got %d, want %d (stderr %q)", code, tt.code, stderr)
			}
			if got := strings.Count(stdout, "\n"); got != tt.lines {
				t.Errorf("got %d packets printed, want %d:\n%s", got, tt.lines, stdout)
			}
			lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
			last := lines[len(lines)-1]
			if tt.err == "" {
				if strings.Contains(stderr, "rawsock:") {
					t.Errorf("stderr %q, want no error", stderr)
				}
				return
			}
			if want := "rawsock: read: " + file + ": " + tt.err; last != want {
				t.Errorf("last line of stderr: got %q, want %q", last, want)
			}
		})
	}
}

// TestReadFilterToFile: "read FILE EXPR -w OUT" keeps what tcpdump's filter
// keeps, in a file tshark reads.
func TestReadFilterToFile(t *testing.T) {
	bin := netlab.RequireTool(t, "tcpdump")
	dir := t.TempDir()
	for _, tt := range []struct{ file, expr, out string }{
		{"icmp.pcap", "icmp and ip[6:2] & 0x1fff = 0", "first.pcap"},
		{"tcp.pcap", "tcp[tcpflags] & tcp-syn != 0", "syn.pcapng"},
		{"any.pcap", "ip6", "v6.pcap"},
		{"vlan.pcap", "vlan 100", "vlan.pcap"},
	} {
		in, out := filepath.Join(pcaps, tt.file), filepath.Join(dir, tt.out)
		code, _, stderr := runCLI(t, "", "read", in, tt.expr, "-w", out)
		if code != 0 {
			t.Fatalf("read %s %q -w: exit %d: %s", tt.file, tt.expr, code, stderr)
		}
		want, err := exec.Command(bin, "-r", in, tt.expr).Output()
		if err != nil {
			t.Fatal(err)
		}
		_, got, _ := runCLI(t, "", "read", out)
		n, m := strings.Count(got, "\n"), strings.Count(string(want), "\n")
		if n != m || n == 0 {
			t.Errorf("%s %q: rawsock wrote %d packets, tcpdump selects %d", tt.file, tt.expr, n, m)
		}
		if strings.HasSuffix(out, ".pcapng") {
			b, _ := os.ReadFile(out)
			if len(b) < 4 || b[0] != 0x0a || b[1] != 0x0d {
				t.Errorf("%s is not pcapng", out)
			}
		}
	}
	// -c stops early; - reads standard input.
	b, _ := os.ReadFile(filepath.Join(pcaps, "dns.pcap"))
	code, got, _ := runCLI(t, string(b), "read", "-n", "-c", "3", "-")
	if code != 0 || strings.Count(got, "\n") != 3 {
		t.Errorf("read -c 3 -: exit %d, output %q", code, got)
	}
}

func TestReadFormats(t *testing.T) {
	file := filepath.Join(pcaps, "dns.pcap")
	code, out, _ := runCLI(t, "", "read", "--json", file, "udp")
	if code != 0 {
		t.Fatalf("--json: exit %d", code)
	}
	for i, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var obj struct{ Layers []map[string]any }
		if err := json.Unmarshal([]byte(line), &obj); err != nil || len(obj.Layers) != 4 || obj.Layers[3]["layer"] != "dns" {
			t.Fatalf("--json line %d: %v %s", i, err, line)
		}
	}
	code, out, _ = runCLI(t, "", "read", "-V", "-c", "1", filepath.Join(pcaps, "tcp.pcap"))
	if code != 0 || !strings.Contains(out, "\n  tcp\n    src_port: ") {
		t.Errorf("-V: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "", "read", "--as-expr", "-c", "2", filepath.Join(pcaps, "icmp.pcap"), "icmp")
	if code != 0 || strings.Count(out, "ether(") != 2 || !strings.Contains(out, "/icmp(") {
		t.Errorf("--as-expr: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "", "read", "-d", file, "udp port 53")
	if code != 0 || !strings.HasPrefix(out, "(000) ldh      [12]") {
		t.Errorf("-d: exit %d\n%s", code, out)
	}
}

// TestReadAsExprRebuilds: the expression --as-expr prints makes the same
// bytes again.
func TestReadAsExprRebuilds(t *testing.T) {
	code, out, stderr := runCLI(t, "", "read", "--as-expr", "-c", "1", filepath.Join(pcaps, "udp.pcap"), "udp")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	expr := strings.TrimSpace(out)
	dir := t.TempDir()
	code, _, stderr = runCLI(t, "", "send", "--dry-run", "-w", filepath.Join(dir, "again.pcap"), expr)
	if code != 0 {
		t.Skipf("send --dry-run -w is not available here (exit %d: %s)", code, stderr)
	}
	_, a, _ := runCLI(t, "", "read", "-x", "-t", "-c", "1", filepath.Join(pcaps, "udp.pcap"), "udp")
	_, b, _ := runCLI(t, "", "read", "-x", "-t", filepath.Join(dir, "again.pcap"))
	if a != b {
		t.Errorf("the expression does not rebuild the packet:\n%s\n%s", a, b)
	}
}

func TestReadUsage(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"read"}, 2, "rawsock: read: missing FILE"},
		{[]string{"read", filepath.Join(pcaps, "icmp.pcap"), "port", "99999"}, 2, "rawsock: read: filter: "},
		{[]string{"read", "/nonexistent/x.pcap"}, 1, "rawsock: read: open /nonexistent/x.pcap: no such file or directory"},
		{[]string{"read", "--json", "-V", filepath.Join(pcaps, "icmp.pcap")}, 2, "rawsock: read: choose one of --json, -V and --as-expr"},
	}
	for _, tt := range tests {
		code, _, stderr := runCLI(t, "", tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.want) || strings.Count(stderr, "rawsock:") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tt.args, code, stderr, tt.code, tt.want)
		}
	}
}
