package filter_test

import (
	"encoding/binary"
	"net"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// A fixture packet: the captured bytes and the length on the wire.
type packet struct {
	data    []byte
	wireLen int
}

var (
	macA     = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x01}
	macB     = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x02}
	macBcast = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	macMcast = net.HardwareAddr{0x01, 0x00, 0x5e, 0x00, 0x00, 0x16}
	mac6Mc   = net.HardwareAddr{0x33, 0x33, 0, 0, 0, 0x01}

	client  = net.IPv4(198, 51, 100, 2).To4()
	router  = net.IPv4(198, 51, 100, 1).To4()
	server  = net.IPv4(203, 0, 113, 2).To4()
	other   = net.IPv4(192, 0, 2, 7).To4()
	ten     = net.IPv4(10, 1, 2, 3).To4()
	bcast   = net.IPv4(255, 255, 255, 255).To4()
	zero    = net.IPv4(0, 0, 0, 0).To4()
	mcast   = net.IPv4(224, 0, 0, 22).To4()
	mcast2  = net.IPv4(239, 1, 1, 1).To4()
	client6 = net.ParseIP("2001:db8:1::2")
	server6 = net.ParseIP("2001:db8:2::2")
	link6   = net.ParseIP("fe80::1")
	mc6     = net.ParseIP("ff02::1")
	mapped6 = net.ParseIP("::ffff:198.51.100.2")
)

func serialize(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatalf("serialize %v: %v", ls, err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

// l3 is a network-layer packet and the ether type that carries it.
type l3 struct {
	etherType layers.EthernetType
	data      []byte
}

func ipv4(src, dst net.IP, proto layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, TTL: 64, Protocol: proto, SrcIP: src, DstIP: dst, Id: 1}
}

func ipv6(src, dst net.IP, next layers.IPProtocol) *layers.IPv6 {
	return &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: next, SrcIP: src, DstIP: dst}
}

func tcp4(t testing.TB, src, dst net.IP, sport, dport int, flags uint8) []byte {
	ip := ipv4(src, dst, layers.IPProtocolTCP)
	tc := tcpLayer(sport, dport, flags)
	tc.SetNetworkLayerForChecksum(ip)
	return serialize(t, ip, tc, gopacket.Payload("hello"))
}

func tcpLayer(sport, dport int, flags uint8) *layers.TCP {
	return &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), Seq: 1, Window: 64240,
		FIN: flags&0x01 != 0, SYN: flags&0x02 != 0, RST: flags&0x04 != 0, PSH: flags&0x08 != 0,
		ACK: flags&0x10 != 0, URG: flags&0x20 != 0, ECE: flags&0x40 != 0, CWR: flags&0x80 != 0}
}

func udp4(t testing.TB, src, dst net.IP, sport, dport int, payload []byte) []byte {
	ip := ipv4(src, dst, layers.IPProtocolUDP)
	u := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
	u.SetNetworkLayerForChecksum(ip)
	return serialize(t, ip, u, gopacket.Payload(payload))
}

func icmp4(t testing.TB, src, dst net.IP, typ, code uint8) []byte {
	return serialize(t, ipv4(src, dst, layers.IPProtocolICMPv4),
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(typ, code), Id: 7, Seq: 1}, gopacket.Payload("ping"))
}

func raw4(t testing.TB, src, dst net.IP, proto layers.IPProtocol, payload []byte) []byte {
	return serialize(t, ipv4(src, dst, proto), gopacket.Payload(payload))
}

func tcp6(t testing.TB, src, dst net.IP, sport, dport int, flags uint8) []byte {
	ip := ipv6(src, dst, layers.IPProtocolTCP)
	tc := tcpLayer(sport, dport, flags)
	tc.SetNetworkLayerForChecksum(ip)
	return serialize(t, ip, tc, gopacket.Payload("hello6"))
}

func udp6(t testing.TB, src, dst net.IP, sport, dport int) []byte {
	ip := ipv6(src, dst, layers.IPProtocolUDP)
	u := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
	u.SetNetworkLayerForChecksum(ip)
	return serialize(t, ip, u, gopacket.Payload("dns?"))
}

