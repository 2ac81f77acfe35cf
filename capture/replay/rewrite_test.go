package replay

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rawsock/rawsock/capture"
	"github.com/rawsock/rawsock/craft"
	"github.com/rawsock/rawsock/internal/netlab"
)

func TestParseAddrMap(t *testing.T) {
	for _, tc := range []struct {
		spec   string
		string string
		maps   map[string]string // address → what it becomes ("" for no rule)
	}{
		{"203.0.113.2", "203.0.113.2", map[string]string{"198.51.100.7": "203.0.113.2", "2001:db8::1": ""}},
		{"198.51.100.2=203.0.113.2", "198.51.100.2=203.0.113.2", map[string]string{"198.51.100.2": "203.0.113.2", "198.51.100.3": ""}},
		{"198.51.100.0/24=203.0.113.0/24", "198.51.100.0/24=203.0.113.0/24",
			map[string]string{"198.51.100.7": "203.0.113.7", "198.51.101.7": ""}},
		{"10.0.0.0/8=192.168.0.0/16", "10.0.0.0/8=192.168.0.0/16", map[string]string{"10.1.2.3": "192.168.2.3"}},
		{"10.0.0.0/8=203.0.113.7", "10.0.0.0/8=203.0.113.7", map[string]string{"10.1.2.3": "203.0.113.7"}},
		{"2001:db8:1::/64=2001:db8:2::/64, 2001:db8::2", "2001:db8:1::/64=2001:db8:2::/64,2001:db8::2",
			map[string]string{"2001:db8:1::ff:fe00:2": "2001:db8:2::ff:fe00:2", "fe80::1": "2001:db8::2", "192.0.2.1": ""}},
		{"2001:db8::/36=2001:db8:f000::/36", "2001:db8::/36=2001:db8:f000::/36", map[string]string{"2001:db8:abc::1": "2001:db8:fabc::1"}},
		{"198.51.100.1=192.0.2.1,198.51.100.0/24=192.0.2.0/24", "198.51.100.1=192.0.2.1,198.51.100.0/24=192.0.2.0/24",
			map[string]string{"198.51.100.1": "192.0.2.1", "198.51.100.9": "192.0.2.9"}},
	} {
		m, err := ParseAddrMap(tc.spec)
		if err != nil {
			t.Errorf("ParseAddrMap(%q): %v", tc.spec, err)
			continue
		}
		if got := m.String(); got != tc.string {
			t.Errorf("ParseAddrMap(%q).String() = %q, want %q", tc.spec, got, tc.string)
		}
		for in, want := range tc.maps {
			got, ok := m.Map(netip.MustParseAddr(in))
			if want == "" && ok || want != "" && got.String() != want {
				t.Errorf("%q maps %s to %v (%v), want %q", tc.spec, in, got, ok, want)
			}
		}
	}
	for _, spec := range []string{"", "x", "198.51.100.1=", "=198.51.100.1", "198.51.100.1=2001:db8::1", "198.51.100.1/24=192.0.2.0/24",
		"198.51.100.0/33=192.0.2.0/24", "fe80::1%eth0", "198.51.100.1,,192.0.2.1", "1.2.3.4=5.6.7.8=9.9.9.9"} {
		if _, err := ParseAddrMap(spec); err == nil {
			t.Errorf("ParseAddrMap(%q): no error", spec)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseAddrMap(%q): %q is not one line", spec, err)
		}
	}
}

func TestParseTTL(t *testing.T) {
	for _, tc := range []struct {
		spec     string
		in, want uint8
	}{
		{"64", 1, 64}, {"0", 9, 0}, {"+1", 63, 64}, {"+10", 250, 255}, {"-1", 64, 63}, {"-5", 3, 1}, {"-0", 7, 7},
	} {
		ttl, err := ParseTTL(tc.spec)
		if err != nil {
			t.Errorf("ParseTTL(%q): %v", tc.spec, err)
			continue
		}
		if got := ttl.Apply(tc.in); got != tc.want {
			t.Errorf("ParseTTL(%q).Apply(%d) = %d, want %d", tc.spec, tc.in, got, tc.want)
		}
		if ttl.String() != tc.spec {
			t.Errorf("ParseTTL(%q).String() = %q", tc.spec, ttl)
		}
	}
	for _, spec := range []string{"", "+", "-", "256", "+-1", "1.5", "ten", "++1", " 1"} {
		if _, err := ParseTTL(spec); err == nil {
			t.Errorf("ParseTTL(%q): no error", spec)
		}
	}
}

