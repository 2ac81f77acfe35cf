package filter

import (
	"encoding/binary"
	"math/bits"
	"net/netip"
	"strconv"
	"strings"

	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
)

// The code generator makes, for each primitive, the same tests in the same
// order as libpcap's gencode.c, so that programs select what tcpdump's
// select, packet for packet: even where tcpdump's choice is surprising
// ("tcp[0] + udp[0]" checks only for TCP; "vlan" moves every offset after
// it), because the point is to agree with tcpdump.

const (
	etherTypeIP     = 0x0800
	etherTypeARP    = 0x0806
	etherTypeRARP   = 0x8035
	etherTypeIPv6   = 0x86dd
	etherType8021Q  = 0x8100
	etherType8021AD = 0x88a8
	etherTypeQinQ   = 0x9100
	etherMTU        = 1500

	ipProtoICMP   = 1
	ipProtoIGMP   = 2
	ipProtoTCP    = 6
	ipProtoUDP    = 17
	ipProtoFrag   = 44
	ipProtoICMPv6 = 58
	ipProtoSCTP   = 132
	protoUndef    = -1 // a port on TCP, UDP or SCTP

	// The address families BSD loopback headers carry for IPv6.
	afINET       = 2
	afINET6BSD   = 24
	afINET6FreeB = 28
	afINET6Apple = 30
)

// Where an offset is counted from (libpcap's e_offrel).
type offRel int

const (
	orLinkHdr  offRel = iota // the start of the packet
	orLinkType               // the link layer's type field
	orLinkPL                 // the link layer's payload: the IP header
	orTranIPv4               // the transport header after an IPv4 header of any length
	orTranIPv6               // the transport header after a 40-byte IPv6 header
)

type compiler struct {
	link    layers.LinkType
	snaplen uint32
	netmask uint32

	// Offsets from the start of the packet; "vlan" moves both by 4.
	offLinkType uint32 // of the type field; noLinkType for raw IP
	offLinkPL   uint32 // of the payload

	// libpcap's round-robin allocator of scratch cells, used for
	// arithmetic when not optimizing, so that the code is libpcap's.
	regUsed [memWords]bool
	curReg  int
}

const noLinkType = ^uint32(0)

func newCompiler(link layers.LinkType, snaplen uint32, opts *Options) (*compiler, error) {
	c := &compiler{link: link, snaplen: snaplen, netmask: opts.Netmask}
	switch link {
	case layers.LinkTypeEthernet:
		c.offLinkType, c.offLinkPL = 12, 14
	case layers.LinkTypeLinuxSLL:
		c.offLinkType, c.offLinkPL = 14, 16
	case layers.LinkTypeLinuxSLL2:
		c.offLinkType, c.offLinkPL = 0, 20
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		c.offLinkType, c.offLinkPL = 0, 4
	case layers.LinkTypeRaw, 12, 14, layers.LinkTypeIPv4, layers.LinkTypeIPv6:
		c.offLinkType, c.offLinkPL = noLinkType, 0
	default:
		return nil, errorf("filters are not supported on link type %d: rawsock compiles them for Ethernet, Linux cooked (v1 and v2), raw IP and loopback captures", int(link))
	}
	return c, nil
}

func (c *compiler) isEthernet() bool { return c.link == layers.LinkTypeEthernet }

// gen generates the code of a syntax tree, left to right.
func (c *compiler) gen(n node) (*cond, error) {
	switch n := n.(type) {
	case *andNode:
		a, err := c.gen(n.l)
		if err != nil {
			return nil, err
		}
		b, err := c.gen(n.r)
		if err != nil {
			return nil, err
		}
		return and(a, b), nil
	case *orNode:
		a, err := c.gen(n.l)
		if err != nil {
			return nil, err
		}
		b, err := c.gen(n.r)
		if err != nil {
			return nil, err
		}
		return or(a, b), nil
	case *notNode:
		a, err := c.gen(n.x)
		if err != nil {
			return nil, err
		}
		return not(a), nil
	case *idNode:
		return c.genID(n)
	case *abbrevNode:
		return c.protoAbbrev(n.p, n.tok)
	case *relNode:
		return c.relation(n)
	case *castNode:
		if n.multicast {
			return c.multicast(n.p, n.tok)
		}
		return c.broadcast(n.p, n.tok)
	case *lenNode:
		if n.greater {
			return leaf([]bpf.RawInstruction{stmt(clsLD|szW|mdLEN, 0)}, jmpJGE, n.n), nil
		}
		return not(leaf([]bpf.RawInstruction{stmt(clsLD|szW|mdLEN, 0)}, jmpJGT, n.n)), nil
	case *vlanNode:
		return c.vlan(n)
	}
	panic("filter: unknown node")
}

