// Package csum computes the Internet checksum (RFC 1071) that IPv4, ICMP,
// IGMP, TCP, UDP and ICMPv6 carry, in one place for every package that
// builds, rewrites or checks packets.
//
// Sums are kept unfolded in a uint64 so that pieces (a pseudo-header, a
// header, a payload) can be added up separately and folded once.
package csum

import (
	"encoding/binary"
	"net/netip"
)

// Sum adds b to the partial sum acc as big-endian 16-bit words, an odd last
// byte padded with zero. The result is not folded: pass it to Fold.
func Sum(b []byte, acc uint64) uint64 {
	// Eight bytes at a time, four such words per round: the two 32-bit halves of a big-endian 64-bit
	// word add up to the same one's-complement sum as its four 16-bit
	// words, once folded. (A uint64 holds the halves of 16 GiB before it
	// could overflow.)
	for len(b) >= 32 {
		v0, v1 := binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:])
		v2, v3 := binary.BigEndian.Uint64(b[16:]), binary.BigEndian.Uint64(b[24:])
		acc += v0>>32 + v0&0xffffffff + v1>>32 + v1&0xffffffff +
			v2>>32 + v2&0xffffffff + v3>>32 + v3&0xffffffff
		b = b[32:]
	}
	for len(b) >= 8 {
		v := binary.BigEndian.Uint64(b)
		acc += v>>32 + v&0xffffffff
		b = b[8:]
	}
	for len(b) >= 2 {
		acc += uint64(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		acc += uint64(b[0]) << 8
	}
	return acc
}

// Fold folds a partial sum to 16 bits with end-around carries and
// complements it: the value a checksum field holds. Folding the sum of data
// that includes a correct checksum field gives 0.
func Fold(acc uint64) uint16 {
	for acc>>16 != 0 {
		acc = acc&0xffff + acc>>16
	}
	return ^uint16(acc)
}

// Checksum is the Internet checksum of b, whose checksum field is zero (or,
// to verify, holds the value received: then 0 means correct).
func Checksum(b []byte) uint16 { return Fold(Sum(b, 0)) }

// Pseudo is the partial sum of the pseudo-header that TCP, UDP and ICMPv6
// checksums cover: RFC 793's for IPv4 (src, dst, protocol, 16-bit length)
// and RFC 8200 §8.1's for IPv6 (src, dst, 32-bit length, next header). The
// two sum alike but for the addresses: each counts as 4 bytes when it is
// IPv4 and as 16 otherwise (an IPv4-mapped address is IPv6 here, as in an
// IPv6 header; Unmap it for an IPv4 header), and an invalid one as zeros.
func Pseudo(src, dst netip.Addr, proto uint8, length int) uint64 {
	acc := uint64(proto) + uint64(length>>16) + uint64(length&0xffff)
	return addrSum(dst, addrSum(src, acc))
}

func addrSum(a netip.Addr, acc uint64) uint64 {
	if a.Is4() {
		b := a.As4()
		return Sum(b[:], acc)
	}
	b := a.As16()
	return Sum(b[:], acc)
}

// Update returns a stored checksum adjusted for bytes of the data it covers
// that changed from old to new (equal, even lengths), without summing the
// rest again: RFC 1624's HC' = ~(~HC + ~m + m').
func Update(stored uint16, old, new []byte) uint16 {
	acc := uint64(^stored)
	for i := 0; i+1 < len(old) && i+1 < len(new); i += 2 {
		acc += uint64(^binary.BigEndian.Uint16(old[i:]))
		acc += uint64(binary.BigEndian.Uint16(new[i:]))
	}
	return Fold(acc)
}
