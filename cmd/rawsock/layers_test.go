package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestLayersCommand(t *testing.T) {
	code, out, errs := runCLI(t, "", "layers")
	if code != 0 || errs != "" {
		t.Fatalf("layers: status %d, stderr %q", code, errs)
	}
	for _, name := range []string{"ether", "ip", "ip6", "icmp", "icmp6", "igmp", "tcp", "udp", "raw"} {
		if !strings.Contains(out, "\n"+name+" ") && !strings.HasPrefix(out, name+" ") {
			t.Errorf("layers does not list %s:\n%s", name, out)
		}
	}

	code, out, _ = runCLI(t, "", "layers", "ip")
	if code != 0 || !strings.Contains(out, "ttl") || !strings.Contains(out, "64 (igmp: 1)") || !strings.Contains(out, "DEFAULT") {
		t.Errorf("layers ip: status %d:\n%s", code, out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasSuffix(line, " ") {
			t.Errorf("layers ip: line ends in spaces: %q", line)
		}
	}

	code, _, errs = runCLI(t, "", "layers", "icpm")
	if code != 2 || errs != "rawsock: layers: unknown layer \"icpm\": did you mean \"icmp\"?\n" {
		t.Errorf("layers icpm: status %d, stderr %q", code, errs)
	}

	code, out, _ = runCLI(t, "", "layers", "--json")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 9 {
		t.Fatalf("layers --json: status %d, %d lines", code, len(lines))
	}
	for _, l := range lines {
		var v jsonLayer
		if err := json.Unmarshal([]byte(l), &v); err != nil || v.Name == "" || len(v.Fields) == 0 {
			t.Errorf("bad JSON line %q: %v", l, err)
		}
	}
}
