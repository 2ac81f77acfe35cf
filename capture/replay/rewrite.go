package replay

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/rawsock/rawsock/internal/csum"
)

// An AddrMap rewrites addresses: the first rule whose From holds an
// address decides what it becomes. The zero AddrMap changes nothing.
type AddrMap []AddrRule

// An AddrRule maps the addresses of one prefix to another. To's first
// To.Bits() bits replace the address's; the bits after them are kept, so
// 10.0.0.0/8 → 192.168.0.0/16 takes 10.1.2.3 to 192.168.2.3 (tcprewrite's
// pseudo-NAT), and a To of a single address (/32, /128) takes every
// address of From to it.
type AddrRule struct {
	From, To netip.Prefix
}

// ParseAddrMap reads the rules of --src and --dst: a comma-separated list
// of NEW (every address of NEW's family becomes NEW) or OLD=NEW, where OLD
// and NEW are addresses or CIDR prefixes of the same family:
//
//	203.0.113.2                          every IPv4 address
//	198.51.100.2=203.0.113.2             one address
//	198.51.100.0/24=203.0.113.0/24       a network, host bits kept
//	10.0.0.0/8=203.0.113.7               a network to one address
//	2001:db8:1::/64=2001:db8:2::/64      the same for IPv6
func ParseAddrMap(spec string) (AddrMap, error) {
	var m AddrMap
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			return nil, fmt.Errorf("empty rule in %q: write NEW or OLD=NEW, separated by commas", spec)
		}
		old, new, hasOld := strings.Cut(item, "=")
		if !hasOld {
			new = old
		}
		to, err := parsePrefix(new)
		if err != nil {
			return nil, fmt.Errorf("rule %q: %v", item, err)
		}
		var from netip.Prefix
		if hasOld {
			if from, err = parsePrefix(old); err != nil {
				return nil, fmt.Errorf("rule %q: %v", item, err)
			}
		} else {
			from = netip.PrefixFrom(to.Addr(), 0).Masked()
		}
		if from.Addr().Is4() != to.Addr().Is4() {
			return nil, fmt.Errorf("rule %q maps IPv4 to IPv6 or back: both sides must be of one family", item)
		}
		m = append(m, AddrRule{From: from, To: to})
	}
	return m, nil
}

// parsePrefix reads an address (a prefix of its full length) or a CIDR
// prefix, which must have no bits set past its length.
func parsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("%q is not an IPv4 or IPv6 address or prefix (such as 192.0.2.1 or 192.0.2.0/24)", s)
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an IPv4 or IPv6 address or prefix (such as 192.0.2.1 or 192.0.2.0/24)", s)
	}
	if p.Masked() != p {
		return netip.Prefix{}, fmt.Errorf("prefix %s has bits set past its length: write %s", s, p.Masked())
	}
	return p, nil
}

// Map returns what a becomes, and whether a rule matched.
func (m AddrMap) Map(a netip.Addr) (netip.Addr, bool) {
	for _, r := range m {
		if r.From.Contains(a) {
			return r.apply(a), true
		}
	}
	return a, false
}

func (r AddrRule) apply(a netip.Addr) netip.Addr {
	to := r.To.Addr()
	if r.To.Bits() == to.BitLen() {
		return to
	}
	if a.Is4() {
		av, tv := a.As4(), to.As4()
		mask := ^uint32(0) << (32 - r.To.Bits())
		v := binary.BigEndian.Uint32(tv[:])&mask | binary.BigEndian.Uint32(av[:])&^mask
		var out [4]byte
		binary.BigEndian.PutUint32(out[:], v)
		return netip.AddrFrom4(out)
	}
	av, tv := a.As16(), to.As16()
	for i := range 16 {
		bits := min(max(r.To.Bits()-8*i, 0), 8)
		mask := byte(0xff << (8 - bits))
		av[i] = tv[i]&mask | av[i]&^mask
	}
	return netip.AddrFrom16(av)
}

// String returns the map in ParseAddrMap's syntax.
func (m AddrMap) String() string {
	var parts []string
	for _, r := range m {
		to := r.To.String()
		if r.To.Bits() == r.To.Addr().BitLen() {
			to = r.To.Addr().String()
		}
		if r.From.Bits() == 0 {
			parts = append(parts, to)
			continue
		}
		from := r.From.String()
		if r.From.Bits() == r.From.Addr().BitLen() {
			from = r.From.Addr().String()
		}
		parts = append(parts, from+"="+to)
	}
	return strings.Join(parts, ",")
}

// A TTL changes the IPv4 time to live and the IPv6 hop limit: set to a
// value, or moved up or down by one and kept within 1 to 255. The zero TTL
// changes nothing.
type TTL struct {
	// Op is '=' to set, '+' to add, '-' to subtract; 0 changes nothing.
	Op byte
	N  int
}