// loadA loads size bytes at off, counted from rel, into A.
func (c *compiler) loadA(rel offRel, off uint32, size uint16) []bpf.RawInstruction {
	switch rel {
	case orLinkHdr:
		return []bpf.RawInstruction{stmt(clsLD|size|mdABS, off)}
	case orLinkType:
		return []bpf.RawInstruction{stmt(clsLD|size|mdABS, c.offLinkType+off)}
	case orLinkPL:
		return []bpf.RawInstruction{stmt(clsLD|size|mdABS, c.offLinkPL+off)}
	case orTranIPv4:
		return []bpf.RawInstruction{c.loadIPHdrLen(), stmt(clsLD|size|mdIND, c.offLinkPL+off)}
	case orTranIPv6:
		return []bpf.RawInstruction{stmt(clsLD|size|mdABS, c.offLinkPL+40+off)}
	}
	panic("filter: bad offset relation")
}

// loadIPHdrLen puts the IPv4 header length, 4*IHL, in X.
func (c *compiler) loadIPHdrLen() bpf.RawInstruction {
	return stmt(clsLDX|szB|mdMSH, c.offLinkPL)
}

// ncmp tests (the value at off & mask) against v with jump jtype;
// reverse negates a > or >= test into <= or <.
func (c *compiler) ncmp(rel offRel, off uint32, size uint16, mask uint32, jtype uint16, reverse bool, v uint32) *cond {
	s := c.loadA(rel, off, size)
	if mask != 0xffffffff {
		s = append(s, stmt(clsALU|aluAND|srcK, mask))
	}
	b := leaf(s, jtype, v)
	if reverse && (jtype == jmpJGT || jtype == jmpJGE) {
		b = not(b)
	}
	return b
}

func (c *compiler) cmp(rel offRel, off uint32, size uint16, v uint32) *cond {
	return c.ncmp(rel, off, size, 0xffffffff, jmpJEQ, false, v)
}

func (c *compiler) mcmp(rel offRel, off uint32, size uint16, v, mask uint32) *cond {
	return c.ncmp(rel, off, size, mask, jmpJEQ, false, v)
}

// bcmp compares bytes at off with v: 4 bytes at a time from the end, then
// 2, then 1.
func (c *compiler) bcmp(rel offRel, off uint32, v []byte) *cond {
	var b *cond
	size := uint32(len(v))
	add := func(t *cond) {
		if b != nil {
			t = and(b, t)
		}
		b = t
	}
	for size >= 4 {
		add(c.cmp(rel, off+size-4, szW, binary.BigEndian.Uint32(v[size-4:])))
		size -= 4
	}
	for size >= 2 {
		add(c.cmp(rel, off+size-2, szH, uint32(binary.BigEndian.Uint16(v[size-2:]))))
		size -= 2
	}
	if size > 0 {
		add(c.cmp(rel, off, szB, uint32(v[0])))
	}
	return b
}

// constant is a test whose outcome is fixed, as libpcap makes it.
func constant(v bool) *cond {
	k := uint32(1)
	if v {
		k = 0
	}
	return leaf([]bpf.RawInstruction{stmt(clsLD|szW|mdIMM, k)}, jmpJEQ, 0)
}

