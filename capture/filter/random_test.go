package filter_test

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/rawsock/rawsock/capture/filter"
	"github.com/rawsock/rawsock/internal/netlab"
)

// exprGen writes random expressions from the whole grammar, with the
// addresses and ports of the fixtures so that they select something, and
// now and then a mistake.
type exprGen struct{ r *rand.Rand }

func (g exprGen) pick(words ...string) string { return words[g.r.Intn(len(words))] }

func (g exprGen) maybe(s string) string {
	if g.r.Intn(3) == 0 {
		return s + " "
	}
	return ""
}

func (g exprGen) port() string {
	return g.pick("80", "443", "53", "22", "7", "0", "1024", "33434", "65535", "8080", "0x50", "0120")
}

func (g exprGen) primitive() string {
	switch g.r.Intn(16) {
	case 0:
		return g.pick("ip", "ip6", "arp", "rarp", "tcp", "udp", "icmp", "icmp6", "igmp", "sctp")
	case 1:
		return g.maybe(g.pick("ip", "arp", "rarp")) + g.maybe(g.pick("src", "dst", "src or dst", "src and dst")) +
			"host " + g.pick("198.51.100.2", "203.0.113.2", "198.51.100.1", "192.0.2.7", "10.1.2.3", "198.51.100", "0.0.0.0")
	case 2:
		return g.maybe(g.pick("ip6", "src", "dst")) + "host " + g.pick("2001:db8:1::2", "2001:db8:2::2", "fe80::1", "ff02::1", "::1")
	case 3:
		return g.maybe(g.pick("src", "dst")) + "net " + g.pick("198.51.100.0/24", "203.0.113.0/25", "10.0.0.0/8",
			"2001:db8::/32", "2001:db8:1::/48", "198.51.100.0 mask 255.255.255.0", "0.0.0.0/0", "224.0.0.0/4")
	case 4:
		return g.maybe(g.pick("tcp", "udp", "sctp")) + g.maybe(g.pick("src", "dst", "src or dst", "src and dst")) + "port " + g.port()
	case 5:
		return g.maybe(g.pick("tcp", "udp")) + g.maybe(g.pick("src", "dst")) + "portrange " + g.pick("1-1023", "80-443", "33434-33534", "0-65535", "443-80")
	case 6:
		return "ether " + g.pick("src ", "dst ", "host ", "") + g.pick("02:00:00:00:00:01", "02:00:00:00:00:02", "ff:ff:ff:ff:ff:ff", "01:00:5e:00:00:16")
	case 7:
		return g.pick("ether broadcast", "ether multicast", "ip multicast", "ip6 multicast", "ip broadcast", "broadcast", "multicast")
	case 8:
		return g.pick("ip proto ", "ip6 proto ", "proto ") + g.pick("6", "17", "1", "58", "2", "132", "44", "\\tcp", "\\udp")
	case 9:
		return g.pick("less ", "greater ") + g.pick("60", "64", "100", "1000", "1500")
	case 10:
		return "vlan" + g.pick("", " 10", " 20", " 100")
	case 11:
		return "ether proto " + g.pick("0x800", "0x86dd", "0x806", "0x8100", "\\arp")
	default:
		return g.arith(2) + " " + g.pick("=", "!=", ">", "<", ">=", "<=", "==") + " " + g.arith(2)
	}
}

func (g exprGen) arith(depth int) string {
	if depth == 0 || g.r.Intn(3) == 0 {
		switch g.r.Intn(6) {
		case 0:
			return "len"
		case 1, 2:
			return g.pick("0", "1", "2", "5", "13", "0x12", "0xff", "64", "128", "1500", "tcp-syn", "icmp-echo", "tcpflags")
		default:
			idx := g.pick("0", "1", "2", "6", "8", "9", "12", "13", "16", "20", "40", "tcpflags", "icmptype")
			if depth > 0 && g.r.Intn(5) == 0 {
				idx = g.arith(depth - 1)
			}
			return g.pick("ether", "ip", "ip6", "tcp", "udp", "icmp", "icmp6", "igmp", "arp") + "[" + idx + g.pick("", ":1", ":2", ":4") + "]"
		}
	}
	switch g.r.Intn(8) {
	case 0:
		return "-" + g.arith(depth-1)
	case 1:
		return "(" + g.arith(depth-1) + ")"
	default:
		return g.arith(depth-1) + " " + g.pick("+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>") + " " + g.arith(depth-1)
	}
}

