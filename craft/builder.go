package craft

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket"
)

// Options adjust how a Builder fills defaults. The zero value (or nil)
// asks the kernel for source addresses and draws random fields from a
// random seed.
type Options struct {
	// Source returns the source address for packets to dst, for ip() and
	// ip6() layers whose src was not given. Nil asks the kernel's routing
	// table (RouteSource), through Interface when it is set.
	Source func(dst netip.Addr) (netip.Addr, error)
	// Interface is the interface the packets leave through (rawsock send
	// -I): its MAC is the default ether src, and source addresses are
	// those the kernel picks on it.
	Interface string
	// Seed makes the random fields (ip id, ports, sequence numbers, ICMP
	// ids) repeatable; 0 draws a random seed.
	Seed uint64
	// Now gives the time for ICMP timestamps; nil is time.Now.
	Now func() time.Time
}

// A Builder makes the packets of a template one after the other into a
// buffer of its own, without allocating once the first packet is made.
// It is not safe for concurrent use; make one builder per goroutine.
type Builder struct {
	t     *Template
	stack Stack
	buf   gopacket.SerializeBuffer
	exp   []cursor      // the fields with several values, the last one turning fastest
	autos [][]*fieldDef // per layer, the per-packet defaults to fill, last field first
	fc    fillCtx
	rng   *rand.PCG
	mac   [6]byte
	now   func() time.Time
	src   func(netip.Addr) (netip.Addr, error)
	cache map[netip.Addr]netip.Addr
	left  uint64
	fresh bool
	err   error
	val   value
}

// cursor walks the values of one field.
type cursor struct {
	layer int
	f     *tfield
	item  int
	k     uint64
}

// NewBuilder makes a builder for t.
func NewBuilder(t *Template, o *Options) (*Builder, error) {
	if o == nil {
		o = &Options{}
	}
	b := &Builder{
		t:     t,
		buf:   gopacket.NewSerializeBufferExpectedSize(128, 0),
		now:   o.Now,
		src:   o.Source,
		cache: map[netip.Addr]netip.Addr{},
	}
	seed := o.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	b.rng = rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)
	if b.now == nil {
		b.now = time.Now
	}
	if o.Interface != "" {
		ifi, err := net.InterfaceByName(o.Interface)
		if err != nil {
			return nil, fmt.Errorf("interface %s: %w", o.Interface, err)
		}
		copy(b.mac[:], ifi.HardwareAddr)
	}
	if b.src == nil {
		iface := o.Interface
		b.src = func(dst netip.Addr) (netip.Addr, error) { return RouteSource(dst, iface) }
	}
	b.autos = make([][]*fieldDef, len(t.layers))
	for i, tl := range t.layers {
		l := tl.def.new()
		b.stack = append(b.stack, l)
		*keepOf(l) = tl.keep
		given := map[int]bool{}
		for _, f := range tl.fields {
			given[f.idx] = true
			var v value
			f.items[0].at(0, &v)
			f.def.set(l, &v)
			if f.count() > 1 {
				b.exp = append(b.exp, cursor{layer: i, f: f})
			}
		}
		for j := len(tl.def.fields) - 1; j >= 0; j-- {
			if fd := tl.def.fields[j]; fd.auto != nil && !given[j] {
				b.autos[i] = append(b.autos[i], fd)
			}
		}
	}
	b.Reset()
	return b, nil
}

// keepOf returns the Keep field of one of the layer types.
func keepOf(l gopacket.SerializableLayer) *Keep {
	switch l := l.(type) {
	case *Ether:
		return &l.Keep
	case *IPv4:
		return &l.Keep
	case *IPv6:
		return &l.Keep
	case *ICMPv4:
		return &l.Keep
	case *ICMPv6:
		return &l.Keep
	case *IGMP:
		return &l.Keep
	case *TCP:
		return &l.Keep
	case *UDP:
		return &l.Keep
	}
	return new(Keep)
}

// Count is the number of packets in one pass over the template.
func (b *Builder) Count() uint64 { return b.t.count }

// Reset starts a new pass over the template: the next packet is the
// first again (with fresh random fields).
func (b *Builder) Reset() {
	b.left = b.t.count
	b.fresh = true
	for i := range b.exp {
		c := &b.exp[i]
		c.item, c.k = 0, 0
		b.apply(c)
	}
}

func (b *Builder) apply(c *cursor) {
	c.f.items[c.item].at(c.k, &b.val)
	c.f.def.set(b.stack[c.layer], &b.val)
}

// step moves the cursors to the next combination of values.
func (b *Builder) step() {
	for i := len(b.exp) - 1; i >= 0; i-- {
		c := &b.exp[i]
		c.k++
		if c.k == c.f.items[c.item].count {
			c.k = 0
			c.item++
			if c.item == len(c.f.items) {
				c.item = 0
				b.apply(c)
				continue // carry into the next field
			}
		}
		b.apply(c)
		return
	}
}

// Next builds the next packet of the pass, which Bytes and Layers then
// return. It returns false after the last packet, or on an error (see
// Err).
func (b *Builder) Next() bool {
	if b.err != nil || b.left == 0 {
		return false
	}
	if !b.fresh {
		b.step()
	}
	b.fresh = false
	b.left--
	for i := len(b.stack) - 1; i >= 0; i-- {
		if len(b.autos[i]) == 0 {
			continue
		}
		b.fc = fillCtx{b: b, i: i, l: b.stack[i]}
		if i > 0 {
			b.fc.prev = b.stack[i-1]
		}
		if i+1 < len(b.stack) {
			b.fc.next = b.stack[i+1]
		}
		for _, f := range b.autos[i] {
			f.auto(&b.fc)
		}
	}
	if b.err != nil {
		return false
	}
	if err := b.stack.Serialize(b.buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}); err != nil {
		b.err = err
		return false
	}
	return true
}

// Bytes returns the packet Next built. It stays valid until the next call
// to Next; copy it to keep it longer.
func (b *Builder) Bytes() []byte { return b.buf.Bytes() }

// Layers returns the layers of the packet Next built, with every default
// and computed field filled in. They are reused by the next call to Next.
func (b *Builder) Layers() Stack { return b.stack }

// Err returns the error that stopped Next, if any.
func (b *Builder) Err() error { return b.err }

// source returns the source address for dst, asking once per address.
func (b *Builder) source(dst netip.Addr) netip.Addr {
	if s, ok := b.cache[dst]; ok {
		return s
	}
	s, err := b.src(dst)
	if err != nil {
		if b.err == nil {
			b.err = err
		}
		return netip.Addr{}
	}
	b.cache[dst] = s
	return s
}

// Packets builds every packet of the expression into new slices: a
// convenience for a few packets; use a Builder for many.
func Packets(expr string, o *Options) ([][]byte, error) {
	t, err := Parse(expr)
	if err != nil {
		return nil, err
	}
	b, err := NewBuilder(t, o)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for b.Next() {
		out = append(out, append([]byte(nil), b.Bytes()...))
	}
	return out, b.Err()
}