// linkType tests that the link layer carries ethertype.
func (c *compiler) linkType(ethertype uint32) *cond {
	switch c.link {
	case layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL, layers.LinkTypeLinuxSLL2:
		return c.cmp(orLinkType, 0, szH, ethertype)
	case layers.LinkTypeRaw, 12, 14:
		switch ethertype {
		case etherTypeIP:
			return c.mcmp(orLinkHdr, 0, szB, 0x40, 0xf0)
		case etherTypeIPv6:
			return c.mcmp(orLinkHdr, 0, szB, 0x60, 0xf0)
		}
		return constant(false)
	case layers.LinkTypeIPv4:
		return constant(ethertype == etherTypeIP)
	case layers.LinkTypeIPv6:
		return constant(ethertype == etherTypeIPv6)
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		switch ethertype {
		case etherTypeIP:
			return c.loopback(afINET)
		case etherTypeIPv6:
			return or(c.loopback(afINET6Apple), or(c.loopback(afINET6BSD), c.loopback(afINET6FreeB)))
		}
		return constant(false)
	}
	panic("filter: unsupported link type")
}

// loopback tests the address family of a loopback header: in host byte
// order for BSD loopback (read as little-endian), network order for
// OpenBSD's.
func (c *compiler) loopback(af uint32) *cond {
	if c.link == layers.LinkTypeNull {
		af = bits.ReverseBytes32(af)
	}
	return c.cmp(orLinkHdr, 0, szW, af)
}

// etherProto tests an ether type, or, up to 1500, an 802.2 LLC DSAP.
func (c *compiler) etherProto(v uint32, t token) (*cond, error) {
	switch {
	case v <= 0xffff && c.link == layers.LinkTypeLinuxSLL2:
		// libpcap compares the protocol field, whatever the value.
		return c.cmp(orLinkType, 0, szH, v), nil
	case v == 0xe0 || v == 0x809b || v == 0x80f3:
		return nil, errorTok(t, "ether proto %#x (IPX or AppleTalk) is not supported", v)
	case v > 0xffff:
		return nil, errorTok(t, "ether proto %d does not fit in 16 bits", v)
	case v > etherMTU:
		return c.linkType(v), nil
	}
	// An 802.2 frame: on Ethernet, a length instead of a type; on Linux
	// cooked captures, the protocol ETH_P_802_2. The OSI, IP and NetBEUI
	// SAPs must be both DSAP and SSAP.
	var frame *cond
	switch c.link {
	case layers.LinkTypeEthernet:
		frame = not(c.ncmp(orLinkType, 0, szH, 0xffffffff, jmpJGT, false, etherMTU))
	case layers.LinkTypeLinuxSLL:
		frame = c.cmp(orLinkType, 0, szH, 4)
	default:
		return constant(false), nil
	}
	if v == 0xfe || v == 0x06 || v == 0xf0 {
		return and(frame, c.cmp(orLinkPL, 0, szH, v<<8|v)), nil
	}
	return and(frame, c.cmp(orLinkPL, 0, szB, v)), nil
}

// ipFrag holds unless the packet is an IPv4 fragment other than the first.
func (c *compiler) ipFrag() *cond {
	return not(leaf(c.loadA(orLinkPL, 6, szH), jmpJSET, 0x1fff))
}

func (c *compiler) protoAbbrev(p proto, t token) (*cond, error) {
	switch p {
	case pSCTP:
		return c.proto(ipProtoSCTP, pDefault, dDefault, t)
	case pTCP:
		return c.proto(ipProtoTCP, pDefault, dDefault, t)
	case pUDP:
		return c.proto(ipProtoUDP, pDefault, dDefault, t)
	case pICMP:
		return c.proto(ipProtoICMP, pIP, dDefault, t)
	case pIGMP:
		return c.proto(ipProtoIGMP, pIP, dDefault, t)
	case pICMP6:
		return c.proto(ipProtoICMPv6, pIP6, dDefault, t)
	case pIP:
		return c.linkType(etherTypeIP), nil
	case pIP6:
		return c.linkType(etherTypeIPv6), nil
	case pARP:
		return c.linkType(etherTypeARP), nil
	case pRARP:
		return c.linkType(etherTypeRARP), nil
	}
	return nil, errorTok(t, "'%s' alone is not a test: write e.g. 'ether host ADDR' or 'ether proto N'", t.text)
}