func (g exprGen) expr(depth int) string {
	if depth == 0 {
		return g.primitive()
	}
	switch g.r.Intn(9) {
	case 0:
		return g.pick("not ", "! ") + g.expr(depth-1)
	case 1:
		return "(" + g.expr(depth-1) + ")"
	case 2:
		// A bare value after and/or takes the qualifiers before it.
		return g.primitive() + " " + g.pick("or", "and") + " " + g.pick(g.port(), "198.51.100.2", "not 53", "(443 or 22)")
	case 3:
		return g.primitive()
	default:
		return g.expr(depth-1) + " " + g.pick("and", "or", "&&", "||") + " " + g.expr(depth-1)
	}
}

// mutate breaks an expression now and then: a token dropped, doubled or
// swapped for punctuation.
func (g exprGen) mutate(s string) string {
	words := strings.Fields(s)
	if len(words) < 2 || g.r.Intn(6) != 0 {
		return s
	}
	i := g.r.Intn(len(words))
	switch g.r.Intn(3) {
	case 0:
		words = append(words[:i], words[i+1:]...)
	case 1:
		words = append(words[:i+1], words[i:]...)
	default:
		words[i] = g.pick("(", ")", "[", "and", "=", "port", "-")
	}
	return strings.Join(words, " ")
}

// TestRandomExpressionsLikeTcpdump compiles random expressions with and
// without the optimizer and compares the programs with tcpdump's (or both
// must fail), then the packets the optimized ones select.
func TestRandomExpressionsLikeTcpdump(t *testing.T) {
	netlab.RequireTool(t, "tcpdump")
	fixes := fixtures(t)
	dir := t.TempDir()
	files := make([]string, len(fixes))
	for i, f := range fixes {
		files[i] = writeCapture(t, dir, f.name, f.link, f.packets)
	}
	g := exprGen{rand.New(rand.NewSource(4))}
	n := 250
	if testing.Short() {
		n = 50
	}
	compiled := 0
	for i := 0; i < n; i++ {
		f := i % len(fixes)
		expr := g.mutate(g.expr(g.r.Intn(4)))
		link := fixes[f].link
		agree := true
		for _, optimize := range []bool{false, true} {
			want, ok := tcpdumpCompile(t, expr, link, optimize)
			prog, err := filter.CompileOptions(expr, link, 0, &filter.Options{NoOptimize: !optimize})
			switch {
			case !ok && want == "expression rejects all packets":
				if err == nil && len(prog) != 1 {
					t.Errorf("%q on %s: tcpdump says it rejects every packet; rawsock: %d instructions", expr, fixes[f].name, len(prog))
				}
			case !ok:
				if err == nil {
					t.Errorf("%q on %s (optimize %v): tcpdump fails (%s), rawsock compiles it", expr, fixes[f].name, optimize, want)
				}
				agree = false
			case err != nil:
				// rawsock is stricter in places (docs/filters.md); say which.
				t.Logf("%q on %s: tcpdump compiles it, rawsock: %v", expr, fixes[f].name, err)
				agree = false
			default:
				if got := dumpString(t, prog, filter.Assembly); got != want {
					t.Errorf("%q on %s (optimize %v): got\n%swant\n%s", expr, fixes[f].name, optimize, got, want)
					agree = false
				}
			}
		}
		if agree {
			compiled++
			compareSelection(t, files[f], link, fixes[f].packets, expr)
		}
	}
	t.Logf("%d of %d random expressions compiled by both and compared", compiled, n)
	if compiled < n/2 {
		t.Errorf("only %d of %d random expressions compiled: the generator is off", compiled, n)
	}
}
