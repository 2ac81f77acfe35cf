package craft

import (
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gopacket/gopacket"
)

// registry is every layer of the language, in the order "rawsock layers"
// lists them.
var registry = []*layerDef{etherDef, ipDef, ip6Def, icmpDef, icmp6Def, igmpDef, tcpDef, udpDef, rawDef}

func lookupLayer(name string) *layerDef {
	for _, d := range registry {
		if d.name == name {
			return d
		}
	}
	return nil
}

func layerNames() []string {
	out := make([]string, len(registry))
	for i, d := range registry {
		out[i] = d.name
	}
	return out
}

var protoNames = nameTable{
	{"hopopt", 0}, {"icmp", 1}, {"igmp", 2}, {"ipip", 4}, {"tcp", 6}, {"udp", 17}, {"ipv6", 41},
	{"gre", 47}, {"esp", 50}, {"ah", 51}, {"icmp6", 58}, {"nonxt", 59}, {"sctp", 132},
}

var etherTypeNames = nameTable{
	{"ipv4", 0x0800}, {"arp", 0x0806}, {"vlan", 0x8100}, {"ipv6", 0x86dd}, {"loop", 0x9000},
}

// Ethernet.

var etherDef = &layerDef{
	name:    "ether",
	summary: "Ethernet II header; sent through AF_PACKET on the interface given with -I",
	new:     func() gopacket.SerializableLayer { return &Ether{} },
	carries: []string{"ip", "ip6", "raw"},
	fields: []*fieldDef{
		macField("dst", func(l any) *[6]byte { return &l.(*Ether).Dst }).
			withDefault("ff:ff:ff:ff:ff:ff").withHelp("the group's MAC (01:00:5e:…, 33:33:…) for a multicast IP dst").
			withAuto(func(c *fillCtx) { c.l.(*Ether).Dst = multicastMAC(c.next) }).setDynamic(),
		macField("src", func(l any) *[6]byte { return &l.(*Ether).Src }).
			withDefault("the -I interface's MAC").withHelp("00:00:00:00:00:00 without -I").
			withAuto(func(c *fillCtx) { c.l.(*Ether).Src = c.b.mac }).setDynamic(),
		numField("type", 16, func(l any) *uint16 { return &l.(*Ether).Type }).named(etherTypeNames, nil).hex().
			withDefault("from the next layer").keeps(KeepNext).withHelp("ipv4, ipv6, arp, vlan or a number; 0x9000 when nothing follows"),
		bytesField("trailer", func(l any) *[]byte { return &l.(*Ether).Trailer }).
			withDefault(`""`).withHelp("bytes after the payload (padding)"),
	},
}

// setDynamic makes Expr always write the field.
func (f *fieldDef) setDynamic() *fieldDef { f.dynamic = true; return f }

