package craft

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// TestFragmentIPv4 splits a 3000-byte echo request into three fragments,
// checks each with gopacket, and puts the payload back together.
func TestFragmentIPv4(t *testing.T) {
	pkt := rebuild(t, `ip(src=198.51.100.2, dst=203.0.113.2, id=77, options=[rr(1), ra])/icmp(id=1, seq=1)/raw(size=2972)`)
	frags, err := FragmentIPv4(pkt, 1480, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(frags) != 3 {
		t.Fatalf("got %d fragments, want 3", len(frags))
	}
	hl := int(pkt[0]&0x0f) * 4
	var joined []byte
	for i, f := range frags {
		p := gopacket.NewPacket(f, layers.LayerTypeIPv4, gopacket.Default)
		ip, _ := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		if ip == nil {
			t.Fatalf("fragment %d: %v", i, p)
		}
		if err, bad := ip.VerifyChecksum(); err != nil || !bad.Valid {
			t.Errorf("fragment %d: checksum wrong: %v %+v", i, err, bad)
		}
		wantMF := i < 2
		if mf := ip.Flags&layers.IPv4MoreFragments != 0; mf != wantMF || ip.Id != 77 {
			t.Errorf("fragment %d: MF %v id %d, want MF %v id 77", i, mf, ip.Id, wantMF)
		}
		if int(ip.FragOffset)*8 != len(joined) {
			t.Errorf("fragment %d: offset %d bytes, want %d", i, ip.FragOffset*8, len(joined))
		}
		// Record route stays in the first fragment only; router alert is copied.
		if n := len(ip.Options); (i == 0) != (n == 3) && !(i > 0 && n == 1) {
			t.Errorf("fragment %d has %d options", i, n)
		}
		joined = append(joined, ip.Payload...)
	}
	if !bytes.Equal(joined, pkt[hl:]) {
		t.Error("the fragments' payloads do not make the packet's")
	}
}

func TestFragmentOverlap(t *testing.T) {
	pkt := rebuild(t, `ip(src=198.51.100.2, dst=203.0.113.2, id=1)/raw(size=64)`)
	frags, err := FragmentIPv4(pkt, 24, 8)
	if err != nil {
		t.Fatal(err)
	}
	var offs []int
	for _, f := range frags {
		offs = append(offs, int(binary.BigEndian.Uint16(f[6:])&0x1fff)*8)
		if o := offs[len(offs)-1]; !bytes.Equal(f[20:], pkt[20+o:20+o+len(f)-20]) {
			t.Errorf("fragment at %d carries the wrong bytes", o)
		}
	}
	if want := []int{0, 16, 32, 48}; !equalInts(offs, want) {
		t.Errorf("offsets: got %v, want %v", offs, want)
	}
	for _, bad := range [][2]int{{4, 0}, {16, 16}} {
		if _, err := FragmentIPv4(pkt, bad[0], bad[1]); err == nil {
			t.Errorf("FragmentIPv4(size %d, overlap %d) succeeded", bad[0], bad[1])
		}
	}
	if f, _ := FragmentIPv4(pkt, 1480, 0); len(f) != 1 || !bytes.Equal(f[0], pkt) {
		t.Error("a packet that fits was changed")
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