func icmp6(t testing.TB, src, dst net.IP, typ, code uint8) []byte {
	ip := ipv6(src, dst, layers.IPProtocolICMPv6)
	ic := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(typ, code)}
	ic.SetNetworkLayerForChecksum(ip)
	return serialize(t, ip, ic, gopacket.Payload([]byte{0, 7, 0, 1, 'p', 'i', 'n', 'g', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}))
}

// ip6ext is an IPv6 packet whose first header is an extension header
// (hop-by-hop options or fragment) followed by next.
func ip6ext(t testing.TB, src, dst net.IP, ext layers.IPProtocol, next layers.IPProtocol, body []byte) []byte {
	ip := ipv6(src, dst, ext)
	var hdr []byte
	switch ext {
	case layers.IPProtocolIPv6Fragment:
		hdr = []byte{byte(next), 0, 0, 0, 0, 0, 0, 9} // offset 0, more fragments
		hdr[3] = 1
	default: // hop-by-hop: router alert, padding
		hdr = []byte{byte(next), 0, 5, 2, 0, 0, 1, 0}
	}
	return serialize(t, ip, gopacket.Payload(append(hdr, body...)))
}

// withOptions rebuilds an IPv4 packet with n 4-byte words of NOP options.
func withOptions(p []byte, words int) []byte {
	ihl := int(p[0]&0xf) * 4
	out := append([]byte(nil), p[:ihl]...)
	for i := 0; i < 4*words; i++ {
		out = append(out, 1) // NOP
	}
	out[len(out)-1] = 0 // end of options
	out = append(out, p[ihl:]...)
	out[0] = 0x40 | byte((ihl+4*words)/4)
	binary.BigEndian.PutUint16(out[2:], uint16(len(out)))
	fixIPv4Checksum(out)
	return out
}

// fragment marks an IPv4 packet as a fragment at the given offset (in 8
// byte units), with more fragments to come.
func fragment(p []byte, offset uint16, more bool) []byte {
	out := append([]byte(nil), p...)
	v := offset & 0x1fff
	if more {
		v |= 0x2000
	}
	binary.BigEndian.PutUint16(out[6:], v)
	fixIPv4Checksum(out)
	return out
}

