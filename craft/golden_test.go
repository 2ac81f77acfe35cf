package craft

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// S is the IPv4 header every golden case shares, in both languages.
const (
	ipS   = `ip(src=198.51.100.2, dst=203.0.113.2, id=1)`
	ipSc  = `IP(src="198.51.100.2", dst="203.0.113.2", id=1)`
	ip6S  = `ip6(src=2001:db8:1::2, dst=2001:db8:2::2)`
	ip6Sc = `IPv6(src="2001:db8:1::2", dst="2001:db8:2::2")`
	// The quoted datagram of ICMP errors.
	quote  = `ip(src=203.0.113.2, dst=198.51.100.2, id=9, ttl=1)/udp(sport=5000, dport=33434)`
	quoteS = `IP(src="203.0.113.2", dst="198.51.100.2", id=9, ttl=1)/UDP(sport=5000, dport=33434)`
	// The IP header the kernel puts on IGMP messages: TTL 1, router alert.
	igmpIP = `IP(src="198.51.100.2", id=1, ttl=1, options=[IPOption_Router_Alert()]`
)

// goldenCases pair an expression with the scapy expression that builds the
// same bytes; broken ones carry wrong checksums or lengths on purpose.
var goldenCases = []struct {
	name, expr, scapy string
	broken            bool
}{
	// ICMP, every type.
	{"icmp echo-request", ipS + `/icmp(type=echo-request, id=7, seq=1)/raw(load="hi")`,
		ipSc + `/ICMP(type=8, id=7, seq=1)/Raw(b"hi")`, false},
	{"icmp echo-reply", ipS + `/icmp(type=echo-reply, id=7, seq=1)/raw(load=hex:000102)`,
		ipSc + `/ICMP(type=0, id=7, seq=1)/Raw(b"\x00\x01\x02")`, false},
	{"icmp dest-unreach port", ipS + `/icmp(type=dest-unreach, code=port-unreachable)/` + quote,
		ipSc + `/ICMP(type=3, code=3)/` + quoteS, false},
	{"icmp dest-unreach frag-needed", ipS + `/icmp(type=dest-unreach, code=fragmentation-needed, nexthopmtu=1400, length=7)/` + quote,
		ipSc + `/ICMP(type=3, code=4, nexthopmtu=1400, length=7)/` + quoteS, false},
	{"icmp source-quench", ipS + `/icmp(type=source-quench)/` + quote,
		ipSc + `/ICMP(type=4)/` + quoteS, false},
	{"icmp redirect", ipS + `/icmp(type=redirect, code=host-redirect, gw=198.51.100.1)/` + quote,
		ipSc + `/ICMP(type=5, code=1, gw="198.51.100.1")/` + quoteS, false},
	{"icmp time-exceeded", ipS + `/icmp(type=time-exceeded, code=ttl-zero-during-transit)/` + quote,
		ipSc + `/ICMP(type=11, code=0)/` + quoteS, false},
	{"icmp time-exceeded reassembly", ipS + `/icmp(type=time-exceeded, code=ttl-zero-during-reassembly, unused=5)/` + quote,
		ipSc + `/ICMP(type=11, code=1, unused=5)/` + quoteS, false},
	{"icmp parameter-problem", ipS + `/icmp(type=parameter-problem, ptr=20)/` + quote,
		ipSc + `/ICMP(type=12, ptr=20)/` + quoteS, false},
	{"icmp timestamp-request", ipS + `/icmp(type=timestamp-request, id=3, seq=4, ts_ori=1000, ts_rx=0, ts_tx=0)`,
		ipSc + `/ICMP(type=13, id=3, seq=4, ts_ori=1000, ts_rx=0, ts_tx=0)`, false},
	{"icmp timestamp-reply", ipS + `/icmp(type=timestamp-reply, id=3, seq=4, ts_ori=1000, ts_rx=2000, ts_tx=2001)`,
		ipSc + `/ICMP(type=14, id=3, seq=4, ts_ori=1000, ts_rx=2000, ts_tx=2001)`, false},
	{"icmp information-request", ipS + `/icmp(type=information-request, id=5, seq=6)`,
		ipSc + `/ICMP(type=15, id=5, seq=6)`, false},
	{"icmp information-reply", ipS + `/icmp(type=information-reply, id=5, seq=6)`,
		ipSc + `/ICMP(type=16, id=5, seq=6)`, false},
	{"icmp address-mask-request", ipS + `/icmp(type=address-mask-request, id=1, seq=2)`,
		ipSc + `/ICMP(type=17, id=1, seq=2)`, false},
	{"icmp address-mask-reply", ipS + `/icmp(type=address-mask-reply, id=1, seq=2, addr_mask=255.255.255.0)`,
		ipSc + `/ICMP(type=18, id=1, seq=2, addr_mask="255.255.255.0")`, false},
	{"icmp router-advertisement", ipS + `/icmp(type=router-advertisement, unused=0x01020304)`,
		ipSc + `/ICMP(type=9, unused=0x01020304)`, false},
	{"icmp router-solicitation", ipS + `/icmp(type=router-solicitation)`,
		ipSc + `/ICMP(type=10)`, false},
	{"icmp bad checksum", ipS + `/icmp(id=1, seq=1, chksum=0xbeef)`,
		ipSc + `/ICMP(id=1, seq=1, chksum=0xbeef)`, true},

	// IPv4 header fields and options.
	{"ip fields", `ip(src=198.51.100.2, dst=203.0.113.2, id=0x1234, tos=0x10, ttl=3, flags=DF, proto=253)/raw(load=hex:cafe)`,
		`IP(src="198.51.100.2", dst="203.0.113.2", id=0x1234, tos=0x10, ttl=3, flags="DF", proto=253)/Raw(b"\xca\xfe")`, false},
	{"ip fragment bits", `ip(src=198.51.100.2, dst=203.0.113.2, id=7, flags=MF+evil, frag=100)/raw(load="abcdefgh")`,
		`IP(src="198.51.100.2", dst="203.0.113.2", id=7, flags="MF+evil", frag=100)/Raw(b"abcdefgh")`, false},
	{"ip options", `ip(src=198.51.100.2, dst=203.0.113.2, id=1, options=[nop, ra, lsrr(198.51.100.1, 203.0.113.1), eol])/icmp(id=1, seq=1)`,
		`IP(src="198.51.100.2", dst="203.0.113.2", id=1, options=[IPOption_NOP(), IPOption_Router_Alert(), IPOption_LSRR(routers=["198.51.100.1", "203.0.113.1"]), IPOption_EOL()])/ICMP(id=1, seq=1)`, false},
	{"ip record route", `ip(src=198.51.100.2, dst=203.0.113.2, id=1, options=[rr(2)])/icmp(id=1, seq=1)`,
		`IP(src="198.51.100.2", dst="203.0.113.2", id=1, options=[IPOption_RR(routers=["0.0.0.0", "0.0.0.0"])])/ICMP(id=1, seq=1)`, false},
	{"ip ssrr under tcp", `ip(src=198.51.100.2, dst=198.51.100.1, id=1, options=[ssrr(203.0.113.2)])/tcp(sport=1, dport=2, seq=3)`,
		`IP(src="198.51.100.2", dst="198.51.100.1", id=1, options=[IPOption_SSRR(routers=["203.0.113.2"])])/TCP(sport=1, dport=2, seq=3)`, false},
	{"ip lies", `ip(src=198.51.100.2, dst=203.0.113.2, id=1, ihl=7, len=1000, chksum=0xdead, version=5)/raw(load="x")`,
		`IP(src="198.51.100.2", dst="203.0.113.2", id=1, ihl=7, len=1000, chksum=0xdead, version=5)/Raw(b"x")`, true},
	{"ip in ip", ipS + `/ip(src=10.0.0.1, dst=10.0.0.2, id=2)/icmp(id=1, seq=1)`,
		ipSc + `/IP(src="10.0.0.1", dst="10.0.0.2", id=2)/ICMP(id=1, seq=1)`, false},
	{"ip proto 253", ipS + `/raw(load=hex:00010203)`,
		ipSc + `/Raw(b"\x00\x01\x02\x03")`, false},

	// TCP.
	{"tcp syn options", ipS + `/tcp(sport=40000, dport=80, seq=1, options=[mss(1460), sackok, ts(1, 0), nop, wscale(7)])`,
		ipSc + `/TCP(sport=40000, dport=80, seq=1, options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1, 0)), ("NOP", None), ("WScale", 7)])`, false},
	{"tcp syn-ack sack", ipS + `/tcp(sport=80, dport=40000, seq=9, ack=2, flags=SA, window=65535, options=[nop, nop, sack(1, 2)])`,
		ipSc + `/TCP(sport=80, dport=40000, seq=9, ack=2, flags="SA", window=65535, options=[("NOP", None), ("NOP", None), ("SAck", (1, 2))])`, false},
	{"tcp flags urg payload", ipS + `/tcp(sport=1, dport=2, seq=3, ack=4, flags=FPUAN, urgptr=3, reserved=2)/raw(load="data")`,
		ipSc + `/TCP(sport=1, dport=2, seq=3, ack=4, flags="FPUAN", urgptr=3, reserved=2)/Raw(b"data")`, false},
	{"tcp flags ECN by number", ipS + `/tcp(sport=1, dport=2, seq=3, flags=0xc2)`,
		ipSc + `/TCP(sport=1, dport=2, seq=3, flags=0xc2)`, false},
	{"tcp lies", ipS + `/tcp(sport=1, dport=2, seq=3, dataofs=8, chksum=0x0bad)`,
		ipSc + `/TCP(sport=1, dport=2, seq=3, dataofs=8, chksum=0x0bad)`, true},

	// UDP.
	{"udp", ipS + `/udp(sport=5000, dport=53)/raw(load="x")`,
		ipSc + `/UDP(sport=5000, dport=53)/Raw(b"x")`, false},
	{"udp lies", ipS + `/udp(sport=5000, dport=53, len=4, chksum=0)/raw(load="xyz")`,
		ipSc + `/UDP(sport=5000, dport=53, len=4, chksum=0)/Raw(b"xyz")`, true},

	// IPv6 and ICMPv6.
	{"icmp6 echo-request", `ip6(src=2001:db8:1::2, dst=2001:db8:2::2, hlim=5, fl=0x12345, tc=0x20)/icmp6(type=echo-request, id=1, seq=2)/raw(load="ping")`,
		`IPv6(src="2001:db8:1::2", dst="2001:db8:2::2", hlim=5, fl=0x12345, tc=0x20)/ICMPv6EchoRequest(id=1, seq=2, data=b"ping")`, false},
	{"icmp6 echo-reply", ip6S + `/icmp6(type=echo-reply, id=1, seq=2)`,
		ip6Sc + `/ICMPv6EchoReply(id=1, seq=2)`, false},
	{"icmp6 dest-unreach", ip6S + `/icmp6(type=dest-unreach, code=4)/ip6(src=2001:db8:2::2, dst=2001:db8:1::2)/udp(sport=1, dport=2)`,
		ip6Sc + `/ICMPv6DestUnreach(code=4)/IPv6(src="2001:db8:2::2", dst="2001:db8:1::2")/UDP(sport=1, dport=2)`, false},
	{"icmp6 packet-too-big", ip6S + `/icmp6(type=packet-too-big, mtu=1280)/ip6(src=2001:db8:2::2, dst=2001:db8:1::2)/udp(sport=1, dport=2)`,
		ip6Sc + `/ICMPv6PacketTooBig(mtu=1280)/IPv6(src="2001:db8:2::2", dst="2001:db8:1::2")/UDP(sport=1, dport=2)`, false},
	{"icmp6 time-exceeded", ip6S + `/icmp6(type=time-exceeded)/ip6(src=2001:db8:2::2, dst=2001:db8:1::2)/udp(sport=1, dport=2)`,
		ip6Sc + `/ICMPv6TimeExceeded()/IPv6(src="2001:db8:2::2", dst="2001:db8:1::2")/UDP(sport=1, dport=2)`, false},
	{"icmp6 parameter-problem", ip6S + `/icmp6(type=parameter-problem, ptr=6)/ip6(src=2001:db8:2::2, dst=2001:db8:1::2)`,
		ip6Sc + `/ICMPv6ParamProblem(ptr=6)/IPv6(src="2001:db8:2::2", dst="2001:db8:1::2")`, false},
	{"ip6 udp", ip6S + `/udp(sport=5000, dport=53)/raw(load="x")`,
		ip6Sc + `/UDP(sport=5000, dport=53)/Raw(b"x")`, false},
	{"ip6 tcp", ip6S + `/tcp(sport=5000, dport=80, seq=5)`,
		ip6Sc + `/TCP(sport=5000, dport=80, seq=5)`, false},

	// Ethernet.
	{"ether ip", `ether(dst=02:00:00:00:00:02, src=02:00:00:00:00:01)/` + ipS + `/icmp(id=1, seq=1)`,
		`Ether(dst="02:00:00:00:00:02", src="02:00:00:00:00:01")/` + ipSc + `/ICMP(id=1, seq=1)`, false},
	{"ether ip6", `ether(dst=02:00:00:00:00:02, src=02:00:00:00:00:01)/` + ip6S + `/icmp6(id=1, seq=1)`,
		`Ether(dst="02:00:00:00:00:02", src="02:00:00:00:00:01")/` + ip6Sc + `/ICMPv6EchoRequest(id=1, seq=1)`, false},
	{"ether raw", `ether(dst=02:00:00:00:00:02, src=02:00:00:00:00:01, type=0x88b5)/raw(load="local")`,
		`Ether(dst="02:00:00:00:00:02", src="02:00:00:00:00:01", type=0x88b5)/Raw(b"local")`, false},

	// IGMP, every type; the IP defaults are the kernel's.
	{"igmp v1-report", `ip(src=198.51.100.2, id=1)/igmp(type=v1-report, gaddr=239.1.1.1)`,
		`IP(src="198.51.100.2", dst="239.1.1.1", id=1, ttl=1)/IGMP(type=0x12, mrcode=0, gaddr="239.1.1.1")`, false},
	{"igmp v1-query", `ip(src=198.51.100.2, id=1)/igmp(type=v1-query)`,
		`IP(src="198.51.100.2", dst="224.0.0.1", id=1, ttl=1)/IGMP(type=0x11, mrcode=0)`, false},
	{"igmp v2-report", `ip(src=198.51.100.2, id=1)/igmp(type=v2-report, gaddr=239.1.1.1)`,
		igmpIP + `, dst="239.1.1.1")/IGMP(type=0x16, mrcode=0, gaddr="239.1.1.1")`, false},
	{"igmp v2-leave", `ip(src=198.51.100.2, id=1)/igmp(type=v2-leave, gaddr=239.1.1.1)`,
		igmpIP + `, dst="224.0.0.2")/IGMP(type=0x17, mrcode=0, gaddr="239.1.1.1")`, false},
	{"igmp v2-query general", `ip(src=198.51.100.2, id=1)/igmp(type=v2-query)`,
		igmpIP + `, dst="224.0.0.1")/IGMP(type=0x11, mrcode=100)`, false},
	{"igmp v2-query group", `ip(src=198.51.100.2, id=1)/igmp(type=v2-query, gaddr=239.1.1.1, mrcode=10)`,
		igmpIP + `, dst="239.1.1.1")/IGMP(type=0x11, mrcode=10, gaddr="239.1.1.1")`, false},
	{"igmp v3-query", `ip(src=198.51.100.2, id=1)/igmp(type=v3-query, gaddr=239.1.2.3, s=1, srcaddrs=[198.51.100.1, 198.51.100.9])`,
		igmpIP + `, dst="239.1.2.3", tos=0xc0)/IGMPv3(type=0x11, mrcode=100)/IGMPv3mq(gaddr="239.1.2.3", s=1, qrv=2, qqic=125, srcaddrs=["198.51.100.1", "198.51.100.9"])`, false},
	{"igmp v3-report", `ip(src=198.51.100.2, id=1)/igmp(type=v3-report, records=[{rtype=4, maddr=239.1.2.3}, {rtype=1, maddr=239.9.9.9, srcaddrs=[198.51.100.1]}])`,
		igmpIP + `, dst="224.0.0.22", tos=0xc0)/IGMPv3(type=0x22, mrcode=0)/IGMPv3mr(records=[IGMPv3gr(rtype=4, maddr="239.1.2.3"), IGMPv3gr(rtype=1, maddr="239.9.9.9", srcaddrs=["198.51.100.1"])])`, false},
	{"igmp v3-report aux data", `ip(src=198.51.100.2, id=1)/igmp(type=v3-report, records=[{rtype=change-to-include, maddr=239.1.2.3, auxdata=hex:01020304}])`,
		igmpIP + `, dst="224.0.0.22", tos=0xc0)/IGMPv3(type=0x22, mrcode=0)/IGMPv3mr(records=[IGMPv3gr(rtype=3, maddr="239.1.2.3", auxdlen=1)/Raw(b"\x01\x02\x03\x04")])`, false},
	{"igmp bad checksum", `ip(src=198.51.100.2, id=1)/igmp(type=v2-report, gaddr=239.1.1.1, chksum=1)`,
		igmpIP + `, dst="239.1.1.1")/IGMP(type=0x16, mrcode=0, gaddr="239.1.1.1", chksum=1)`, true},
}

