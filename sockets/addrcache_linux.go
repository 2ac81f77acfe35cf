package sockets

import "sync/atomic"

// An addrCache remembers the last few sender addresses a socket decoded,
// so that a datagram from a sender seen lately returns the same Addr
// again instead of a new one: an Addr is an interface, and a new one costs
// an allocation per packet. Entries never change once stored, so
// concurrent receives share them safely.
type addrCache struct {
	next  atomic.Uint32
	slots [4]atomic.Pointer[cachedAddr]
}

// cachedAddr is one decoded address and the kernel's bytes it came from.
// Only the short layouts (inet, inet6, packet, tipc) are kept; a unix
// address is decoded each time.
type cachedAddr struct {
	raw  [sizeofSockaddrInet6]byte
	n    int
	addr Addr
}

// addr decodes sa as sa.addr does, through the cache.
func (c *addrCache) addr(sa *sockaddr) (Addr, error) {
	n := min(int(sa.n), len(sa.b))
	raw := sa.b[:n]
	if n == 0 || n > sizeofSockaddrInet6 {
		return decodeSockaddr(raw)
	}
	for i := range c.slots {
		if e := c.slots[i].Load(); e != nil && e.n == n && sameBytes(e.raw[:n], raw) {
			return e.addr, nil
		}
	}
	a, err := decodeSockaddr(raw)
	if err != nil || a == nil {
		return a, err
	}
	e := &cachedAddr{n: n, addr: a}
	copy(e.raw[:], raw)
	c.slots[c.next.Add(1)%uint32(len(c.slots))].Store(e)
	return a, nil
}

// sameBytes is bytes.Equal for a and b of the same few dozen bytes at
// most, eight at a time and without a call: the cache compares one or two
// addresses per datagram received.
func sameBytes(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	i := 0
	for ; i+8 <= len(a); i += 8 {
		if ne.Uint64(a[i:]) != ne.Uint64(b[i:]) {
			return false
		}
	}
	for ; i < len(a); i++ {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
