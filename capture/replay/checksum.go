package replay

import "encoding/binary"

// sum adds b to the one's-complement sum s as 16-bit big-endian words
// (RFC 1071), an odd last byte padded with a zero. The result is not folded.
func sum(b []byte, s uint64) uint64 {
	// Eight bytes at a time: 32-bit halves of a big-endian 64-bit word add
	// up to the same one's-complement sum as the four 16-bit words in them.
	for len(b) >= 8 {
		v := binary.BigEndian.Uint64(b)
		s += v >> 32
		s += v & 0xffffffff
		b = b[8:]
	}
	for len(b) >= 2 {
		s += uint64(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint64(b[0]) << 8
	}
	return s
}

// fold folds a sum to 16 bits and complements it: the checksum to store.
func fold(s uint64) uint16 {
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}

// checksum is the Internet checksum of b, whose checksum field is zero.
func checksum(b []byte) uint16 { return fold(sum(b, 0)) }

// adjust updates a stored checksum for bytes that changed from old to new
// (the same even length), without the rest of what it covers: RFC 1624's
// HC' = ~(~HC + ~m + m').
func adjust(stored uint16, old, new []byte) uint16 {
	s := uint64(^stored)
	for i := 0; i+1 < len(old); i += 2 {
		s += uint64(^binary.BigEndian.Uint16(old[i:]))
		s += uint64(binary.BigEndian.Uint16(new[i:]))
	}
	return fold(s)
}