// verify checks every checksum of the IP packet p as the receiver would,
// with craft.Checksum (code other than the rewriter's): the IPv4 header's,
// and the upper layer's with its pseudo-header when the packet is whole.
func verify(t *testing.T, what string, p []byte) {
	t.Helper()
	var src, dst []byte
	var proto byte
	var seg []byte
	switch p[0] >> 4 {
	case 4:
		ihl := int(p[0]&15) * 4
		if craft.Checksum(p[:ihl]) != 0 {
			t.Errorf("%s: bad IPv4 header checksum %#04x", what, binary.BigEndian.Uint16(p[10:]))
		}
		total := int(binary.BigEndian.Uint16(p[2:]))
		if binary.BigEndian.Uint16(p[6:])&0x3fff != 0 || len(p) < total {
			return
		}
		src, dst, proto, seg = p[12:16], p[16:20], p[9], p[ihl:total]
	case 6:
		total := 40 + int(binary.BigEndian.Uint16(p[4:]))
		off, nh, final, frag, ok := walkIPv6(p[:min(total, len(p))])
		if !ok || frag || len(p) < total {
			return
		}
		src, dst, proto, seg = p[8:24], p[24:40], nh, p[off:total]
		if final >= 0 {
			dst = p[final : final+16]
		}
	}
	var pseudo []byte
	switch proto {
	case protoTCP, protoUDP, protoICMPv6:
		if proto == protoUDP && len(src) == 4 && binary.BigEndian.Uint16(seg[6:]) == 0 {
			return
		}
		pseudo = append(append(append([]byte{}, src...), dst...), 0, proto)
		pseudo = binary.BigEndian.AppendUint16(pseudo, uint16(len(seg)))
	case protoICMP, protoIGMP:
		if len(src) == 16 {
			return
		}
	default:
		return
	}
	if c := craft.Checksum(append(pseudo, seg...)); c != 0 {
		t.Errorf("%s: bad protocol %d checksum (off by %#04x)", what, proto, c)
	}
}

// ipOf returns the IP packet in an Ethernet frame, or nil.
func ipOf(frame []byte) []byte {
	et, off := innerIP(frame, binary.BigEndian.Uint16(frame[12:]), 14)
	if (et == etherIPv4 || et == etherIPv6) && isIP(et, frame[off:]) {
		return frame[off:]
	}
	return nil
}

// fixtures are the Ethernet captures the rewriting tests go through.
var fixtures = []string{"icmp.pcap", "tcp.pcap", "udp.pcap", "ipv6.pcap", "dns.pcap", "igmp.pcap", "ipopts.pcap", "vlan.pcap", "lo.pcap"}

// TestRewriteChecksums rewrites every packet of the fixtures (whose
// outgoing TCP and UDP packets carry the checksums the network card was to
// finish) and checks every checksum of the result.
func TestRewriteChecksums(t *testing.T) {
	rw := &Rewrite{
		Src: mustMap(t, "198.51.100.0/24=192.0.2.0/24,2001:db8:1::/48=2001:db8:ff::/48,127.0.0.1=127.9.9.9"),
		Dst: mustMap(t, "203.0.113.2,2001:db8:2::/64=2001:db8:99::/64"),
		TTL: TTL{Op: '-', N: 1},
	}
	n := 0
	for _, name := range fixtures {
		for i, p := range readPcap(t, name) {
			ip := ipOf(p.data)
			if ip == nil {
				continue
			}
			if !rw.Packet(ip) {
				continue // from :: to a group with a hop limit of 1, say
			}
			verify(t, fmt.Sprintf("%s #%d", name, i+1), ip)
			n++
		}
	}
	if n < 150 {
		t.Errorf("only %d packets rewritten", n)
	}
}