// proto tests for IP protocol v ("ip proto 6", "tcp"), or an ether type.
func (c *compiler) proto(v uint32, p proto, dir direction, t token) (*cond, error) {
	if dir != dDefault {
		return nil, errorTok(t, "'proto' takes no direction")
	}
	switch p {
	case pDefault:
		a, err := c.proto(v, pIP, dir, t)
		if err != nil {
			return nil, err
		}
		b, _ := c.proto(v, pIP6, dir, t)
		return or(a, b), nil
	case pLink:
		return c.etherProto(v, t)
	case pIP:
		if v > 255 {
			return nil, errorTok(t, "protocol %d is out of range: IP protocols are 0 to 255", v)
		}
		return and(c.linkType(etherTypeIP), c.cmp(orLinkPL, 9, szB, v)), nil
	case pIP6:
		if v > 255 {
			return nil, errorTok(t, "protocol %d is out of range: IP protocols are 0 to 255", v)
		}
		// The protocol is the next header, or follows a fragment header.
		b0 := c.linkType(etherTypeIPv6)
		b1 := and(c.cmp(orLinkPL, 6, szB, ipProtoFrag), c.cmp(orLinkPL, 40, szB, v))
		b1 = or(c.cmp(orLinkPL, 6, szB, v), b1)
		return and(b0, b1), nil
	}
	return nil, errorTok(t, "'%s proto' is not a test: 'proto' goes with ether, ip, ip6 or nothing", p)
}

// host tests an IPv4 address (with mask, for a network) in IP, ARP and
// RARP headers.
func (c *compiler) host(addr, mask uint32, p proto, dir direction, kind addrKind, t token) (*cond, error) {
	switch p {
	case pDefault:
		b0, _ := c.host(addr, mask, pIP, dir, kind, t)
		b1, _ := c.host(addr, mask, pARP, dir, kind, t)
		b1 = or(b0, b1)
		b2, _ := c.host(addr, mask, pRARP, dir, kind, t)
		return or(b1, b2), nil
	case pIP:
		return c.hostop(addr, mask, dir, etherTypeIP, 12, 16), nil
	case pARP:
		return c.hostop(addr, mask, dir, etherTypeARP, 14, 24), nil
	case pRARP:
		return c.hostop(addr, mask, dir, etherTypeRARP, 14, 24), nil
	case pIP6, pICMP6:
		return nil, errorTok(t, "'%s' goes with IPv6 addresses, not %s", p, t.text)
	}
	return nil, errorTok(t, "'%s' cannot qualify an address: use ip, arp or rarp (or nothing)", p)
}

func (c *compiler) hostop(addr, mask uint32, dir direction, ethertype, srcOff, dstOff uint32) *cond {
	var off uint32
	switch dir {
	case dSrc:
		off = srcOff
	case dDst:
		off = dstOff
	case dAnd:
		return and(c.hostop(addr, mask, dSrc, ethertype, srcOff, dstOff), c.hostop(addr, mask, dDst, ethertype, srcOff, dstOff))
	default:
		return or(c.hostop(addr, mask, dSrc, ethertype, srcOff, dstOff), c.hostop(addr, mask, dDst, ethertype, srcOff, dstOff))
	}
	return and(c.linkType(ethertype), c.mcmp(orLinkPL, off, szW, addr, mask))
}

func (c *compiler) host6(addr, mask [16]byte, p proto, dir direction, t token) (*cond, error) {
	switch p {
	case pDefault, pIP6:
		return c.hostop6(addr, mask, dir, 8, 24), nil
	case pIP, pARP, pRARP:
		return nil, errorTok(t, "'%s' goes with IPv4 addresses, not %s", p, t.text)
	}
	return nil, errorTok(t, "'%s' cannot qualify an address: use ip6 (or nothing)", p)
}

func (c *compiler) hostop6(addr, mask [16]byte, dir direction, srcOff, dstOff uint32) *cond {
	var off uint32
	switch dir {
	case dSrc:
		off = srcOff
	case dDst:
		off = dstOff
	case dAnd:
		return and(c.hostop6(addr, mask, dSrc, srcOff, dstOff), c.hostop6(addr, mask, dDst, srcOff, dstOff))
	default:
		return or(c.hostop6(addr, mask, dSrc, srcOff, dstOff), c.hostop6(addr, mask, dDst, srcOff, dstOff))
	}
	word := func(i int) *cond {
		return c.mcmp(orLinkPL, off+uint32(4*i), szW, binary.BigEndian.Uint32(addr[4*i:]), binary.BigEndian.Uint32(mask[4*i:]))
	}
	b := and(word(2), word(3))
	b = and(word(1), b)
	b = and(word(0), b)
	return and(c.linkType(etherTypeIPv6), b)
}