// TestGoldenScapy builds every layer and every ICMP and IGMP type and
// compares the bytes with what scapy builds from the same fields.
func TestGoldenScapy(t *testing.T) {
	var exprs []string
	for _, c := range goldenCases {
		exprs = append(exprs, c.scapy)
	}
	want := scapy(t, exprs)
	for i, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			got, _ := build(t, c.expr)
			if len(got) != 1 {
				t.Fatalf("got %d packets, want 1", len(got))
			}
			if !bytes.Equal(got[0], want[i]) {
				t.Errorf("%s\n got %x\nwant %x (scapy: %s)", c.expr, got[0], want[i], c.scapy)
			}
		})
	}
}

// TestGoldenDecode decodes every golden packet with gopacket: the fields
// it reads are the ones the layers were built with, and the checksums it
// verifies are right (wrong in the cases broken on purpose).
func TestGoldenDecode(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			data, stacks := build(t, c.expr)
			checkDecode(t, data[0], stacks[0], c.broken)
		})
	}
}

func firstType(s Stack) gopacket.LayerType { return s[0].LayerType() }

// checkDecode compares gopacket's reading of data with the stack that built
// it.
func checkDecode(t *testing.T, data []byte, s Stack, broken bool) {
	t.Helper()
	p := gopacket.NewPacket(data, firstType(s), gopacket.Default)
	// gopacket's checksum checks of TCP, UDP and ICMPv6 need the network
	// layer carrying them.
	var netl gopacket.NetworkLayer
	for _, l := range p.Layers() {
		switch l := l.(type) {
		case gopacket.NetworkLayer:
			netl = l
		case interface {
			SetNetworkLayerForChecksum(gopacket.NetworkLayer) error
		}:
			if netl != nil {
				l.SetNetworkLayerForChecksum(netl)
			}
		}
	}
	if !broken {
		if err, bad := p.VerifyChecksums(); err != nil || len(bad) > 0 {
			t.Errorf("gopacket finds wrong checksums: %v %+v", err, bad)
		}
	}
	quoted := false
	for i, l := range s {
		if quoted || broken {
			break // gopacket does not decode ICMP quotes; broken lengths cut layers short
		}
		var got, want string
		switch l := l.(type) {
		case *Ether:
			g, _ := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
			if g == nil {
				t.Fatalf("layer %d: gopacket found no Ethernet", i)
			}
			got = fmt.Sprint(g.DstMAC, g.SrcMAC, uint16(g.EthernetType))
			want = fmt.Sprint(net.HardwareAddr(l.Dst[:]), net.HardwareAddr(l.Src[:]), l.Type)
		case *IPv4:
			g := nthLayer(p, layers.LayerTypeIPv4, countBefore[*IPv4](s, i))
			if g == nil {
				t.Fatalf("layer %d: gopacket found no IPv4", i)
			}
			ip := g.(*layers.IPv4)
			got = fmt.Sprint(ip.Version, ip.IHL, ip.TOS, ip.Length, ip.Id, uint8(ip.Flags), ip.FragOffset, ip.TTL, uint8(ip.Protocol), ip.Checksum, ip.SrcIP, ip.DstIP)
			want = fmt.Sprint(l.Version, l.IHL, l.TOS, l.Length, l.ID, l.Flags, l.FragOffset, l.TTL, l.Protocol, l.Checksum, l.Src, l.Dst)
		case *IPv6:
			g := nthLayer(p, layers.LayerTypeIPv6, countBefore[*IPv6](s, i))
			if g == nil {
				t.Fatalf("layer %d: gopacket found no IPv6", i)
			}
			ip := g.(*layers.IPv6)
			got = fmt.Sprint(ip.Version, ip.TrafficClass, ip.FlowLabel, ip.Length, uint8(ip.NextHeader), ip.HopLimit, ip.SrcIP, ip.DstIP)
			want = fmt.Sprint(l.Version, l.TrafficClass, l.FlowLabel, l.Length, l.NextHeader, l.HopLimit, l.Src, l.Dst)
		case *ICMPv4:
			g, _ := p.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4)
			if g == nil {
				t.Fatalf("layer %d: gopacket found no ICMPv4", i)
			}
			got = fmt.Sprint(g.TypeCode.Type(), g.TypeCode.Code(), g.Checksum)
			want = fmt.Sprint(l.Type, l.Code, l.Checksum)
			if icmpHasIDSeq(l.Type) {
				got += fmt.Sprint(" ", g.Id, g.Seq)
				want += fmt.Sprint(" ", l.ID, l.Seq)
			}
			quoted = icmpIsError(l.Type)
		case *ICMPv6:
			g, _ := p.Layer(layers.LayerTypeICMPv6).(*layers.ICMPv6)
			if g == nil {
				t.Fatalf("layer %d: gopacket found no ICMPv6", i)
			}
			got = fmt.Sprint(g.TypeCode.Type(), g.TypeCode.Code(), g.Checksum)
			want = fmt.Sprint(l.Type, l.Code, l.Checksum)
			if e, ok := p.Layer(layers.LayerTypeICMPv6Echo).(*layers.ICMPv6Echo); ok {
				got += fmt.Sprint(" ", e.Identifier, e.SeqNumber)
				want += fmt.Sprint(" ", l.ID, l.Seq)
			}
			quoted = l.Type < 128
		case *IGMP:
			got, want = igmpFields(t, p, l)
		case *TCP:
			g, _ := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
			if g == nil {
				t.Fatalf("layer %d: gopacket found no TCP", i)
			}
			got = fmt.Sprint(g.SrcPort, g.DstPort, g.Seq, g.Ack, g.DataOffset, g.Window, g.Checksum, g.Urgent,
				g.FIN, g.SYN, g.RST, g.PSH, g.ACK, g.URG, g.ECE, g.CWR, g.NS)
			f := func(b uint16) bool { return l.Flags&b != 0 }
			want = fmt.Sprint(layers.TCPPort(l.SrcPort), layers.TCPPort(l.DstPort), l.Seq, l.Ack, l.DataOffset, l.Window, l.Checksum, l.Urgent,
				f(TCPFin), f(TCPSyn), f(TCPRst), f(TCPPsh), f(TCPAck), f(TCPUrg), f(TCPEce), f(TCPCwr), f(TCPNs))
		case *UDP:
			g, _ := p.Layer(layers.LayerTypeUDP).(*layers.UDP)
			if g == nil {
				t.Fatalf("layer %d: gopacket found no UDP", i)
			}
			got = fmt.Sprint(g.SrcPort, g.DstPort, g.Length, g.Checksum)
			want = fmt.Sprint(layers.UDPPort(l.SrcPort), layers.UDPPort(l.DstPort), l.Length, l.Checksum)
		case *Raw:
			// gopacket reads raw data as its payload, or as the contents of
			// the layer it could not decode (protocol 253, DNS on port 53).
			var got []byte
			if al := p.ApplicationLayer(); al != nil {
				got = al.Payload()
			} else if el := p.ErrorLayer(); el != nil {
				got = el.LayerContents()
			}
			if !bytes.Equal(got, l.Load) {
				t.Errorf("payload: gopacket found %x, want %x", got, l.Load)
			}
		}
		if got != want {
			t.Errorf("%T: gopacket reads %s, built with %s", l, got, want)
		}
	}
}