func fixIPv4Checksum(p []byte) {
	ihl := int(p[0]&0xf) * 4
	p[10], p[11] = 0, 0
	var sum uint32
	for i := 0; i < ihl; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(p[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(p[10:], ^uint16(sum))
}

func arpPacket(t testing.TB, op uint16, srcMAC net.HardwareAddr, srcIP, dstIP net.IP) []byte {
	return serialize(t, &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4,
		HwAddressSize: 6, ProtAddressSize: 4, Operation: op, SourceHwAddress: srcMAC,
		SourceProtAddress: srcIP, DstHwAddress: make([]byte, 6), DstProtAddress: dstIP})
}

func igmp(t testing.TB, src, dst net.IP, typ uint8, group net.IP) []byte {
	body := []byte{typ, 0, 0, 0}
	body = append(body, group.To4()...)
	if typ == 0x22 { // v3 report: one record
		body = []byte{0x22, 0, 0, 0, 0, 0, 0, 1, 4, 0, 0, 0}
		body = append(body, group.To4()...)
	}
	p := raw4(t, src, dst, layers.IPProtocolIGMP, body)
	p[8] = 1 // TTL 1, as IGMP has
	fixIPv4Checksum(p)
	return p
}

// networkPackets are the network-layer packets every link type carries.
func networkPackets(t testing.TB) []l3 {
	var ps []l3
	v4 := func(b []byte) { ps = append(ps, l3{layers.EthernetTypeIPv4, b}) }
	v6 := func(b []byte) { ps = append(ps, l3{layers.EthernetTypeIPv6, b}) }

	// TCP with every combination of flags.
	for f := 0; f < 256; f++ {
		v4(tcp4(t, client, server, 40000+f, 80, uint8(f)))
	}
	for _, p := range [][2]int{{80, 1025}, {443, 50000}, {50000, 443}, {22, 22}, {8080, 3000}, {1023, 1024},
		{7, 7}, {0, 65535}, {65535, 0}, {53, 53}, {8000, 8080}, {9, 33434}} {
		v4(tcp4(t, client, server, p[0], p[1], 0x18))
		v4(tcp4(t, server, client, p[1], p[0], 0x10))
	}
	v4(tcp4(t, client, client, 7, 7, 0x02))
	v4(tcp4(t, ten, other, 1234, 80, 0x02))
	// Options shift the transport header.
	for words := 1; words <= 10; words += 3 {
		v4(withOptions(tcp4(t, client, server, 5555, 80, 0x12), words))
		v4(withOptions(udp4(t, server, client, 53, 5353, []byte("answer")), words))
		v4(withOptions(icmp4(t, client, server, 8, 0), words))
	}
	// Fragments: the first carries the ports, later ones only data that
	// happens to look like port 80.
	v4(fragment(tcp4(t, client, server, 6000, 80, 0x18), 0, true))
	v4(fragment(tcp4(t, client, server, 80, 80, 0x18), 185, false))
	v4(fragment(udp4(t, client, server, 53, 53, []byte("part")), 3, true))
	v4(fragment(icmp4(t, client, server, 8, 0), 1, false))
	dontFrag := tcp4(t, client, server, 6001, 22, 0x10)
	dontFrag[6] = 0x40
	fixIPv4Checksum(dontFrag)
	v4(dontFrag)
	// UDP.
	for _, p := range [][2]int{{53, 40000}, {40000, 53}, {67, 68}, {68, 67}, {33434, 33434}, {5353, 5353},
		{123, 123}, {9, 9}, {1024, 65535}, {514, 7}} {
		v4(udp4(t, client, server, p[0], p[1], []byte("payload-bytes")))
	}
	v4(udp4(t, zero, bcast, 68, 67, make([]byte, 300)))
	v4(udp4(t, client, bcast, 137, 137, []byte("netbios")))
	v4(udp4(t, client, mcast2, 5000, 5000, []byte("stream")))
	v4(udp4(t, ten, net.IPv4(10, 255, 255, 255).To4(), 520, 520, []byte("rip")))
	// ICMP of every type tcpdump names, and some codes.
	for _, tc := range [][2]uint8{{0, 0}, {3, 0}, {3, 1}, {3, 3}, {3, 4}, {4, 0}, {5, 1}, {8, 0}, {9, 0}, {10, 0},
		{11, 0}, {11, 1}, {12, 0}, {13, 0}, {14, 0}, {15, 0}, {16, 0}, {17, 0}, {18, 0}, {42, 0}} {
		v4(icmp4(t, client, server, tc[0], tc[1]))
	}
	v4(icmp4(t, server, client, 0, 0))
	// IGMP.
	v4(igmp(t, client, mcast, 0x16, mcast2))
	v4(igmp(t, client, net.IPv4(224, 0, 0, 2).To4(), 0x17, mcast2))
	v4(igmp(t, router, net.IPv4(224, 0, 0, 1).To4(), 0x11, zero))
	v4(igmp(t, client, mcast2, 0x12, mcast2))
	v4(igmp(t, client, mcast, 0x22, mcast2))
	// Other IP protocols.
	v4(raw4(t, client, server, layers.IPProtocolSCTP, []byte{0, 9, 0x13, 0x88, 0, 0, 0, 1, 0, 0, 0, 0}))
	v4(raw4(t, server, client, layers.IPProtocolSCTP, []byte{0x13, 0x88, 0, 9, 0, 0, 0, 1, 0, 0, 0, 0}))
	v4(raw4(t, client, server, layers.IPProtocolGRE, []byte{0, 0, 0x08, 0}))
	v4(raw4(t, client, server, layers.IPProtocolIPv6, tcp6(t, client6, server6, 1, 2, 2)))
	v4(raw4(t, client, server, 200, []byte("private")))

	// IPv6.
	for _, f := range []uint8{0x02, 0x12, 0x10, 0x11, 0x04, 0x18} {
		v6(tcp6(t, client6, server6, 50000, 80, f))
		v6(tcp6(t, server6, client6, 443, 50001, f))
	}
	v6(tcp6(t, mapped6, server6, 22, 22, 0x02))
	v6(udp6(t, client6, server6, 40000, 53))
	v6(udp6(t, server6, client6, 53, 40000))
	v6(udp6(t, link6, mc6, 521, 521))
	for _, tc := range [][2]uint8{{128, 0}, {129, 0}, {1, 4}, {2, 0}, {3, 0}, {4, 1}, {133, 0}, {134, 0},
		{135, 0}, {136, 0}, {137, 0}, {130, 0}, {131, 0}, {132, 0}, {143, 0}} {
		v6(icmp6(t, client6, server6, tc[0], tc[1]))
	}
	v6(icmp6(t, link6, mc6, 134, 0))
	v6(icmp6(t, link6, net.ParseIP("ff02::1:ff00:2"), 135, 0))
	// Extension headers: a fragment header, and hop-by-hop options before
	// an MLD report, as the kernel sends them.
	tcpBody := tcp6(t, client6, server6, 1234, 80, 0x02)[40:]
	v6(ip6ext(t, client6, server6, layers.IPProtocolIPv6Fragment, layers.IPProtocolTCP, tcpBody))
	v6(ip6ext(t, client6, server6, layers.IPProtocolIPv6Fragment, layers.IPProtocolUDP, udp6(t, client6, server6, 53, 53)[40:]))
	v6(ip6ext(t, link6, net.ParseIP("ff02::16"), layers.IPProtocolIPv6HopByHop, layers.IPProtocolICMPv6,
		[]byte{143, 0, 0, 0, 0, 0, 0, 1, 4, 0, 0, 0, 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfb}))
	v6(ip6ext(t, client6, server6, layers.IPProtocolIPv6Fragment, layers.IPProtocolICMPv6, icmp6(t, client6, server6, 128, 0)[40:]))
	v6(serialize(t, ipv6(client6, server6, layers.IPProtocolNoNextHeader)))

	// ARP and RARP.
	ps = append(ps, l3{layers.EthernetTypeARP, arpPacket(t, 1, macA, client, router)})
	ps = append(ps, l3{layers.EthernetTypeARP, arpPacket(t, 2, macB, router, client)})
	ps = append(ps, l3{layers.EthernetTypeARP, arpPacket(t, 1, macA, server, server)})
	ps = append(ps, l3{layers.EthernetType(0x8035), arpPacket(t, 3, macA, zero, zero)})
	ps = append(ps, l3{layers.EthernetType(0x8035), arpPacket(t, 4, macB, router, client)})
	// Something else entirely.
	ps = append(ps, l3{layers.EthernetTypeLinkLayerDiscovery, []byte{0x02, 0x07, 0x04, 2, 0, 0, 0, 0, 1, 0, 0}})
	ps = append(ps, l3{0x9000, make([]byte, 46)})
	return ps
}

// A link type's fixtures, with a name for messages.
type fixture struct {
	name    string
	link    layers.LinkType
	packets []packet
}

func fixtures(t testing.TB) []fixture {
	net3 := networkPackets(t)
	var eth, sll, sll2, raw, null, loop []packet
	whole := func(b []byte) packet { return packet{b, len(b)} }
	for i, p := range net3 {
		src, dst := macA, macB
		switch {
		case i%7 == 3:
			dst = macBcast
		case i%7 == 5:
			dst = macMcast
		case i%11 == 4:
			dst = mac6Mc
		}
		if p.etherType == layers.EthernetTypeIPv4 && (p.data[16] >= 224 || p.data[19] == 255) {
			dst = macMcast
			if p.data[19] == 255 {
				dst = macBcast
			}
		}
		e := append(etherHeader(dst, src, uint16(p.etherType)), p.data...)
		eth = append(eth, whole(e))
		sll = append(sll, whole(append(sllHeader(i, src, uint16(p.etherType)), p.data...)))
		sll2 = append(sll2, whole(append(sll2Header(i, src, uint16(p.etherType)), p.data...)))
		if p.etherType == layers.EthernetTypeIPv4 || p.etherType == layers.EthernetTypeIPv6 {
			raw = append(raw, whole(p.data))
			af := uint32(2)
			if p.etherType == layers.EthernetTypeIPv6 {
				af = []uint32{24, 28, 30}[i%3]
			}
			h := make([]byte, 4)
			binary.LittleEndian.PutUint32(h, af)
			null = append(null, whole(append(h, p.data...)))
			h = make([]byte, 4)
			binary.BigEndian.PutUint32(h, af)
			loop = append(loop, whole(append(h, p.data...)))
		}
	}
	// Frames only Ethernet has: VLAN tags, 802.3 with LLC, runts.
	for i, p := range net3 {
		if i%9 != 0 {
			continue
		}
		for _, tag := range []struct{ tpid, vid uint16 }{{0x8100, 10}, {0x8100, 20}, {0x88a8, 100}, {0x9100, 4095}} {
			e := etherHeader(macA, macB, tag.tpid)
			e = binary.BigEndian.AppendUint16(e, tag.vid|0x2000)
			e = binary.BigEndian.AppendUint16(e, uint16(p.etherType))
			eth = append(eth, whole(append(e, p.data...)))
		}
		// QinQ: an 802.1ad tag, then an 802.1Q one.
		e := etherHeader(macA, macB, 0x88a8)
		e = binary.BigEndian.AppendUint16(e, 10)
		e = binary.BigEndian.AppendUint16(e, 0x8100)
		e = binary.BigEndian.AppendUint16(e, 20)
		e = binary.BigEndian.AppendUint16(e, uint16(p.etherType))
		eth = append(eth, whole(append(e, p.data...)))
	}
	llc := append(etherHeader(macBcast, macA, 38), 0x42, 0x42, 0x03)
	eth = append(eth, whole(append(llc, make([]byte, 35)...)))
	eth = append(eth, whole(etherHeader(macA, macB, 0x0800)), whole([]byte{1, 2, 3}))

	// Truncated captures: what a small snapshot length keeps.
	trunc := func(list []packet, snaps ...int) []packet {
		var out []packet
		for i, p := range list {
			if i%5 != 0 {
				continue
			}
			for _, s := range snaps {
				if s < len(p.data) {
					out = append(out, packet{p.data[:s], p.wireLen})
				}
			}
		}
		return append(list, out...)
	}
	return []fixture{
		{"ethernet", layers.LinkTypeEthernet, trunc(eth, 14, 20, 34, 38, 54, 60)},
		{"sll", layers.LinkTypeLinuxSLL, trunc(sll, 16, 36, 40, 56)},
		{"sll2", layers.LinkTypeLinuxSLL2, trunc(sll2, 20, 40, 60)},
		{"raw", layers.LinkTypeRaw, trunc(raw, 0, 10, 20, 24, 40)},
		{"raw12", 12, raw},
		{"ipv4", layers.LinkTypeIPv4, raw},
		{"ipv6", layers.LinkTypeIPv6, raw},
		{"null", layers.LinkTypeNull, trunc(null, 4, 24)},
		{"loop", layers.LinkTypeLoop, loop},
	}
}

func etherHeader(dst, src net.HardwareAddr, etherType uint16) []byte {
	h := append(append([]byte(nil), dst...), src...)
	return binary.BigEndian.AppendUint16(h, etherType)
}

// sllHeader is a Linux cooked v1 header; the packet type cycles through
// "to us", broadcast, multicast, "to another host" and outgoing.
func sllHeader(i int, src net.HardwareAddr, etherType uint16) []byte {
	h := binary.BigEndian.AppendUint16(nil, uint16(i%5))
	h = binary.BigEndian.AppendUint16(h, 1) // ARPHRD_ETHER
	h = binary.BigEndian.AppendUint16(h, 6)
	h = append(h, src...)
	h = append(h, 0, 0)
	return binary.BigEndian.AppendUint16(h, etherType)
}

func sll2Header(i int, src net.HardwareAddr, etherType uint16) []byte {
	h := binary.BigEndian.AppendUint16(nil, etherType)
	h = append(h, 0, 0)
	h = binary.BigEndian.AppendUint32(h, uint32(1+i%3)) // interface index
	h = binary.BigEndian.AppendUint16(h, 1)
	h = append(h, byte(i%5), 6)
	h = append(h, src...)
	return append(h, 0, 0)
}
