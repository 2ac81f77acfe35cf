package replay

import (
	"bytes"
	"encoding/binary"
	"net"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

var ifMAC = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x99}

// gopacketIP returns the IP packet in a frame as gopacket decodes it, or
// nil when it finds none: an account of the frame independent of ours.
func gopacketIP(t *testing.T, lt layers.LinkType, data []byte) []byte {
	t.Helper()
	pkt := gopacket.NewPacket(data, lt, gopacket.DecodeOptions{NoCopy: true})
	for _, l := range pkt.Layers() {
		// Without copying, the layer's bytes are the frame's: where they
		// start in it, and the length the header gives, are the packet.
		off := cap(data) - cap(l.LayerContents())
		switch l := l.(type) {
		case *layers.IPv4:
			return data[off:min(len(data), off+int(l.Length))]
		case *layers.IPv6:
			return data[off:min(len(data), off+40+int(l.Length))]
		}
	}
	return nil
}

// TestFrameL3 checks, for every packet of captures of each link type, that
// L3 sends what gopacket finds to be the IP packet, and skips the rest.
func TestFrameL3(t *testing.T) {
	f := &framer{out: L3}
	for _, name := range []string{"icmp.pcap", "udp.pcap", "vlan.pcap", "lo.pcap", "null.pcap", "any.pcap", "any-sll.pcap", "raw.pcap", "ipv6.pcap"} {
		sent, skipped := 0, 0
		for i, p := range readPcap(t, name) {
			got, ok := f.frame(nil, p.lt, p.data)
			want := gopacketIP(t, p.lt, p.data)
			switch {
			case want == nil && ok:
				t.Errorf("%s #%d: sent %x, gopacket finds no IP in it", name, i+1, got)
			case want != nil && !ok:
				t.Errorf("%s #%d: skipped, gopacket finds IP %x", name, i+1, want)
			case ok && !bytes.HasPrefix(got, want):
				t.Errorf("%s #%d:\n got %x\nwant %x", name, i+1, got, want)
			}
			if ok {
				sent++
			} else {
				skipped++
			}
		}
		if sent == 0 {
			t.Errorf("%s: nothing sent", name)
		}
		t.Logf("%s: %d sent, %d skipped", name, sent, skipped)
	}
}

// TestFrameL2 re-frames cooked, loopback and raw-IP captures as Ethernet:
// a made header, then the payload as captured.
func TestFrameL2(t *testing.T) {
	f := &framer{out: L2, ifMAC: ifMAC}
	for _, tc := range []struct {
		name string
		off  int // link header length
	}{{"null.pcap", 4}, {"any.pcap", 20}, {"any-sll.pcap", 16}, {"raw.pcap", 0}} {
		for i, p := range readPcap(t, tc.name) {
			got, ok := f.frame(nil, p.lt, p.data)
			if !ok {
				t.Errorf("%s #%d: skipped", tc.name, i+1)
				continue
			}
			eth := gopacket.NewPacket(got, layers.LinkTypeEthernet, gopacket.Default).Layer(layers.LayerTypeEthernet)
			if eth == nil {
				t.Fatalf("%s #%d: not an Ethernet frame: %x", tc.name, i+1, got)
			}
			e := eth.(*layers.Ethernet)
			if !bytes.Equal(e.DstMAC, BroadcastMAC) || !bytes.Equal(e.SrcMAC, ifMAC) {
				t.Errorf("%s #%d: %v > %v, want %v > %v", tc.name, i+1, e.SrcMAC, e.DstMAC, ifMAC, BroadcastMAC)
			}
			if !bytes.Equal(e.Payload, p.data[tc.off:]) {
				t.Errorf("%s #%d: payload %x, want %x", tc.name, i+1, e.Payload, p.data[tc.off:])
			}
			if ip := gopacketIP(t, p.lt, p.data); ip != nil && !bytes.Equal(gopacketIP(t, layers.LinkTypeEthernet, got), ip) {
				t.Errorf("%s #%d: the IP packet changed", tc.name, i+1)
			}
		}
	}
}

// TestFrameNullIsLoopback: null.pcap is lo.pcap with BSD loopback headers,
// so with all-zero addresses its frames are lo.pcap's again.
func TestFrameNullIsLoopback(t *testing.T) {
	zero := net.HardwareAddr{0, 0, 0, 0, 0, 0}
	f := &framer{out: L2, src: zero, dst: zero}
	lo, null := readPcap(t, "lo.pcap"), readPcap(t, "null.pcap")
	if len(lo) != len(null) {
		t.Fatalf("%d and %d packets", len(lo), len(null))
	}
	for i := range lo {
		got, ok := f.frame(nil, null[i].lt, null[i].data)
		if !ok || !bytes.Equal(got, lo[i].data) {
			t.Errorf("#%d:\n got %x\nwant %x", i+1, got, lo[i].data)
		}
	}
}

func TestFrameMACs(t *testing.T) {
	eth := append(unhex(t, `0200 0000 0001 0200 0000 0002 0800`), ipPacket(1)...)
	dst, src := net.HardwareAddr{2, 0, 0, 0, 0xd, 0xd}, net.HardwareAddr{2, 0, 0, 0, 5, 5}
	for _, tc := range []struct {
		f    framer
		want string
	}{
		{framer{out: L2}, "020000000001 020000000002"},
		{framer{out: L2, dst: dst}, "020000000d0d 020000000002"},
		{framer{out: L2, src: src, dst: dst}, "020000000d0d 020000000505"},
	} {
		got, _ := tc.f.frame(nil, layers.LinkTypeEthernet, eth)
		if want := unhex(t, tc.want); !bytes.Equal(got[:12], want) || !bytes.Equal(got[12:], eth[12:]) {
			t.Errorf("got %x, want %x then the rest as it was", got, want)
		}
	}
}

