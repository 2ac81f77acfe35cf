package craft

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/rawsock/rawsock/internal/netlab"
)

// noRoute is a Source for tests: every expression in them gives src, so
// a route lookup is a mistake in the test.
func noRoute(dst netip.Addr) (netip.Addr, error) {
	return netip.Addr{}, &Error{Msg: "test asked for a route to " + dst.String()}
}

// build makes every packet of expr with a fixed seed and no route lookup.
func build(t testing.TB, expr string) ([][]byte, []Stack) {
	t.Helper()
	tpl, err := Parse(expr)
	if err != nil {
		t.Fatalf("Parse(%q): %v", expr, err)
	}
	b, err := NewBuilder(tpl, &Options{Seed: 1, Source: noRoute})
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	var stacks []Stack
	for b.Next() {
		out = append(out, bytes.Clone(b.Bytes()))
		stacks = append(stacks, cloneStack(b.Layers()))
	}
	if err := b.Err(); err != nil {
		t.Fatalf("build %q: %v", expr, err)
	}
	return out, stacks
}

// scapy builds each scapy expression with Debian's Python and returns the
// bytes. It skips the test when scapy is missing, or fails it under
// RAWSOCK_REQUIRE_PRIV=1 as netlab's helpers do.
func scapy(t *testing.T, exprs []string) [][]byte {
	t.Helper()
	py := netlab.Python(t)
	const script = `
import json, sys
from scapy.all import *
from scapy.contrib.igmp import IGMP
from scapy.contrib.igmpv3 import IGMPv3, IGMPv3mq, IGMPv3mr, IGMPv3gr
for e in json.load(sys.stdin):
    try:
        print(bytes(eval(e)).hex())
    except Exception as x:
        print("ERR", repr(x).replace("\n", " "))
`
	in, _ := json.Marshal(exprs)
	cmd := exec.Command(py, "-c", script)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		why := "needs scapy (Debian's python3-scapy): " + strings.TrimSpace(stderr.String())
		if os.Getenv("RAWSOCK_REQUIRE_PRIV") == "1" {
			t.Fatalf("%s (RAWSOCK_REQUIRE_PRIV=1 turns this skip into a failure)", why)
		}
		t.Skip(why)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(exprs) {
		t.Fatalf("scapy printed %d lines for %d expressions:\n%s", len(lines), len(exprs), out)
	}
	res := make([][]byte, len(lines))
	for i, l := range lines {
		b, err := hex.DecodeString(l)
		if err != nil {
			t.Fatalf("scapy: %s: %s", exprs[i], l)
		}
		res[i] = b
	}
	return res
}

// mustHex decodes a hex literal written with spaces and line breaks.
func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
