package probe

import (
	"math/rand/v2"
	"testing"
)

// checksumWords is the Internet checksum as RFC 1071 states it: the
// one's-complement sum of 16-bit big-endian words, an odd last byte
// padded with zero.
func checksumWords(b []byte) uint16 {
	var sum uint32
	for i := 0; i < len(b); i += 2 {
		w := uint32(b[i]) << 8
		if i+1 < len(b) {
			w |= uint32(b[i+1])
		}
		sum += w
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

// Checksum, which adds eight bytes at a time, agrees with the word-by-word
// definition for every length and for data that carries a lot.
func TestChecksumMatchesDefinition(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := range 200 {
		for _, fill := range []string{"random", "zeros", "ones"} {
			b := make([]byte, n)
			for i := range b {
				switch fill {
				case "random":
					b[i] = byte(r.Uint32())
				case "ones":
					b[i] = 0xff
				}
			}
			if got, want := Checksum(b), checksumWords(b); got != want {
				t.Errorf("%d %s bytes: got %#04x, want %#04x", n, fill, got, want)
			}
		}
	}
	big := make([]byte, 65535)
	for i := range big {
		big[i] = 0xff
	}
	if got, want := Checksum(big), checksumWords(big); got != want {
		t.Errorf("65535 bytes of 0xff: got %#04x, want %#04x", got, want)
	}
}

func FuzzChecksum(f *testing.F) {
	f.Add([]byte{0x08, 0x00, 0x00, 0x00, 0x12, 0x34, 0x00, 0x01, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := Checksum(b), checksumWords(b); got != want {
			t.Fatalf("%x: got %#04x, want %#04x", b, got, want)
		}
	})
}
