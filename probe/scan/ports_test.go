package scan

import (
	"os"
	"strings"
	"testing"
)

func TestParsePorts(t *testing.T) {
	tests := []struct {
		spec    string
		want    []uint16
		wantErr string
	}{
		{"22", []uint16{22}, ""},
		{"22,80,443", []uint16{22, 80, 443}, ""},
		{"80,22,80", []uint16{80, 22}, ""},
		{"8000-8003", []uint16{8000, 8001, 8002, 8003}, ""},
		{" 22 , 25-26 ", []uint16{22, 25, 26}, ""},
		{"65533-", []uint16{65533, 65534, 65535}, ""},
		{"-3", []uint16{1, 2, 3}, ""},
		{"1-1", []uint16{1}, ""},
		{"", nil, "no ports given"},
		{"90-80", nil, `reversed port range "90-80": write it low to high, 80-90`},
		{"0", nil, "port 0 out of range"},
		{"65536", nil, "port 65536 out of range"},
		{"0-10", nil, "port 0 out of range"},
		{"22,,80", nil, "empty item"},
		{"ssh", nil, `bad port "ssh"`},
		{"+22", nil, `bad port "+22"`},
		{"1-2-3", nil, `bad port "2-3"`},
		{"99999999999999999999", nil, "bad port"},
	}
	for _, tt := range tests {
		got, err := ParsePorts(tt.spec)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: got %v, %v; want error containing %q", tt.spec, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !equalPorts(got, tt.want) {
			t.Errorf("%q: got %v, %v; want %v", tt.spec, got, err, tt.want)
		}
	}
	all, err := ParsePorts("-")
	if err != nil || len(all) != 65535 || all[0] != 1 || all[65534] != 65535 {
		t.Errorf(`"-": got %d ports, %v; want 1-65535`, len(all), err)
	}
}

const nmapServicesSample = `# Fields in this file are: Service name, portnum/protocol, open-frequency, optional comments
#
tcpmux	1/tcp	0.001995	# TCP Port Service Multiplexer
tcpmux	1/udp	0.001236
echo	7/tcp	0.004855
echo	7/udp	0.024679
ssh	22/tcp	0.182286	# Secure Shell Login
telnet	23/tcp	0.221265
domain	53/udp	0.213496
http	80/tcp	0.484143	# World Wide Web HTTP
unknown	81/tcp	0.004855
`

func TestRankNmapServices(t *testing.T) {
	got, err := RankNmapServices(strings.NewReader(nmapServicesSample), "tcp")
	// 7 and 81 are equally frequent: the file's order stands.
	if want := []uint16{80, 23, 22, 7, 81, 1}; err != nil || !equalPorts(got, want) {
		t.Errorf("tcp: got %v, %v; want %v", got, err, want)
	}
	got, err = RankNmapServices(strings.NewReader(nmapServicesSample), "udp")
	if want := []uint16{53, 7, 1}; err != nil || !equalPorts(got, want) {
		t.Errorf("udp: got %v, %v; want %v", got, err, want)
	}
	if _, err := RankNmapServices(strings.NewReader("http 80/tcp often\n"), "tcp"); err == nil {
		t.Error("a frequency that is no number: got no error")
	}
}

func TestTopPorts(t *testing.T) {
	for _, proto := range []string{"tcp", "udp"} {
		for _, n := range []int{1, 10, 1000, 65535} {
			ports, source := TopPorts(n, proto)
			if len(ports) != n {
				t.Errorf("%s top %d (%s): got %d ports", proto, n, source, len(ports))
			}
			seen := map[uint16]bool{}
			for _, p := range ports {
				if p == 0 || seen[p] {
					t.Fatalf("%s top %d (%s): port %d is zero or repeated", proto, n, source, p)
				}
				seen[p] = true
			}
		}
	}
	if _, err := os.Stat(NmapServices); err == nil {
		if ports, source := TopPorts(3, "tcp"); source != "nmap-services" || !equalPorts(ports, []uint16{80, 23, 443}) {
			t.Errorf("with nmap installed: got %v from %s, want nmap's top three, 80 23 443", ports, source)
		}
	}
	if got := builtinTop(3, "tcp"); !equalPorts(got, []uint16{80, 443, 22}) {
		t.Errorf("built-in top 3: got %v", got)
	}
	if got := builtinTop(len(topUDP)+2, "udp"); got[len(got)-2] != 1 || got[len(got)-1] != 2 {
		t.Errorf("built-in UDP list does not go on with the lowest ports: ends %v", got[len(got)-2:])
	}
}

func TestServices(t *testing.T) {
	s, err := ParseServices(strings.NewReader(`# services(5)
ssh		22/tcp				# SSH Remote Login Protocol
domain		53/tcp
domain		53/udp
http		80/tcp		www		# WorldWideWeb HTTP
www-alt		80/tcp
broken		http/tcp
short
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		port  uint16
		proto string
		want  string
	}{{22, "tcp", "ssh"}, {22, "udp", ""}, {53, "udp", "domain"}, {80, "tcp", "http"}, {81, "tcp", ""}} {
		if got := s.Name(tt.port, tt.proto); got != tt.want {
			t.Errorf("%d/%s: got %q, want %q", tt.port, tt.proto, got, tt.want)
		}
	}
	if got := (*Services)(nil).Name(22, "tcp"); got != "" {
		t.Errorf("nil Services: got %q", got)
	}
	if s, err := LoadServices("testdata/no-such-file"); err != nil || s.Name(22, "tcp") != "" {
		t.Errorf("missing file: got %v, %v; want an empty table", s, err)
	}
}

func TestLookupHosts(t *testing.T) {
	const hosts = `127.0.0.1	localhost
::1		localhost ip6-localhost
203.0.113.2	target.lab target	# the lab's server
2001:db8:2::2	target.lab
fe80::1%eth0	scoped
bogus		nothing
`
	got := LookupHosts(strings.NewReader(hosts), "TARGET.lab")
	if len(got) != 2 || got[0].String() != "203.0.113.2" || got[1].String() != "2001:db8:2::2" {
		t.Errorf("got %v", got)
	}
	if got := LookupHosts(strings.NewReader(hosts), "scoped"); len(got) != 0 {
		t.Errorf("scoped: got %v, want nothing", got)
	}
}

func TestResolve(t *testing.T) {
	tests := []struct {
		host    string
		family  int
		want    string
		wantErr string
	}{
		{"203.0.113.2", 0, "203.0.113.2", ""},
		{"2001:db8::2", 0, "2001:db8::2", ""},
		{"::ffff:203.0.113.2", 0, "203.0.113.2", ""},
		{"203.0.113.2", 6, "", "not an IPv6 address"},
		{"fe80::1%eth0", 0, "", "scoped"},
		{"no-such-host.invalid", 0, "", `unknown host "no-such-host.invalid"`},
	}
	if _, err := os.Stat(HostsFile); err == nil && len(LookupHosts(mustOpen(t, HostsFile), "localhost")) > 0 {
		tests = append(tests, struct {
			host    string
			family  int
			want    string
			wantErr string
		}{"localhost", 4, "127.0.0.1", ""})
	}
	for _, tt := range tests {
		got, err := Resolve(tt.host, tt.family)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: got %v, %v; want error containing %q", tt.host, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got.String() != tt.want {
			t.Errorf("%s: got %v, %v; want %s", tt.host, got, err, tt.want)
		}
	}
}

func mustOpen(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}