// ParseTTL reads --ttl: N sets the TTL to N (0 to 255); +N and -N move it
// by N and keep it within 1 to 255, as tcprewrite's --ttl does.
func ParseTTL(spec string) (TTL, error) {
	t, s := TTL{Op: '='}, spec
	if s != "" && (s[0] == '+' || s[0] == '-') {
		t.Op, s = s[0], s[1:]
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 255 || s == "" || s[0] < '0' || s[0] > '9' {
		return TTL{}, fmt.Errorf("bad TTL %q: want N (0-255) to set it, or +N or -N to move it", spec)
	}
	t.N = n
	return t, nil
}

// Apply returns the new TTL for ttl.
func (t TTL) Apply(ttl uint8) uint8 {
	switch t.Op {
	case '=':
		return uint8(t.N)
	case '+':
		return uint8(min(int(ttl)+t.N, 255))
	case '-':
		return uint8(max(int(ttl)-t.N, 1))
	}
	return ttl
}

// String returns the TTL in ParseTTL's syntax, or "" for none.
func (t TTL) String() string {
	switch t.Op {
	case '=':
		return strconv.Itoa(t.N)
	case '+', '-':
		return string(t.Op) + strconv.Itoa(t.N)
	}
	return ""
}

// A Rewrite is what changes in each IP packet replayed: addresses, the
// TTL, and then the checksums.
//
// A packet that was changed in any way leaves with its checksums computed
// afresh: the IPv4 header's, and TCP's, UDP's (unless 0, "none", over
// IPv4), ICMP's, ICMPv6's and IGMP's, the pseudo-header counted for TCP,
// UDP and ICMPv6. Where the capture lacks part of what a checksum covers
// (a packet cut short by the snapshot length, or a fragment), the stored
// checksum is adjusted for the addresses changed instead (RFC 1624), which
// keeps it right if it was right. FixChecksums does the same for every
// packet, changed or not: captures taken on the sending host often hold
// checksums the network card was to fill in.
//
// Only the outer IP header is rewritten: not the packet an ICMP error
// quotes, nor ARP.
type Rewrite struct {
	Src, Dst     AddrMap
	TTL          TTL
	FixChecksums bool
}

// active reports whether the Rewrite can change anything.
func (r *Rewrite) active() bool {
	return r != nil && (len(r.Src) > 0 || len(r.Dst) > 0 || r.TTL.Op != 0 || r.FixChecksums)
}

// Packet rewrites the IP packet at the start of p in place and reports
// whether any byte changed. p holds what the capture holds; bytes past the
// packet's own length (Ethernet padding) are left alone.
func (r *Rewrite) Packet(p []byte) bool {
	if !r.active() || len(p) == 0 {
		return false
	}
	switch p[0] >> 4 {
	case 4:
		return r.ipv4(p)
	case 6:
		return r.ipv6(p)
	}
	return false
}

// IP protocol numbers.
const (
	protoICMP   = 1
	protoIGMP   = 2
	protoTCP    = 6
	protoUDP    = 17
	protoICMPv6 = 58
)

func (r *Rewrite) ipv4(p []byte) bool {
	ihl := int(p[0]&0x0f) * 4
	if ihl < 20 || len(p) < ihl {
		return false
	}
	var old [8]byte
	copy(old[:], p[12:20])
	mapAddr(p[12:16], r.Src)
	mapAddr(p[16:20], r.Dst)
	changed := old != [8]byte(p[12:20])
	if ttl := r.TTL.Apply(p[8]); ttl != p[8] {
		p[8] = ttl
		changed = true
	}
	if !changed && !r.FixChecksums {
		return false
	}
	before := binary.BigEndian.Uint16(p[10:])
	binary.BigEndian.PutUint16(p[10:], 0)
	binary.BigEndian.PutUint16(p[10:], csum.Checksum(p[:ihl]))
	changed = changed || before != binary.BigEndian.Uint16(p[10:])

	total := int(binary.BigEndian.Uint16(p[2:]))
	frag := binary.BigEndian.Uint16(p[6:])
	if frag&0x1fff != 0 || total < ihl {
		return changed // a later fragment: no transport header in it
	}
	whole := frag&0x2000 == 0 && len(p) >= total
	end := min(len(p), total)
	if r.transport(p[:end], ihl, p[9], whole, old[:4], old[4:], p[12:16], p[16:20]) {
		changed = true
	}
	return changed
}

// mapAddr rewrites the address in b (4 or 16 bytes) by m.
func mapAddr(b []byte, m AddrMap) {
	if len(m) == 0 {
		return
	}
	var a netip.Addr
	if len(b) == 4 {
		a = netip.AddrFrom4([4]byte(b))
	} else {
		a = netip.AddrFrom16([16]byte(b))
	}
	n, ok := m.Map(a)
	if !ok || n == a {
		return
	}
	if len(b) == 4 {
		v := n.As4()
		copy(b, v[:])
	} else {
		v := n.As16()
		copy(b, v[:])
	}
}

func (r *Rewrite) ipv6(p []byte) bool {
	if len(p) < 40 {
		return false
	}
	var old [32]byte
	copy(old[:], p[8:40])
	mapAddr(p[8:24], r.Src)
	mapAddr(p[24:40], r.Dst)
	changed := old != [32]byte(p[8:40])
	if hl := r.TTL.Apply(p[7]); hl != p[7] {
		p[7] = hl
		changed = true
	}
	if !changed && !r.FixChecksums {
		return false
	}
	total := 40 + int(binary.BigEndian.Uint16(p[4:]))
	end := min(len(p), total)
	off, proto, finalDst, fragmented, ok := walkIPv6(p[:end])
	if !ok {
		return changed
	}
	// The pseudo-header's destination is the final one: the last hop of a
	// routing header still to be visited, which rewriting leaves alone.
	oldDst, newDst := old[16:32], p[24:40]
	if finalDst >= 0 {
		oldDst, newDst = p[finalDst:finalDst+16], p[finalDst:finalDst+16]
	}
	whole := !fragmented && len(p) >= total && binary.BigEndian.Uint16(p[4:]) != 0
	if r.transport(p[:end], off, proto, whole, old[:16], oldDst, p[8:24], newDst) {
		changed = true
	}
	return changed
}

// walkIPv6 follows the extension headers of an IPv6 packet to the upper
// layer: its offset and protocol, the offset of the final destination when
// a routing header names one (else -1), and whether the packet is a
// fragment. ok is false for a later fragment or a chain cut short.
func walkIPv6(p []byte) (off int, proto byte, finalDst int, fragmented, ok bool) {
	off, proto, finalDst = 40, p[6], -1
	for range 16 {
		switch proto {
		case 0, 60, 135: // hop-by-hop, destination options, mobility
			if len(p) < off+8 {
				return 0, 0, 0, false, false
			}
			proto, off = p[off], off+8+int(p[off+1])*8
		case 43: // routing
			if len(p) < off+8 {
				return 0, 0, 0, false, false
			}
			n, typ, left := int(p[off+1]), p[off+2], p[off+3]
			if left > 0 {
				switch {
				case (typ == 0 || typ == 2) && n >= 2 && len(p) >= off+8+n*8:
					finalDst = off + 8 + (n/2-1)*16
				case typ == 4 && n >= 2 && len(p) >= off+24: // segment routing: Segment List[0]
					finalDst = off + 8
				}
			}
			proto, off = p[off], off+8+n*8
		case 44: // fragment
			if len(p) < off+8 {
				return 0, 0, 0, false, false
			}
			if binary.BigEndian.Uint16(p[off+2:])&0xfff8 != 0 {
				return 0, 0, 0, true, false // a later fragment
			}
			fragmented = true
			proto, off = p[off], off+8
		case 51: // authentication header
			if len(p) < off+8 {
				return 0, 0, 0, false, false
			}
			proto, off = p[off], off+(int(p[off+1])+2)*4
		default:
			return off, proto, finalDst, fragmented, off <= len(p)
		}
	}
	return 0, 0, 0, false, false
}

// transport fixes the checksum of the upper-layer header at p[off:]: from
// scratch when whole (the packet is all there and not a fragment), else by
// adjusting it for the addresses changed. oldSrc, oldDst, src and dst are
// the pseudo-header's addresses before and after. It reports whether the
// checksum changed.
func (r *Rewrite) transport(p []byte, off int, proto byte, whole bool, oldSrc, oldDst, src, dst []byte) bool {
	var at int
	pseudo := true
	switch proto {
	case protoTCP:
		at = 16
	case protoUDP:
		at = 6
	case protoICMPv6:
		at = 2
	case protoICMP, protoIGMP:
		at, pseudo = 2, false
		if len(src) == 16 {
			return false // not carried over IPv6
		}
	default:
		return false
	}
	if len(p) < off+at+2 {
		return false
	}
	seg := p[off:]
	before := binary.BigEndian.Uint16(seg[at:])
	if proto == protoUDP && len(src) == 4 && before == 0 {
		return false // no checksum, which IPv4 allows
	}
	if !whole {
		if !pseudo || bytes.Equal(oldSrc, src) && bytes.Equal(oldDst, dst) {
			return false
		}
		v := csum.Update(csum.Update(before, oldSrc, src), oldDst, dst)
		if proto == protoUDP && v == 0 {
			v = 0xffff
		}
		binary.BigEndian.PutUint16(seg[at:], v)
		return v != before
	}
	if proto == protoUDP {
		// The checksum covers the datagram as UDP's own length has it.
		if n := int(binary.BigEndian.Uint16(seg[4:])); n >= 8 && n <= len(seg) {
			seg = seg[:n]
		}
	}
	binary.BigEndian.PutUint16(seg[at:], 0)
	var s uint64
	if pseudo {
		s = csum.Sum(src, csum.Sum(dst, uint64(proto)+uint64(len(seg))))
	}
	v := csum.Fold(csum.Sum(seg, s))
	if proto == protoUDP && v == 0 {
		v = 0xffff // 0 would mean "no checksum"
	}
	binary.BigEndian.PutUint16(seg[at:], v)
	return v != before
}