// ehost tests an Ethernet address: source at offset 6, destination at 0.
func (c *compiler) ehost(mac []byte, dir direction) *cond {
	switch dir {
	case dSrc:
		return c.bcmp(orLinkHdr, 6, mac)
	case dDst:
		return c.bcmp(orLinkHdr, 0, mac)
	case dAnd:
		return and(c.ehost(mac, dSrc), c.ehost(mac, dDst))
	}
	return or(c.ehost(mac, dSrc), c.ehost(mac, dDst))
}

// Ports. IPv4 ports are read only from the first fragment, after an IP
// header of any length; IPv6 ones only right after the fixed header.

func (c *compiler) portop(lo, hi uint32, ipProto uint32, dir direction) *cond {
	b0 := and(c.cmp(orLinkPL, 9, szB, ipProto), c.ipFrag())
	return and(b0, c.portDir(orTranIPv4, lo, hi, dir))
}

func (c *compiler) portop6(lo, hi uint32, ipProto uint32, dir direction) *cond {
	return and(c.cmp(orLinkPL, 6, szB, ipProto), c.portDir(orTranIPv6, lo, hi, dir))
}

// portDir tests the source port (offset 0), the destination port (2), or
// both, against one port (hi == noRange) or the range lo to hi.
func (c *compiler) portDir(rel offRel, lo, hi uint32, dir direction) *cond {
	atom := func(off uint32) *cond {
		if hi == noRange {
			return c.cmp(rel, off, szH, lo)
		}
		l, h := lo, hi
		if l > h {
			l, h = h, l
		}
		return and(c.ncmp(rel, off, szH, 0xffffffff, jmpJGE, false, l), c.ncmp(rel, off, szH, 0xffffffff, jmpJGT, true, h))
	}
	switch dir {
	case dSrc:
		return atom(0)
	case dDst:
		return atom(2)
	case dAnd:
		return and(atom(0), atom(2))
	}
	return or(atom(0), atom(2))
}

const noRange = ^uint32(0)

// port tests a port (hi == noRange) or a port range on TCP, UDP or SCTP
// (ipProto protoUndef: any of the three), over IPv6 then IPv4.
func (c *compiler) port(lo, hi uint32, ipProto int, dir direction) *cond {
	each := func(op func(lo, hi, proto uint32, dir direction) *cond) *cond {
		if ipProto != protoUndef {
			return op(lo, hi, uint32(ipProto), dir)
		}
		b := or(op(lo, hi, ipProtoTCP, dir), op(lo, hi, ipProtoUDP, dir))
		return or(op(lo, hi, ipProtoSCTP, dir), b)
	}
	v4 := and(c.linkType(etherTypeIP), each(c.portop))
	v6 := and(c.linkType(etherTypeIPv6), each(c.portop6))
	return or(v6, v4)
}

func portProto(p proto, t token, what string) (int, error) {
	switch p {
	case pDefault:
		return protoUndef, nil
	case pTCP:
		return ipProtoTCP, nil
	case pUDP:
		return ipProtoUDP, nil
	case pSCTP:
		return ipProtoSCTP, nil
	}
	return 0, errorTok(t, "'%s %s' is not a test: ports go with tcp, udp, sctp or nothing", p, what)
}