func countBefore[T any](s Stack, i int) int {
	n := 0
	for _, l := range s[:i] {
		if _, ok := l.(T); ok {
			n++
		}
	}
	return n
}

func nthLayer(p gopacket.Packet, lt gopacket.LayerType, n int) gopacket.Layer {
	for _, l := range p.Layers() {
		if l.LayerType() == lt {
			if n == 0 {
				return l
			}
			n--
		}
	}
	return nil
}

// igmpFields compares gopacket's IGMP decoding (it has one type for v1/v2
// and one for v3) and checks the checksum, which gopacket does not.
func igmpFields(t *testing.T, p gopacket.Packet, l *IGMP) (got, want string) {
	t.Helper()
	igmp := p.Layer(layers.LayerTypeIGMP)
	if igmp == nil {
		t.Fatal("gopacket found no IGMP")
	}
	ip, _ := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	if c := Checksum(ip.LayerPayload()); c != 0 {
		t.Errorf("IGMP checksum does not verify: sum %#x", c)
	}
	switch g := igmp.(type) {
	case *layers.IGMPv1or2:
		return fmt.Sprintf("%d %d %v", g.Type, g.Checksum, g.GroupAddress),
			fmt.Sprintf("%d %d %s", l.Type, l.Checksum, showAddr(l.Group, false))
	case *layers.IGMP:
		got = fmt.Sprint(uint8(g.Type), g.Checksum)
		want = fmt.Sprint(l.Type, l.Checksum)
		if l.isV3Query() {
			got += fmt.Sprint(" ", g.GroupAddress, g.SupressRouterProcessing, g.RobustnessValue, g.NumberOfSources, g.SourceAddresses)
			want += fmt.Sprint(" ", l.Group, l.S == 1, l.QRV, l.NumSources, ips(l.Sources))
		} else {
			got += fmt.Sprint(" ", g.NumberOfGroupRecords)
			want += fmt.Sprint(" ", l.NumRecords)
			for i, r := range g.GroupRecords {
				w := l.Records[i]
				got += fmt.Sprint(" ", uint8(r.Type), r.AuxDataLen, r.NumberOfSources, r.MulticastAddress, r.SourceAddresses)
				want += fmt.Sprint(" ", w.Type, w.AuxDataLen, w.NumSources, w.Multicast, ips(w.Sources))
			}
		}
		return got, want
	}
	t.Fatalf("gopacket decoded IGMP as %T", igmp)
	return
}

func ips(as []netip.Addr) []net.IP {
	out := []net.IP{}
	for _, a := range as {
		out = append(out, net.IP(a.AsSlice()))
	}
	return out
}