func mustMap(t *testing.T, spec string) AddrMap {
	t.Helper()
	m, err := ParseAddrMap(spec)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestRewriteFields checks what changes in one packet, field by field.
func TestRewriteFields(t *testing.T) {
	// 198.51.100.2.54729 > 203.0.113.2.7777: UDP, length 13 (udp.pcap #2)
	p := unhex(t, `4500 0029 8a3b 4000 4011 75f4 c633 6402 cb00 7102 d5c9 1e61 0015 ea64 6865 6c6c 6f20 6f76 6572 2076 34`)
	rw := &Rewrite{Src: mustMap(t, "192.0.2.77"), Dst: mustMap(t, "203.0.113.2=203.0.113.99"), TTL: TTL{Op: '=', N: 9}}
	q := append([]byte(nil), p...)
	if !rw.Packet(q) {
		t.Fatal("nothing changed")
	}
	for i := range q {
		switch {
		case i == 8: // TTL
			if q[i] != 9 {
				t.Errorf("TTL %d, want 9", q[i])
			}
		case i == 10 || i == 11 || i == 26 || i == 27: // checksums
		case i >= 12 && i < 20:
			if want := []byte{192, 0, 2, 77, 203, 0, 113, 99}[i-12]; q[i] != want {
				t.Errorf("address byte %d: %d, want %d", i, q[i], want)
			}
		case q[i] != p[i]:
			t.Errorf("byte %d changed: %#02x, was %#02x", i, q[i], p[i])
		}
	}
	verify(t, "udp", q)

	// Nothing to do: the packet is left as it was, bad checksum and all.
	q = append([]byte(nil), p...)
	if (&Rewrite{Dst: mustMap(t, "192.0.2.1=192.0.2.2")}).Packet(q) || !bytes.Equal(p, q) {
		t.Errorf("a rule that matches nothing changed the packet")
	}
	// FixChecksums alone fixes what the card was to fill in.
	if !(&Rewrite{FixChecksums: true}).Packet(q) {
		t.Errorf("FixChecksums changed nothing in a packet with a bad UDP checksum")
	}
	verify(t, "fixed", q)
	if (&Rewrite{FixChecksums: true}).Packet(q) {
		t.Errorf("FixChecksums changed a packet whose checksums were right")
	}
}

// TestRewriteCutShort: a packet cut short by the capture, and the first
// fragment of a datagram, get their upper-layer checksum adjusted for the
// addresses changed, which gives what recomputing it over the whole
// datagram gives.
func TestRewriteCutShort(t *testing.T) {
	rw := &Rewrite{Src: mustMap(t, "198.51.100.0/24=192.0.2.0/24"), Dst: mustMap(t, "2001:db8:2::2=2001:db8:5::5,203.0.113.2=203.0.113.50")}
	pkts, err := craft.Packets(`ip(src=198.51.100.2, dst=203.0.113.2)/udp(sport=4000, dport=5000)/raw(size=600)`, nil)
	if err != nil {
		t.Fatal(err)
	}
	pkts6, err := craft.Packets(`ip6(src=2001:db8:1::2, dst=2001:db8:2::2)/tcp(sport=4000, dport=5000, flags=PA)/raw(size=600)`, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, whole := range [][]byte{pkts[0], pkts6[0]} {
		want := append([]byte(nil), whole...)
		rw.Packet(want)
		verify(t, "whole", want)
		cut := append([]byte(nil), whole[:100]...)
		rw.Packet(cut)
		if !bytes.Equal(cut, want[:100]) {
			t.Errorf("cut short:\n got %x\nwant %x", cut, want[:100])
		}
	}
	frags, err := craft.FragmentIPv4(pkts[0], 256, 0)
	if err != nil {
		t.Fatal(err)
	}
	rewritten := append([]byte(nil), pkts[0]...)
	rw.Packet(rewritten)
	for i, f := range frags {
		f = append([]byte(nil), f...)
		rw.Packet(f)
		verify(t, fmt.Sprintf("fragment %d", i), f) // the IPv4 header
		if i == 0 && !bytes.Equal(f[20:28], rewritten[20:28]) {
			t.Errorf("first fragment's UDP header %x, want %x", f[20:28], rewritten[20:28])
		}
	}
}

// TestRewriteLikeTcprewrite rewrites the fixtures as tcprewrite does with
// the same pseudo-NAT maps, TTL and --fixcsum, and compares every byte.
func TestRewriteLikeTcprewrite(t *testing.T) {
	tcprewrite := netlab.RequireTool(t, "tcprewrite") // Debian's tcpreplay package
	dir := t.TempDir()
	rw := &Rewrite{
		Src:          mustMap(t, "198.51.100.0/24=192.0.2.0/24"),
		Dst:          mustMap(t, "203.0.113.0/24=10.9.8.0/24"),
		TTL:          TTL{Op: '+', N: 3},
		FixChecksums: true,
	}
	for _, name := range []string{"tcp.pcap", "udp.pcap", "icmp.pcap", "dns.pcap", "lo.pcap"} {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(dir, name)
			// (tcprewrite 4.4's IPv6 maps also rewrite Ethernet addresses,
			// so the maps here are IPv4 only; --ttl reaches IPv6 too.)
			cmd := exec.Command(tcprewrite, "--srcipmap=198.51.100.0/24:192.0.2.0/24",
				"--dstipmap=203.0.113.0/24:10.9.8.0/24", "--ttl=+3", "--fixcsum",
				"-i", filepath.Join("..", "..", "pcaps", name), "-o", out)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("tcprewrite: %v: %s", err, b)
			}
			theirs := readFile(t, out)
			ours := readPcap(t, name)
			if len(theirs) != len(ours) {
				t.Fatalf("tcprewrite wrote %d packets, the fixture has %d", len(theirs), len(ours))
			}
			compared := 0
			for i, p := range ours {
				ip := ipOf(p.data)
				if ip == nil {
					continue
				}
				compared++
				rw.Packet(ip)
				// The IP packets only: tcprewrite 4.4 also overwrites the
				// Ethernet addresses of IPv6 frames when it changes them.
				if theirs := ipOf(theirs[i]); !bytes.Equal(ip, theirs) {
					t.Errorf("#%d differs:\nrawsock    %x\ntcprewrite %x", i+1, ip, theirs)
				}
			}
			if compared < len(ours)/2 {
				t.Errorf("only %d of %d packets compared", compared, len(ours))
			}
			t.Logf("%d packets compared", compared)
		})
	}
}

// readFile returns the frames of any capture file.
func readFile(t *testing.T, name string) [][]byte {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := capture.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for {
		data, _, err := r.ReadPacket()
		if err != nil {
			return out
		}
		out = append(out, append([]byte(nil), data...))
	}
}
