package csum

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"testing"
)

// reference is RFC 1071 written the slow, obvious way.
func reference(b []byte) uint16 {
	var s uint32
	for i := 0; i < len(b); i += 2 {
		w := uint32(b[i]) << 8
		if i+1 < len(b) {
			w |= uint32(b[i+1])
		}
		s += w
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}

func TestRFC1071Example(t *testing.T) {
	// RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2.
	b := []byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}
	if got, want := Checksum(b), ^uint16(0xddf2); got != want {
		t.Errorf("got %#04x, want %#04x", got, want)
	}
}

// An IPv4 header captured by tcpdump, with its checksum (0xb1e6) in place:
//
//	0x0000:  4500 0073 0000 4000 4011 b861 c0a8 0001
//	0x0010:  c0a8 00c7
func TestIPv4Header(t *testing.T) {
	h := []byte{0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61,
		0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7}
	if got := Checksum(h); got != 0 {
		t.Errorf("a correct header sums to %#04x, want 0", got)
	}
	binary.BigEndian.PutUint16(h[10:], 0)
	if got := Checksum(h); got != 0xb861 {
		t.Errorf("got %#04x, want 0xb861", got)
	}
}

func TestAgainstReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 300; n++ {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		if got, want := Checksum(b), reference(b); got != want {
			t.Fatalf("%d bytes: got %#04x, want %#04x", n, got, want)
		}
	}
}

// The pseudo-header sums equal those of the pseudo-headers written out.
func TestPseudo(t *testing.T) {
	seg := []byte("a UDP datagram's bytes, odd length")
	tests := []struct{ src, dst string }{
		{"198.51.100.1", "203.0.113.2"},
		{"::ffff:198.51.100.1", "::ffff:203.0.113.2"},
		{"2001:db8::1", "2001:db8::2"},
		{"", ""},
	}
	for _, tt := range tests {
		src, _ := netip.ParseAddr(tt.src)
		dst, _ := netip.ParseAddr(tt.dst)
		var ph []byte
		if src.Is4() {
			s, d := src.As4(), dst.As4()
			ph = append(append(ph, s[:]...), d[:]...)
			ph = append(ph, 0, 17, 0, byte(len(seg)))
		} else {
			s, d := src.As16(), dst.As16()
			ph = append(append(ph, s[:]...), d[:]...)
			ph = append(ph, 0, 0, 0, byte(len(seg)), 0, 0, 0, 17)
		}
		want := reference(append(ph, seg...))
		if got := Fold(Sum(seg, Pseudo(src, dst, 17, len(seg)))); got != want {
			t.Errorf("%s > %s: got %#04x, want %#04x", tt.src, tt.dst, got, want)
		}
	}
}

func FuzzUpdate(f *testing.F) {
	f.Add([]byte{0x45, 0, 0, 0x54, 0, 0, 0x40, 0, 0x40, 0x01, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1}, 8, []byte{0x3f, 0x01})
	f.Fuzz(func(t *testing.T, data []byte, at int, repl []byte) {
		if len(data) < 4 || len(repl) < 2 {
			return
		}
		at = (at & 0x7fffffff) % (len(data) - 1) &^ 1
		repl = repl[:2]
		if Checksum(data) != reference(data) {
			t.Fatalf("Checksum(%x) = %#04x, reference %#04x", data, Checksum(data), reference(data))
		}
		stored := Checksum(data)
		old := bytes.Clone(data[at : at+2])
		copy(data[at:], repl)
		got, want := Update(stored, old, repl), Checksum(data)
		// 0x0000 and 0xffff are the same one's-complement value.
		if got != want && !(got^want == 0xffff && (got == 0 || want == 0)) {
			t.Fatalf("Update: got %#04x, want %#04x", got, want)
		}
	})
}

func BenchmarkChecksum64(b *testing.B) {
	buf := make([]byte, 64)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		Checksum(buf)
	}
}

func BenchmarkChecksum1500(b *testing.B) {
	buf := make([]byte, 1500)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		Checksum(buf)
	}
}

// Mixed or missing addresses, as a packet crafted without a route can have,
// sum without panicking, each address by its own family.
func TestPseudoMixed(t *testing.T) {
	v4, v6 := netip.MustParseAddr("198.51.100.1"), netip.MustParseAddr("2001:db8::1")
	a, b := v4.As4(), v6.As16()
	want := Sum(b[:], Sum(a[:], 58+20))
	if got := Pseudo(v4, v6, 58, 20); got != want {
		t.Errorf("got %#x, want %#x", got, want)
	}
	if got := Pseudo(netip.Addr{}, netip.Addr{}, 6, 20); got != 26 {
		t.Errorf("invalid addresses: got %d, want 26", got)
	}
}