func (c *compiler) broadcast(p proto, t token) (*cond, error) {
	switch p {
	case pDefault, pLink:
		if !c.isEthernet() {
			return nil, errorTok(t, "link-layer broadcast needs Ethernet, not %s", linkName(c.link))
		}
		return c.ehost([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, dDst), nil
	case pIP:
		if c.netmask == 0xffffffff {
			return nil, errorTok(t, "'ip broadcast' needs the netmask, which is not known")
		}
		hostmask := ^c.netmask
		b := or(c.mcmp(orLinkPL, 16, szW, 0, hostmask), c.mcmp(orLinkPL, 16, szW, hostmask, hostmask))
		return and(c.linkType(etherTypeIP), b), nil
	}
	return nil, errorTok(t, "'%s broadcast' is not a test: use ether broadcast or ip broadcast", p)
}

func (c *compiler) multicast(p proto, t token) (*cond, error) {
	switch p {
	case pDefault, pLink:
		if !c.isEthernet() {
			return nil, errorTok(t, "link-layer multicast needs Ethernet, not %s", linkName(c.link))
		}
		return leaf(c.loadA(orLinkHdr, 0, szB), jmpJSET, 1), nil
	case pIP:
		return and(c.linkType(etherTypeIP), c.ncmp(orLinkPL, 16, szB, 0xffffffff, jmpJGE, false, 224)), nil
	case pIP6:
		return and(c.linkType(etherTypeIPv6), c.cmp(orLinkPL, 24, szB, 255)), nil
	}
	return nil, errorTok(t, "'%s multicast' is not a test: use ether, ip or ip6 multicast", p)
}

// vlan tests for an 802.1Q, 802.1ad or QinQ tag (with the given VLAN ID)
// and moves every offset after it by the tag's 4 bytes, as tcpdump does.
func (c *compiler) vlan(n *vlanNode) (*cond, error) {
	if !c.isEthernet() {
		return nil, errorTok(n.tok, "'vlan' needs Ethernet, not %s", linkName(c.link))
	}
	b := or(c.linkType(etherType8021Q), c.linkType(etherType8021AD))
	b = or(b, c.linkType(etherTypeQinQ))
	if n.hasID {
		if n.id > 0x0fff {
			return nil, errorTok(n.idTok, "VLAN ID %d is larger than 4095", n.id)
		}
		b = and(b, c.mcmp(orLinkPL, 0, szH, n.id, 0x0fff))
	}
	c.offLinkPL += 4
	c.offLinkType += 4
	return b, nil
}

// genID generates the test of an address, number or name under its
// qualifiers.
func (c *compiler) genID(n *idNode) (*cond, error) {
	q, t := n.q, n.tok
	if q.proto == pUndef {
		return nil, errorTok(t, "%q has no qualifier: write 'host', 'net', 'port'… before it (only after 'and'/'or' does it take those of the primitive before)", t.text)
	}
	switch n.kind {
	case idNum:
		return c.genNum(q, t.num, t)
	case idName:
		return c.genName(q, t)
	case idIPv4, idIPv4Len, idIPv4Mask:
		return c.genIPv4(n)
	case idIPv6, idIPv6Len:
		return c.genIPv6(n)
	case idMAC:
		if (q.addr != aHost && q.addr != aDefault) || q.proto != pLink {
			return nil, errorTok(t, "an Ethernet address goes with 'ether host', 'ether src' or 'ether dst'")
		}
		if !c.isEthernet() {
			return nil, errorTok(t, "Ethernet addresses need Ethernet, not %s", linkName(c.link))
		}
		mac, err := parseMAC(t.text)
		if err != nil {
			return nil, errorTok(t, "%v", err)
		}
		return c.ehost(mac, q.dir), nil
	}
	panic("filter: unknown id kind")
}

func (c *compiler) genNum(q qual, v uint32, t token) (*cond, error) {
	switch q.addr {
	case aDefault, aHost, aNet:
		if q.proto == pLink {
			return nil, errorTok(t, "%s is not an Ethernet address: write six bytes as in 00:11:22:33:44:55", t.text)
		}
		mask := uint32(0xffffffff)
		if q.addr == aNet {
			// "net 10" is 10.0.0.0/8.
			for v != 0 && v&0xff000000 == 0 {
				v <<= 8
				mask <<= 8
			}
		}
		return c.host(v, mask, q.proto, q.dir, q.addr, t)
	case aPort, aPortrange:
		what := addrNames[q.addr]
		ipProto, err := portProto(q.proto, t, what)
		if err != nil {
			return nil, err
		}
		if v > 65535 {
			return nil, errorTok(t, "port %d is larger than 65535", v)
		}
		hi := noRange
		if q.addr == aPortrange {
			hi = v
		}
		return c.port(v, hi, ipProto, q.dir), nil
	case aProto:
		return c.proto(v, q.proto, q.dir, t)
	}
	panic("filter: unknown address kind")
}

func (c *compiler) genName(q qual, t token) (*cond, error) {
	name := strings.TrimPrefix(t.text, `\`) // as in proto \tcp
	switch q.addr {
	case aPort:
		return nil, errorTok(t, "port names are not looked up: write the port number")
	case aPortrange:
		ipProto, err := portProto(q.proto, t, "portrange")
		if err != nil {
			return nil, err
		}
		lo, hi, err := parsePortRange(name)
		if err != nil {
			return nil, errorTok(t, "%v", err)
		}
		return c.port(lo, hi, ipProto, q.dir), nil
	case aProto:
		if q.proto == pLink {
			v, ok := etherProtoNames[name]
			if !ok {
				return nil, errorTok(t, "unknown ether protocol name %q: write its number", name)
			}
			return c.proto(v, q.proto, q.dir, t)
		}
		v, ok := ipProtoNames[name]
		if !ok {
			return nil, errorTok(t, "unknown IP protocol name %q: write its number", name)
		}
		return c.proto(v, q.proto, q.dir, t)
	}
	if q.proto == pLink {
		return nil, errorTok(t, "Ethernet host names are not looked up: write the address as 00:11:22:33:44:55")
	}
	return nil, errorTok(t, "%q is not an address, and rawsock does not look up host names: write the address", name)
}

func (c *compiler) genIPv4(n *idNode) (*cond, error) {
	q, t := n.q, n.tok
	if q.proto == pLink {
		return nil, errorTok(t, "%s is not an Ethernet address: write six bytes as in 00:11:22:33:44:55", t.text)
	}
	addr, bits, err := parseIPv4(t.text)
	if err != nil {
		return nil, errorTok(t, "%v", err)
	}
	// A short address stands for a network: "10.1" is 10.1.0.0/16.
	addr <<= 32 - bits
	mask := uint32(0xffffffff) << (32 - bits)
	if bits == 0 {
		mask = 0
	}
	switch n.kind {
	case idIPv4:
		return c.host(addr, mask, q.proto, q.dir, q.addr, t)
	case idIPv4Len:
		if n.plen > 32 {
			return nil, errorTok(n.extra, "prefix length %d is longer than 32", n.plen)
		}
		mask = 0
		if n.plen > 0 {
			mask = 0xffffffff << (32 - n.plen)
		}
	case idIPv4Mask:
		m, mbits, err := parseIPv4(n.extra.text)
		if err != nil {
			return nil, errorTok(n.extra, "%v", err)
		}
		mask = m << (32 - mbits)
	}
	if addr&^mask != 0 {
		return nil, errorTok(t, "%s has bits set outside the network mask", t.text)
	}
	if q.addr != aNet {
		return nil, errorTok(t, "a network with a mask goes with 'net', not '%s'", addrNames[q.addr])
	}
	return c.host(addr, mask, q.proto, q.dir, q.addr, t)
}

func (c *compiler) genIPv6(n *idNode) (*cond, error) {
	q, t := n.q, n.tok
	a, err := netip.ParseAddr(t.text)
	if err != nil || !a.Is6() || a.Zone() != "" {
		return nil, errorTok(t, "%s is not a valid IPv6 address", t.text)
	}
	plen := uint32(128)
	if n.kind == idIPv6Len {
		plen = n.plen
		if plen > 128 {
			return nil, errorTok(n.extra, "prefix length %d is longer than 128", plen)
		}
	}
	addr := a.As16()
	var mask [16]byte
	for i := uint32(0); i < plen; i++ {
		mask[i/8] |= 0x80 >> (i % 8)
	}
	for i := range addr {
		if addr[i]&^mask[i] != 0 {
			return nil, errorTok(t, "%s/%d has bits set outside the prefix", t.text, plen)
		}
	}
	switch q.addr {
	case aDefault, aHost:
		if plen != 128 {
			return nil, errorTok(t, "a network with a prefix length goes with 'net', not '%s'", addrNames[q.addr])
		}
	case aNet:
	default:
		return nil, errorTok(t, "'%s' needs a number, not an IP address", addrNames[q.addr])
	}
	if q.proto == pLink {
		return nil, errorTok(t, "%s is not an Ethernet address: write six bytes as in 00:11:22:33:44:55", t.text)
	}
	return c.host6(addr, mask, q.proto, q.dir, t)
}

// parseIPv4 reads 1 to 4 dotted decimal parts, each 0 to 255, and returns
// them as the high bits of the result and how many bits they make.
func parseIPv4(s string) (uint32, uint32, error) {
	parts := strings.Split(s, ".")
	var v uint32
	for _, p := range parts {
		n, err := strconv.ParseUint(p, 10, 32)
		if err != nil || n > 255 {
			return 0, 0, errorf("%s is not a valid IPv4 address: each part is a decimal number from 0 to 255", s)
		}
		v = v<<8 | uint32(n)
	}
	return v, uint32(8 * len(parts)), nil
}

// parseMAC reads an Ethernet address in any of tcpdump's forms:
// 00:11:22:33:44:55, 00-11-…, 00.11.…, 0011.2233.4455 or 001122334455.
func parseMAC(s string) ([]byte, error) {
	var groups []string
	if i := strings.IndexAny(s, ":-."); i >= 0 {
		groups = strings.Split(s, s[i:i+1])
	} else {
		groups = []string{s[0:4], s[4:8], s[8:12]}
	}
	var mac []byte
	for _, g := range groups {
		v, err := strconv.ParseUint(g, 16, 16)
		if err != nil {
			return nil, errorf("%s is not a valid Ethernet address", s)
		}
		if len(groups) == 3 {
			mac = append(mac, byte(v>>8), byte(v))
		} else {
			mac = append(mac, byte(v))
		}
	}
	if len(mac) != 6 {
		return nil, errorf("%s is not a valid Ethernet address", s)
	}
	return mac, nil
}

// parsePortRange reads "LOW-HIGH" in decimal.
func parsePortRange(s string) (uint32, uint32, error) {
	lo, hi, ok := strings.Cut(s, "-")
	a, err1 := strconv.ParseUint(lo, 10, 32)
	b, err2 := strconv.ParseUint(hi, 10, 32)
	if !ok || err1 != nil || err2 != nil {
		return 0, 0, errorf("%q is not a port range: write LOW-HIGH in decimal, as in 1024-65535", s)
	}
	for _, p := range []uint64{a, b} {
		if p > 65535 {
			return 0, 0, errorf("port %d is larger than 65535", p)
		}
	}
	return uint32(a), uint32(b), nil
}

// ipProtoNames are the IP protocol names "proto \NAME" accepts: those of
// IANA's list as Debian's /etc/protocols spells them. They are built in, so
// a filter means the same on every machine.
var ipProtoNames = map[string]uint32{
	"ip": 0, "hopopt": 0, "icmp": 1, "igmp": 2, "ggp": 3, "ipencap": 4, "st": 5, "tcp": 6,
	"egp": 8, "igp": 9, "pup": 12, "udp": 17, "hmp": 20, "xns-idp": 22, "rdp": 27,
	"iso-tp4": 29, "dccp": 33, "xtp": 36, "ddp": 37, "idpr-cmtp": 38, "ipv6": 41,
	"ipv6-route": 43, "ipv6-frag": 44, "idrp": 45, "rsvp": 46, "gre": 47, "esp": 50, "ah": 51,
	"skip": 57, "ipv6-icmp": 58, "ipv6-nonxt": 59, "ipv6-opts": 60, "rspf": 73, "vmtp": 81,
	"eigrp": 88, "ospf": 89, "ax.25": 93, "ipip": 94, "etherip": 97, "encap": 98, "pim": 103,
	"ipcomp": 108, "vrrp": 112, "l2tp": 115, "isis": 124, "sctp": 132, "fc": 133,
	"mobility-header": 135, "udplite": 136, "mpls-in-ip": 137, "manet": 138, "hip": 139,
	"shim6": 140, "wesp": 141, "rohc": 142, "ethernet": 143,
}

// etherProtoNames are the names "ether proto \NAME" accepts, from
// libpcap's built-in table (those above 1500).
var etherProtoNames = map[string]uint32{
	"ip": etherTypeIP, "ip6": etherTypeIPv6, "arp": etherTypeARP, "rarp": etherTypeRARP,
	"loopback": 0x9000, "decnet": 0x6003, "lat": 0x6004, "mopdl": 0x6001, "moprc": 0x6002,
	"sca": 0x6007, "lanbridge": 0x8038, "vexp": 0x805b, "vprod": 0x805c, "decdns": 0x803c,
	"decdts": 0x803e, "xns": 0x0600,
}
