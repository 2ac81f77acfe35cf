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

func TestFormatFileCaps(t *testing.T) {
	tests := []struct {
		name string
		hex  []byte
		want string
	}{
		// setcap cap_net_raw,cap_net_admin+ep: revision 2, effective flag,
		// permitted bits 12 and 13.
		{"net raw+admin ep", []byte{0x01, 0, 0, 0x02, 0x00, 0x30, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "cap_net_admin,cap_net_raw=ep"},
		// setcap cap_net_raw+p, revision 3 (with a root id).
		{"net raw p v3", []byte{0x00, 0, 0, 0x03, 0x00, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "cap_net_raw=p"},
		// A high capability (cap_bpf, 39) lives in the second word.
		{"bpf", []byte{0x01, 0, 0, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0}, "cap_bpf=ep"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := formatFileCaps(tt.hex)
			if err != nil || got != tt.want {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if _, err := formatFileCaps([]byte{1, 2, 3}); err == nil {
		t.Error("a 3-byte attribute decoded without error")
	}
}

func TestReadCapEffAndRange(t *testing.T) {
	dir := t.TempDir()
	status := filepath.Join(dir, "status")
	os.WriteFile(status, []byte("Name:\trawsock\nCapInh:\t0000000000000000\nCapEff:\t0000000000003000\n"), 0o644)
	eff, err := readCapEff(status)
	if err != nil || eff != 0x3000 {
		t.Fatalf("got %#x, %v; want 0x3000", eff, err)
	}
	if got := strings.Join(capList(eff), ","); got != "cap_net_admin,cap_net_raw" {
		t.Errorf("got %q", got)
	}
	rangeFile := filepath.Join(dir, "range")
	os.WriteFile(rangeFile, []byte("1\t0\n"), 0o644)
	r, err := readPingGroupRange(rangeFile)
	if err != nil || r != [2]int64{1, 0} {
		t.Fatalf("got %v, %v", r, err)
	}
	if inGroupRange(r, []int{0, 1, 1000}) {
		t.Error(`range "1 0" admitted a group`)
	}
	if !inGroupRange([2]int64{100, 200}, []int{5, 150}) {
		t.Error(`range "100 200" refused group 150`)
	}
}

// The file capabilities doctor reports are the ones setcap(8) set and
// getcap(8) reads back.
func TestFileCapsAgainstGetcap(t *testing.T) {
	netlab.RequirePrivilege(t)
	setcap, getcap := netlab.RequireTool(t, "setcap"), netlab.RequireTool(t, "getcap")
	bin := publicCopy(t, netlab.Binary(t))
	if out, err := exec.Command(setcap, "cap_net_raw,cap_net_admin+ep", bin).CombinedOutput(); err != nil {
		t.Fatalf("setcap: %v: %s", err, out)
	}
	out, err := exec.Command(getcap, bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(out)), bin))
	got, err := fileCaps(bin)
	if err != nil || got != want {
		t.Errorf("got %q, %v; getcap says %q", got, err, want)
	}
}

// doctor run as nobody in a namespace of the test's own: what is missing,
// the exact fixes, and that the fixes work.
func TestDoctorUnprivileged(t *testing.T) {
	h := netlab.Loopback(t)
	setcap := netlab.RequireTool(t, "setcap")
	netlab.RequireTool(t, "setpriv")
	bin := publicCopy(t, netlab.Binary(t))
	nobody := func(args ...string) (report hostReport, code int) {
		t.Helper()
		cmd := h.Command("setpriv", append([]string{"--reuid=65534", "--regid=65534", "--clear-groups", bin, "doctor", "--json"}, args...)...)
		out, err := cmd.Output()
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(out, &report); err != nil {
			t.Fatalf("doctor --json: %v: %s", err, out)
		}
		return report, code
	}
	check := func(r hostReport, name string) hostCheck {
		for _, c := range r.Checks {
			if c.Name == name {
				return c
			}
		}
		t.Fatalf("no check %q in %+v", name, r.Checks)
		return hostCheck{}
	}

	h.Sysctl("net.ipv4.ping_group_range", "1 0")
	r, code := nobody()
	if code != 1 || r.OK {
		t.Errorf("without privilege: exit %d, ok %v; want 1, false", code, r.OK)
	}
	raw := check(r, "raw-ipv4")
	if raw.OK || !strings.Contains(raw.Fix, "setcap cap_net_raw,cap_net_admin+ep "+bin) {
		t.Errorf("raw-ipv4: got %+v, want missing with the setcap fix", raw)
	}
	icmp := check(r, "icmp-datagram")
	if icmp.OK || !icmp.Needed || icmp.Fix != `sudo sysctl -w net.ipv4.ping_group_range="65534 65534"` {
		t.Errorf("icmp-datagram: got %+v, want missing with the sysctl fix", icmp)
	}

	// The sysctl fix, applied, makes the ICMP datagram socket open.
	h.Sysctl("net.ipv4.ping_group_range", "65534 65534")
	if r, _ = nobody(); !check(r, "icmp-datagram").OK || !r.PingAllowed {
		t.Errorf("after the sysctl fix: %+v", check(r, "icmp-datagram"))
	}

	// The setcap fix, applied, makes everything open for nobody.
	if out, err := exec.Command(setcap, "cap_net_raw,cap_net_admin+ep", bin).CombinedOutput(); err != nil {
		t.Fatalf("setcap: %v: %s", err, out)
	}
	r, code = nobody()
	if code != 0 || !r.OK {
		t.Errorf("after setcap: exit %d, checks %+v", code, r.Checks)
	}
	if r.FileCaps != "cap_net_admin,cap_net_raw=ep" {
		t.Errorf("file capabilities: got %q", r.FileCaps)
	}
}

// publicCopy copies the binary where an unprivileged user can run it.
func publicCopy(t *testing.T, bin string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "rawsock-doctor-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "rawsock")
	if err := os.WriteFile(p, b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}
