package replay

import (
	"bytes"
	"testing"

	"github.com/gopacket/gopacket/layers"
)

// FuzzRewrite rewrites any bytes as an IP packet, checksums fixed: no
// panic, no change of length, and checksums that a second pass finds right.
func FuzzRewrite(f *testing.F) {
	for _, name := range []string{"tcp.pcap", "udp.pcap", "ipv6.pcap", "icmp.pcap", "igmp.pcap"} {
		for _, p := range readPcap(f, name) {
			if ip := ipOf(p.data); ip != nil {
				f.Add(ip, "198.51.100.0/24=192.0.2.0/24", "2001:db8::/32=2001:db8:ff::/48", "+1")
			}
		}
	}
	f.Add([]byte{0x45}, "10.0.0.1", "", "-1")
	f.Fuzz(func(t *testing.T, p []byte, src, dst, ttl string) {
		rw := &Rewrite{FixChecksums: true}
		rw.Src, _ = ParseAddrMap(src)
		rw.Dst, _ = ParseAddrMap(dst)
		rw.TTL, _ = ParseTTL(ttl)
		q := append([]byte(nil), p...)
		rw.Packet(q)
		if len(q) != len(p) {
			t.Fatalf("length %d became %d", len(p), len(q))
		}
		r := append([]byte(nil), q...)
		if (&Rewrite{FixChecksums: true}).Packet(r) {
			t.Fatalf("checksums still to fix after a rewrite:\n%x\n%x", q, r)
		}
	})
}

// FuzzFrame re-frames any bytes of every link type: no panic, an IP
// packet of the version its header says for L3, an Ethernet frame for L2.
func FuzzFrame(f *testing.F) {
	for _, name := range []string{"any.pcap", "any-sll.pcap", "null.pcap", "raw.pcap", "vlan.pcap"} {
		for _, p := range readPcap(f, name) {
			f.Add(uint16(p.lt), p.data)
		}
	}
	rw := &Rewrite{Src: AddrMap{{From: mustPrefix("0.0.0.0/0"), To: mustPrefix("192.0.2.1/32")}}, TTL: TTL{Op: '-', N: 1}}
	f.Fuzz(func(t *testing.T, lt uint16, data []byte) {
		for _, out := range []Output{L2, L3} {
			fr := &framer{out: out, ifMAC: ifMAC, rw: rw}
			got, ok := fr.frame(nil, layers.LinkType(lt), data)
			switch {
			case !ok && len(got) != 0:
				t.Fatalf("%v: skipped, but wrote %x", out, got)
			case ok && out == L3 && (len(got) == 0 || got[0]>>4 != 4 && got[0]>>4 != 6):
				t.Fatalf("L3: not IP: %x", got)
			case ok && out == L2 && len(got) < 14:
				t.Fatalf("L2: no Ethernet header: %x", got)
			case ok && out == L2 && layers.LinkType(lt) != layers.LinkTypeEthernet && !bytes.Equal(got[:6], BroadcastMAC):
				t.Fatalf("L2: made header %x", got[:14])
			}
		}
	})
}

// FuzzParseAddrMap parses any rules: no panic, and what parses prints back
// as rules that parse to the same map.
func FuzzParseAddrMap(f *testing.F) {
	for _, s := range []string{"203.0.113.2", "198.51.100.0/24=203.0.113.0/24,2001:db8::/32=2001:db8:1::/48", "10.0.0.0/8=1.2.3.4", "::=::1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		m, err := ParseAddrMap(spec)
		if err != nil {
			return
		}
		again, err := ParseAddrMap(m.String())
		if err != nil || again.String() != m.String() || len(again) != len(m) {
			t.Fatalf("%q printed as %q, which parses as %v (%v)", spec, m.String(), again, err)
		}
		for i := range m {
			if m[i] != again[i] {
				t.Fatalf("%q: rule %d is %v, then %v", spec, i, m[i], again[i])
			}
		}
	})
}