func multicastMAC(next gopacket.SerializableLayer) [6]byte {
	switch ip := next.(type) {
	case *IPv4:
		if ip.Dst.Is4() && ip.Dst.IsMulticast() {
			a := ip.Dst.As4()
			return [6]byte{0x01, 0x00, 0x5e, a[1] & 0x7f, a[2], a[3]}
		}
	case *IPv6:
		if ip.Dst.IsMulticast() {
			a := ip.Dst.As16()
			return [6]byte{0x33, 0x33, a[12], a[13], a[14], a[15]}
		}
	}
	return [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
}

// IPv4.

var (
	loopback4 = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	allHosts  = netip.AddrFrom4([4]byte{224, 0, 0, 1})
	allRouter = netip.AddrFrom4([4]byte{224, 0, 0, 2})
	igmpv3Rtr = netip.AddrFrom4([4]byte{224, 0, 0, 22})
	raOption  = IPOptRouterAlert()
)

var ipDef = &layerDef{
	name:    "ip",
	summary: "IPv4 header (RFC 791) with options; sent through SOCK_RAW with IP_HDRINCL",
	new: func() gopacket.SerializableLayer {
		return &IPv4{Version: 4, TTL: 64, Dst: loopback4}
	},
	carries: []string{"icmp", "igmp", "tcp", "udp", "ip", "ip6", "raw"},
	fields: []*fieldDef{
		numField("version", 4, func(l any) *uint8 { return &l.(*IPv4).Version }).withDefault("4"),
		numField("ihl", 4, func(l any) *uint8 { return &l.(*IPv4).IHL }).
			withDefault("computed").keeps(KeepHeaderLength).withHelp("header length in 32-bit words"),
		numField("tos", 8, func(l any) *uint8 { return &l.(*IPv4).TOS }).hex().
			withDefault("0 (igmp v3: 0xc0)").
			withAuto(func(c *fillCtx) {
				ip := c.l.(*IPv4)
				ip.TOS = 0
				if g, ok := c.next.(*IGMP); ok && g.Version == 3 {
					ip.TOS = 0xc0
				}
			}),
		numField("len", 16, func(l any) *uint16 { return &l.(*IPv4).Length }).
			withDefault("computed").keeps(KeepLength),
		numField("id", 16, func(l any) *uint16 { return &l.(*IPv4).ID }).
			withDefault("random").random(func(c *fillCtx) { c.l.(*IPv4).ID = uint16(c.b.rng.Uint64()) }),
		flagsField("flags", 3, ipFlagNames, func(l any) *uint8 { return &l.(*IPv4).Flags }).
			withDefault("0").withHelp("DF, MF, evil joined with +, or a number"),
		numField("frag", 13, func(l any) *uint16 { return &l.(*IPv4).FragOffset }).
			withDefault("0").withHelp("fragment offset in units of 8 bytes"),
		numField("ttl", 8, func(l any) *uint8 { return &l.(*IPv4).TTL }).
			withDefault("64 (igmp: 1)").
			withAuto(func(c *fillCtx) {
				ip := c.l.(*IPv4)
				ip.TTL = 64
				if _, ok := c.next.(*IGMP); ok {
					ip.TTL = 1
				}
			}),
		numField("proto", 8, func(l any) *uint8 { return &l.(*IPv4).Protocol }).named(protoNames, nil).
			withDefault("from the next layer").keeps(KeepNext).withHelp("0 when raw or nothing follows"),
		numField("chksum", 16, func(l any) *uint16 { return &l.(*IPv4).Checksum }).hex().
			withDefault("computed").keeps(KeepChecksum),
		addrField("src", false, func(l any) *netip.Addr { return &l.(*IPv4).Src }).
			withDefault("from the route to dst").
			withAuto(func(c *fillCtx) { ip := c.l.(*IPv4); ip.Src = c.b.source(ip.Dst) }).setDynamic(),
		addrField("dst", false, func(l any) *netip.Addr { return &l.(*IPv4).Dst }).
			withDefault("127.0.0.1 (igmp: by type)").
			withHelp("under igmp: the group (reports, queries), 224.0.0.1 (general query), 224.0.0.2 (leave), 224.0.0.22 (v3 report)").
			withAuto(func(c *fillCtx) {
				ip := c.l.(*IPv4)
				ip.Dst = loopback4
				if g, ok := c.next.(*IGMP); ok {
					ip.Dst = igmpDst(g)
				}
			}).setDynamic(),
		ipOptionsField().
			withDefault("[] (igmp v2, v3: [ra])").
			withAuto(func(c *fillCtx) {
				ip := c.l.(*IPv4)
				ip.Options = nil
				if g, ok := c.next.(*IGMP); ok && g.Version >= 2 {
					ip.Options = raOption
				}
			}),
	},
}

var ipFlagNames = nameTable{{"DF", 2}, {"MF", 1}, {"evil", 4}}

func igmpDst(g *IGMP) netip.Addr {
	group := g.Group.IsValid() && !g.Group.IsUnspecified()
	switch g.Type {
	case IGMPv3Report:
		return igmpv3Rtr
	case IGMPv2Leave:
		return allRouter
	case IGMPQuery, IGMPv1Report, IGMPv2Report:
		if group {
			return g.Group
		}
	}
	return allHosts
}

// IPv6.

var ip6Def = &layerDef{
	name:    "ip6",
	summary: "IPv6 header (RFC 8200); sent through SOCK_RAW with IPV6_HDRINCL",
	new: func() gopacket.SerializableLayer {
		return &IPv6{Version: 6, HopLimit: 64, Dst: netip.IPv6Loopback()}
	},
	carries: []string{"icmp6", "tcp", "udp", "ip", "ip6", "raw"},
	fields: []*fieldDef{
		numField("version", 4, func(l any) *uint8 { return &l.(*IPv6).Version }).withDefault("6"),
		numField("tc", 8, func(l any) *uint8 { return &l.(*IPv6).TrafficClass }).withDefault("0").withHelp("traffic class"),
		numField("fl", 20, func(l any) *uint32 { return &l.(*IPv6).FlowLabel }).withDefault("0").withHelp("flow label"),
		numField("plen", 16, func(l any) *uint16 { return &l.(*IPv6).Length }).
			withDefault("computed").keeps(KeepLength).withHelp("payload length"),
		numField("nh", 8, func(l any) *uint8 { return &l.(*IPv6).NextHeader }).named(protoNames, nil).
			withDefault("from the next layer").keeps(KeepNext).withHelp("59 (nonxt) when raw or nothing follows"),
		numField("hlim", 8, func(l any) *uint8 { return &l.(*IPv6).HopLimit }).withDefault("64"),
		addrField("src", true, func(l any) *netip.Addr { return &l.(*IPv6).Src }).
			withDefault("from the route to dst").
			withAuto(func(c *fillCtx) { ip := c.l.(*IPv6); ip.Src = c.b.source(ip.Dst) }).setDynamic(),
		addrField("dst", true, func(l any) *netip.Addr { return &l.(*IPv6).Dst }).withDefault("::1").setDynamic(),
	},
}

// ICMPv4.

var icmpTypeNames = nameTable{
	{"echo-reply", 0}, {"dest-unreach", 3}, {"source-quench", 4}, {"redirect", 5},
	{"echo-request", 8}, {"router-advertisement", 9}, {"router-solicitation", 10},
	{"time-exceeded", 11}, {"parameter-problem", 12}, {"timestamp-request", 13},
	{"timestamp-reply", 14}, {"information-request", 15}, {"information-reply", 16},
	{"address-mask-request", 17}, {"address-mask-reply", 18},
	{"information-response", 16}, {"echo", 8},
}

var icmpCodeNames = map[uint8]nameTable{
	3: {{"network-unreachable", 0}, {"host-unreachable", 1}, {"protocol-unreachable", 2},
		{"port-unreachable", 3}, {"fragmentation-needed", 4}, {"source-route-failed", 5},
		{"network-unknown", 6}, {"host-unknown", 7}, {"host-isolated", 8}, {"network-prohibited", 9},
		{"host-prohibited", 10}, {"TOS-network-unreachable", 11}, {"TOS-host-unreachable", 12},
		{"communication-prohibited", 13}, {"host-precedence-violation", 14}, {"precedence-cutoff", 15}},
	5:  {{"network-redirect", 0}, {"host-redirect", 1}, {"TOS-network-redirect", 2}, {"TOS-host-redirect", 3}},
	11: {{"ttl-zero-during-transit", 0}, {"ttl-zero-during-reassembly", 1}},
	12: {{"ip-header-bad", 0}, {"required-option-missing", 1}},
}

func icmpOf(l any) uint8 { return l.(*ICMPv4).Type }

func icmpTypes(types ...uint8) func(l any) bool {
	return func(l any) bool {
		t := icmpOf(l)
		for _, x := range types {
			if t == x {
				return true
			}
		}
		return false
	}
}

var icmpDef = &layerDef{
	name:    "icmp",
	summary: "ICMP message (RFC 792); an error type quotes the layers after it (icmp(type=time-exceeded)/ip(…)/udp(…))",
	new: func() gopacket.SerializableLayer {
		return &ICMPv4{Type: ICMPEchoRequest}
	},
	carries: []string{"ip", "raw"},
	fields: []*fieldDef{
		numField("type", 8, func(l any) *uint8 { return &l.(*ICMPv4).Type }).named(icmpTypeNames, nil).
			withDefault("echo-request").setDynamic(),
		numField("code", 8, func(l any) *uint8 { return &l.(*ICMPv4).Code }).
			named(nil, func(l any) nameTable { return icmpCodeNames[icmpOf(l)] }).withDefault("0").
			withHelp("names for the codes of dest-unreach, redirect, time-exceeded, parameter-problem (docs/expressions.md)"),
		numField("chksum", 16, func(l any) *uint16 { return &l.(*ICMPv4).Checksum }).hex().
			withDefault("computed").keeps(KeepChecksum),
		numField("id", 16, func(l any) *uint16 { return &l.(*ICMPv4).ID }).
			withDefault("random").random(func(c *fillCtx) { c.l.(*ICMPv4).ID = uint16(c.b.rng.Uint64()) }).
			only(func(l any) bool { return icmpHasIDSeq(icmpOf(l)) }).withHelp("echo, timestamp, information, address mask"),
		numField("seq", 16, func(l any) *uint16 { return &l.(*ICMPv4).Seq }).withDefault("0").
			only(func(l any) bool { return icmpHasIDSeq(icmpOf(l)) }).withHelp("echo, timestamp, information, address mask"),
		numField("ts_ori", 32, func(l any) *uint32 { return &l.(*ICMPv4).Originate }).
			withDefault("now").withHelp("timestamp; ms since midnight UTC").random(func(c *fillCtx) {
			c.l.(*ICMPv4).Originate = msSinceMidnight(c.b.now())
		}).only(icmpTypes(13, 14)).withHelp("timestamp"),
		numField("ts_rx", 32, func(l any) *uint32 { return &l.(*ICMPv4).Receive }).withDefault("0").
			only(icmpTypes(13, 14)).withHelp("timestamp"),
		numField("ts_tx", 32, func(l any) *uint32 { return &l.(*ICMPv4).Transmit }).withDefault("0").
			only(icmpTypes(13, 14)).withHelp("timestamp"),
		addrField("gw", false, func(l any) *netip.Addr { return &l.(*ICMPv4).Gateway }).withDefault("0.0.0.0").
			only(icmpTypes(5)).withHelp("redirect"),
		numField("ptr", 8, func(l any) *uint8 { return &l.(*ICMPv4).Pointer }).withDefault("0").
			only(icmpTypes(12)).withHelp("parameter-problem"),
		numField("reserved", 8, func(l any) *uint8 { return &l.(*ICMPv4).Reserved }).withDefault("0").
			only(icmpTypes(3, 11)).withHelp("dest-unreach, time-exceeded"),
		numField("length", 8, func(l any) *uint8 { return &l.(*ICMPv4).Length }).withDefault("0").
			only(icmpTypes(3, 11, 12)).withHelp("RFC 4884 length of the quoted datagram in 32-bit words"),
		addrField("addr_mask", false, func(l any) *netip.Addr { return &l.(*ICMPv4).AddrMask }).withDefault("0.0.0.0").
			only(icmpTypes(17, 18)).withHelp("address mask"),
		numField("nexthopmtu", 16, func(l any) *uint16 { return &l.(*ICMPv4).NextHopMTU }).withDefault("0").
			only(icmpTypes(3)).withHelp("dest-unreach fragmentation-needed"),
		numField("unused", 32, func(l any) *uint32 { return &l.(*ICMPv4).Unused }).withDefault("0").
			only(func(l any) bool { t := icmpOf(l); return !icmpHasIDSeq(t) && t != 3 && t != 5 }).
			withHelp("16 bits for time-exceeded and parameter-problem, 32 for other types"),
	},
	check: checkApplies,
}

func msSinceMidnight(t time.Time) uint32 {
	t = t.UTC()
	y, m, d := t.Date()
	return uint32(t.Sub(time.Date(y, m, d, 0, 0, 0, 0, time.UTC)).Milliseconds())
}

// checkApplies refuses a field that no value of the layer's type carries
// (gw in an echo request), and a 16-bit unused given more.
func checkApplies(c *parseCtx) error {
	ls := c.scratch()
	for _, f := range c.layer.fields {
		if f.def.applies == nil {
			continue
		}
		ok := false
		for _, l := range ls {
			ok = ok || f.def.applies(l)
		}
		if !ok {
			typ := c.def.fields[0]
			return errAt(f.col, "field %s does not apply to %s type %s", f.def.name, c.def.name, typ.show(typ.get(ls[0]), ls[0]))
		}
	}
	return nil
}

// ICMPv6.

var icmp6TypeNames = nameTable{
	{"echo-request", 128}, {"echo-reply", 129}, {"dest-unreach", 1}, {"packet-too-big", 2},
	{"time-exceeded", 3}, {"parameter-problem", 4},
}

func icmp6Of(l any) uint8 { return l.(*ICMPv6).Type }

var icmp6Def = &layerDef{
	name:    "icmp6",
	summary: "ICMPv6 message (RFC 4443): echo request and reply, and the error types",
	new: func() gopacket.SerializableLayer {
		return &ICMPv6{Type: 128}
	},
	carries: []string{"ip6", "raw"},
	fields: []*fieldDef{
		numField("type", 8, func(l any) *uint8 { return &l.(*ICMPv6).Type }).named(icmp6TypeNames, nil).
			withDefault("echo-request").setDynamic(),
		numField("code", 8, func(l any) *uint8 { return &l.(*ICMPv6).Code }).withDefault("0"),
		numField("cksum", 16, func(l any) *uint16 { return &l.(*ICMPv6).Checksum }).hex().alias("chksum").
			withDefault("computed").keeps(KeepChecksum),
		numField("id", 16, func(l any) *uint16 { return &l.(*ICMPv6).ID }).
			withDefault("random").random(func(c *fillCtx) { c.l.(*ICMPv6).ID = uint16(c.b.rng.Uint64()) }).
			only(func(l any) bool { t := icmp6Of(l); return t == 128 || t == 129 }).withHelp("echo"),
		numField("seq", 16, func(l any) *uint16 { return &l.(*ICMPv6).Seq }).withDefault("0").
			only(func(l any) bool { t := icmp6Of(l); return t == 128 || t == 129 }).withHelp("echo"),
		numField("mtu", 32, func(l any) *uint32 { return &l.(*ICMPv6).MTU }).withDefault("0").
			only(func(l any) bool { return icmp6Of(l) == 2 }).withHelp("packet-too-big"),
		numField("ptr", 32, func(l any) *uint32 { return &l.(*ICMPv6).Pointer }).withDefault("0").
			only(func(l any) bool { return icmp6Of(l) == 4 }).withHelp("parameter-problem"),
		numField("length", 8, func(l any) *uint8 { return &l.(*ICMPv6).Length }).withDefault("0").
			only(func(l any) bool { t := icmp6Of(l); return t == 1 || t == 3 }).withHelp("dest-unreach, time-exceeded (RFC 4884)"),
		numField("unused", 32, func(l any) *uint32 { return &l.(*ICMPv6).Unused }).withDefault("0").
			only(func(l any) bool { t := icmp6Of(l); return t != 128 && t != 129 && t != 2 && t != 4 }).
			withHelp("24 bits for dest-unreach and time-exceeded, 32 for unknown types"),
	},
	check: checkApplies,
}

// IGMP.

// igmpTypeNames encode the version in the second byte, so that the name
// picks the layout of type 0x11.
var igmpTypeNames = nameTable{
	{"v2-query", 0x211}, {"v1-query", 0x111}, {"v3-query", 0x311},
	{"v1-report", 0x112}, {"v2-report", 0x216}, {"v2-leave", 0x217}, {"v3-report", 0x322},
	{"query", 0x211}, {"leave", 0x217},
}

func igmpOf(l any) *IGMP { return l.(*IGMP) }

var igmpDef = &layerDef{
	name:    "igmp",
	summary: "IGMP message, versions 1, 2 and 3 (RFC 1112, 2236, 3376)",
	new: func() gopacket.SerializableLayer {
		return &IGMP{Type: IGMPQuery, Version: 2, QRV: 2, QQIC: 125}
	},
	carries: []string{"raw"},
	fields: []*fieldDef{
		igmpTypeField(),
		numField("mrcode", 8, func(l any) *uint8 { return &l.(*IGMP).MaxRespCode }).
			withDefault("100 in queries, else 0").withHelp("max response code (100: 10 s); reserved in reports").
			withAuto(func(c *fillCtx) {
				g := c.l.(*IGMP)
				g.MaxRespCode = 0
				if g.Type == IGMPQuery && g.Version >= 2 {
					g.MaxRespCode = 100
				}
			}),
		numField("chksum", 16, func(l any) *uint16 { return &l.(*IGMP).Checksum }).hex().
			withDefault("computed").keeps(KeepChecksum),
		addrField("gaddr", false, func(l any) *netip.Addr { return &l.(*IGMP).Group }).withDefault("0.0.0.0").
			only(func(l any) bool { return !igmpOf(l).isV3Report() }).withHelp("group address"),
		numField("resv", 4, func(l any) *uint8 { return &l.(*IGMP).Resv }).withDefault("0").
			only(func(l any) bool { return igmpOf(l).isV3Query() }).withHelp("v3 query"),
		numField("s", 1, func(l any) *uint8 { return &l.(*IGMP).S }).withDefault("0").
			only(func(l any) bool { return igmpOf(l).isV3Query() }).withHelp("v3 query: suppress router-side processing"),
		numField("qrv", 3, func(l any) *uint8 { return &l.(*IGMP).QRV }).withDefault("2").
			only(func(l any) bool { return igmpOf(l).isV3Query() }).withHelp("v3 query: querier's robustness variable"),
		numField("qqic", 8, func(l any) *uint8 { return &l.(*IGMP).QQIC }).withDefault("125").
			only(func(l any) bool { return igmpOf(l).isV3Query() }).withHelp("v3 query: querier's query interval code"),
		numField("numsrc", 16, func(l any) *uint16 { return &l.(*IGMP).NumSources }).withDefault("computed").
			keeps(KeepCount).only(func(l any) bool { return igmpOf(l).isV3Query() }).withHelp("v3 query"),
		addrListField("srcaddrs", func(l any) *[]netip.Addr { return &l.(*IGMP).Sources }).
			only(func(l any) bool { return igmpOf(l).isV3Query() }).withHelp("v3 query: source addresses"),
		numField("res2", 16, func(l any) *uint16 { return &l.(*IGMP).Res2 }).withDefault("0").
			only(func(l any) bool { return igmpOf(l).isV3Report() }).withHelp("v3 report: reserved"),
		numField("numgrp", 16, func(l any) *uint16 { return &l.(*IGMP).NumRecords }).withDefault("computed").
			keeps(KeepCount).only(func(l any) bool { return igmpOf(l).isV3Report() }).withHelp("v3 report"),
		recordsField().only(func(l any) bool { return igmpOf(l).isV3Report() }).
			withHelp("v3 report; a record is {rtype, maddr, srcaddrs, auxdata, numsrc, auxdlen}"),
	},
	check: checkIGMP,
}

func igmpTypeField() *fieldDef {
	f := numField("type", 8, func(l any) *uint8 { return &l.(*IGMP).Type }).named(igmpTypeNames, nil).
		withDefault("v2-query").setDynamic()
	f.typ = "name or 0-255"
	f.set = func(l any, v *value) {
		g := l.(*IGMP)
		g.Type = uint8(v.n)
		g.Version = uint8(v.n >> 8)
		if g.Version == 0 {
			g.Version = igmpVersionOf(g.Type)
		}
	}
	f.get = func(l any) value {
		g := l.(*IGMP)
		return value{n: uint64(g.Version)<<8 | uint64(g.Type)}
	}
	f.show = func(v value, _ any) string {
		if s, ok := igmpTypeNames.name(v.n); ok {
			return s
		}
		return "0x" + strconv.FormatUint(v.n&0xff, 16)
	}
	return f
}

// checkIGMP makes a numeric query type a v3 query when v3 query fields are
// given, then checks that every field applies.
func checkIGMP(c *parseCtx) error {
	v3 := false
	for _, f := range c.layer.fields {
		switch f.def.name {
		case "resv", "s", "qrv", "qqic", "numsrc", "srcaddrs":
			v3 = true
		}
	}
	for _, f := range c.layer.fields {
		if f.def.name != "type" {
			continue
		}
		for i := range f.items {
			it := &f.items[i]
			if it.v.n == uint64(IGMPQuery) && v3 && it.count == 1 {
				it.v.n = 0x311
			}
		}
	}
	return checkApplies(c)
}

// TCP.

var tcpDef = &layerDef{
	name:    "tcp",
	summary: "TCP header (RFC 9293) with options",
	new: func() gopacket.SerializableLayer {
		return &TCP{DstPort: 80, Flags: TCPSyn, Window: 8192}
	},
	carries: []string{"raw"},
	fields: []*fieldDef{
		numField("sport", 16, func(l any) *uint16 { return &l.(*TCP).SrcPort }).withDefault("random 1024-65535").
			random(func(c *fillCtx) { c.l.(*TCP).SrcPort = randomPort(c.b) }),
		numField("dport", 16, func(l any) *uint16 { return &l.(*TCP).DstPort }).withDefault("80"),
		numField("seq", 32, func(l any) *uint32 { return &l.(*TCP).Seq }).withDefault("random").
			random(func(c *fillCtx) { c.l.(*TCP).Seq = uint32(c.b.rng.Uint64()) }),
		numField("ack", 32, func(l any) *uint32 { return &l.(*TCP).Ack }).withDefault("0"),
		numField("dataofs", 4, func(l any) *uint8 { return &l.(*TCP).DataOffset }).withDefault("computed").
			keeps(KeepHeaderLength).withHelp("header length in 32-bit words"),
		numField("reserved", 3, func(l any) *uint8 { return &l.(*TCP).Reserved }).withDefault("0"),
		flagsField("flags", 9, tcpFlagNames, func(l any) *uint16 { return &l.(*TCP).Flags }).withDefault("S").setDynamic().
			withHelp("letters of FSRPAUECN (SA is SYN+ACK), or a number"),
		numField("window", 16, func(l any) *uint16 { return &l.(*TCP).Window }).withDefault("8192"),
		numField("chksum", 16, func(l any) *uint16 { return &l.(*TCP).Checksum }).hex().
			withDefault("computed").keeps(KeepChecksum),
		numField("urgptr", 16, func(l any) *uint16 { return &l.(*TCP).Urgent }).withDefault("0"),
		tcpOptionsField().withDefault("[]"),
	},
}

var tcpFlagNames = func() nameTable {
	var t nameTable
	for i, c := range tcpFlagLetters {
		t = append(t, struct {
			name string
			n    uint64
		}{string(c), 1 << i})
	}
	return t
}()

func randomPort(b *Builder) uint16 { return uint16(1024 + b.rng.Uint64()%(65536-1024)) }

// UDP.

var udpDef = &layerDef{
	name:    "udp",
	summary: "UDP header (RFC 768)",
	new: func() gopacket.SerializableLayer {
		return &UDP{DstPort: 53}
	},
	carries: []string{"raw"},
	fields: []*fieldDef{
		numField("sport", 16, func(l any) *uint16 { return &l.(*UDP).SrcPort }).withDefault("random 1024-65535").
			random(func(c *fillCtx) { c.l.(*UDP).SrcPort = randomPort(c.b) }),
		numField("dport", 16, func(l any) *uint16 { return &l.(*UDP).DstPort }).withDefault("53"),
		numField("len", 16, func(l any) *uint16 { return &l.(*UDP).Length }).withDefault("computed").keeps(KeepLength),
		numField("chksum", 16, func(l any) *uint16 { return &l.(*UDP).Checksum }).hex().
			withDefault("computed").keeps(KeepChecksum),
	},
}

// Raw.

var rawDef = &layerDef{
	name:    "raw",
	summary: "payload bytes, or any protocol: ip(proto=253)/raw(load=hex:…)",
	new:     func() gopacket.SerializableLayer { return &Raw{} },
	fields: []*fieldDef{
		bytesField("load", func(l any) *[]byte { return &l.(*Raw).Load }).withDefault(`""`),
		sizeField(),
	},
	check: checkRaw,
}

// sizeField is raw's size=N: the load repeated (or zeros) to N bytes. It is
// folded into load when the expression is parsed.
func sizeField() *fieldDef {
	var unused uint16
	return numField("size", 16, func(any) *uint16 { return &unused }).withDefault("the length of load").
		withHelp("pad (repeating load, else zeros) or cut the payload to this many bytes").
		only(func(any) bool { return false })
}

// checkRaw folds size into load: one load per combination of the two.
func checkRaw(c *parseCtx) error {
	var load, size *tfield
	for _, f := range c.layer.fields {
		switch f.def.name {
		case "load":
			load = f
		case "size":
			size = f
		}
	}
	if size == nil {
		return nil
	}
	loads := []item{{v: value{}, count: 1}}
	if load != nil {
		loads = load.items
	}
	var out []item
	total := 0
	for _, l := range loads {
		for _, s := range size.items {
			for k := uint64(0); k < s.count; k++ {
				n := int(s.v.n + k)
				total += n
				if total > 64<<20 {
					return errAt(size.col, "size in raw() makes more than 64 MiB of payloads: use fewer sizes")
				}
				b := make([]byte, n)
				if len(l.v.b) > 0 {
					for i := 0; i < n; i += len(l.v.b) {
						copy(b[i:], l.v.b)
					}
				}
				out = append(out, item{v: value{b: b}, count: 1})
			}
		}
	}
	nf := &tfield{def: c.def.fields[0], idx: 0, col: size.col, items: out}
	c.layer.fields = []*tfield{nf}
	return nil
}

// flagsField is a bit-flags field written as names joined with "+" (DF+MF)
// or, when every name is one letter, as letters run together (SA), or as
// a number.
func flagsField[T uint8 | uint16](name string, bits int, names nameTable, acc func(l any) *T) *fieldDef {
	f := numField(name, bits, acc)
	letters := len(names[0].name) == 1
	f.typ = "flags or " + f.typ
	f.parse = func(n *node, c *parseCtx) ([]item, error) {
		w := c.where(name)
		if n.kind == nodeWord {
			if _, ok := parseUint(n.text); !ok && !strings.ContainsAny(n.text[1:], "-") {
				v, err := parseFlags(n, w, names, letters)
				return []item{{v: value{n: v}, count: 1}}, err
			}
		}
		return numItems(n, w, f.maxN, nil)
	}
	f.show = func(v value, _ any) string { return showFlags(v.n, names, letters) }
	return f
}

func parseFlags(n *node, w where, names nameTable, letters bool) (uint64, error) {
	var parts []string
	if letters {
		for _, c := range n.text {
			parts = append(parts, string(c))
		}
	} else {
		parts = strings.Split(n.text, "+")
	}
	var v uint64
	col := n.col
	for _, p := range parts {
		b, ok := names.lookup(p)
		if !ok {
			e := errAt(col, "unknown flag %q for %s", p, w)
			e.Hint = "use " + strings.Join(names.names(), ", ")
			if letters {
				e.Hint = "use the letters " + strings.Join(names.names(), "")
			}
			return 0, e
		}
		v |= b
		col += len(p) + 1
		if letters {
			col--
		}
	}
	return v, nil
}

func showFlags(v uint64, names nameTable, letters bool) string {
	var parts []string
	rest := v
	for _, e := range names {
		if v&e.n != 0 {
			parts = append(parts, e.name)
			rest &^= e.n
		}
	}
	if len(parts) == 0 || rest != 0 {
		return strconv.FormatUint(v, 10)
	}
	if letters {
		return strings.Join(parts, "")
	}
	return strings.Join(parts, "+")
}