// TestLinkHeaders covers the link headers the fixtures lack: DLT_NULL
// from a big-endian host, DLT_LOOP, other BSDs' AF_INET6, raw IPv4 and
// IPv6 link types, cooked frames of 802.2 and too short for their header.
func TestLinkHeaders(t *testing.T) {
	ip4 := ipPacket(1)
	ip6 := make([]byte, 48) // 8 bytes of payload
	ip6[0], ip6[5] = 0x60, 8
	be := func(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
	le := func(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
	cat := func(a, b []byte) []byte { return append(append([]byte(nil), a...), b...) }
	sll := func(proto uint16) []byte {
		h := unhex(t, `0000 0001 0006 0200 0000 0002 0000`)
		return binary.BigEndian.AppendUint16(h, proto)
	}
	for _, tc := range []struct {
		name string
		lt   layers.LinkType
		data []byte
		want []byte // the L3 packet, nil when skipped
	}{
		{"null le inet", layers.LinkTypeNull, cat(le(2), ip4), ip4},
		{"null be inet", layers.LinkTypeNull, cat(be(2), ip4), ip4},
		{"null be inet6 freebsd", layers.LinkTypeNull, cat(be(28), ip6), ip6},
		{"null le inet6 openbsd", layers.LinkTypeNull, cat(le(24), ip6), ip6},
		{"null le inet6 linux", layers.LinkTypeNull, cat(le(10), ip6), ip6},
		{"null ipx", layers.LinkTypeNull, cat(le(23), ip4), nil},
		{"null short", layers.LinkTypeNull, []byte{2, 0}, nil},
		{"loop inet", layers.LinkTypeLoop, cat(be(2), ip4), ip4},
		{"loop le is wrong", layers.LinkTypeLoop, cat(le(2), ip4), nil},
		{"ipv4", layers.LinkTypeIPv4, ip4, ip4},
		{"ipv6", layers.LinkTypeIPv6, ip6, ip6},
		{"raw 12", 12, ip6, ip6},
		{"raw not ip", layers.LinkTypeRaw, []byte{0x12, 0x34}, nil},
		{"raw empty", layers.LinkTypeRaw, nil, nil},
		{"sll ipv4", layers.LinkTypeLinuxSLL, cat(sll(0x0800), ip4), ip4},
		{"sll 802.2", layers.LinkTypeLinuxSLL, cat(sll(0x0004), ip4), nil},
		{"sll says ipv6, holds ipv4", layers.LinkTypeLinuxSLL, cat(sll(0x86dd), ip4), nil},
		{"sll short", layers.LinkTypeLinuxSLL, sll(0x0800)[:10], nil},
		{"ethernet vlan in vlan", layers.LinkTypeEthernet, cat(unhex(t, `0200 0000 0001 0200 0000 0002 88a8 0064 8100 00c8 0800`), ip4), ip4},
		{"ethernet vlan cut", layers.LinkTypeEthernet, unhex(t, `0200 0000 0001 0200 0000 0002 8100 00`), nil},
		{"ethernet padded", layers.LinkTypeEthernet, cat(cat(unhex(t, `0200 0000 0001 0200 0000 0002 0800`), ip4), make([]byte, 18)), ip4},
		{"ipv6 padded", layers.LinkTypeIPv6, cat(ip6, []byte{0, 0, 0}), ip6},
		{"ipv4 cut short", layers.LinkTypeRaw, ip4[:24], ip4[:24]},
		{"unknown link type", 147, ip4, nil},
	} {
		got, ok := (&framer{out: L3}).frame(nil, tc.lt, tc.data)
		if ok != (tc.want != nil) || !bytes.Equal(got, tc.want) {
			t.Errorf("%s: got %x (%v), want %x", tc.name, got, ok, tc.want)
		}
	}
	if Replayable(147) || !Replayable(layers.LinkTypeLinuxSLL2) {
		t.Errorf("Replayable is wrong")
	}
}

// TestFrameRewrites: the rewrite reaches the IP packet wherever the frame
// puts it.
func TestFrameRewrites(t *testing.T) {
	rw := &Rewrite{Dst: mustMap(t, "203.0.113.9")}
	for _, name := range []string{"vlan.pcap", "any.pcap", "null.pcap", "raw.pcap"} {
		for _, out := range []Output{L2, L3} {
			f := &framer{out: out, rw: rw, ifMAC: ifMAC}
			for i, p := range readPcap(t, name) {
				got, ok := f.frame(nil, p.lt, p.data)
				if !ok {
					continue
				}
				lt := layers.LinkTypeEthernet
				if out == L3 {
					lt = layers.LinkTypeRaw
				}
				ip := gopacketIP(t, lt, got)
				if ip == nil || ip[0]>>4 != 4 {
					continue
				}
				verify(t, name, ip)
				if dst := ip[16:20]; !bytes.Equal(dst, []byte{203, 0, 113, 9}) {
					t.Errorf("%s #%d %v: destination %v", name, i+1, out, net.IP(dst))
				}
			}
		}
	}
}
