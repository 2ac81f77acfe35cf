package capture

import (
	"encoding/binary"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// A sink receives the fields of a decoded packet, layer by layer; the JSON
// and tree printers are sinks, so both show the same fields under the same
// names (docs/json.md).
type sink interface {
	layer(name string)
	str(key, v string)
	num(key string, v uint64)
	flag(key string, v bool)
	bytes(key string, b []byte)
	addr(key string, a netip.Addr)
	// list starts a list of objects (options, records) and item starts
	// each; end closes the list.
	list(key string)
	item()
	end()
	// strs is a list of strings.
	strs(key string, v []string)
}

// describe sends every field of the decoded packet to s.
func describe(d *Decoder, s sink) {
	vlan := 0
	for _, t := range d.Layers {
		switch t {
		case layers.LayerTypeEthernet:
			e := &d.Ethernet
			s.layer("ethernet")
			s.str("src", macString(e.SrcMAC))
			s.str("dst", macString(e.DstMAC))
			s.num("ethertype", uint64(e.EthernetType))
			if e.Length != 0 {
				s.num("length", uint64(e.Length))
			}
		case layers.LayerTypeDot1Q:
			q := &d.Dot1Q[min(vlan, 1)]
			vlan++
			s.layer("vlan")
			s.num("priority", uint64(q.Priority))
			s.flag("dei", q.DropEligible)
			s.num("id", uint64(q.VLANIdentifier))
			s.num("ethertype", uint64(q.Type))
		case layers.LayerTypeLinuxSLL:
			l := &d.SLL
			s.layer("sll")
			s.num("packet_type", uint64(l.PacketType))
			s.num("arphrd", uint64(l.AddrType))
			s.bytes("addr", l.Addr)
			s.num("ethertype", uint64(l.EthernetType))
		case layers.LayerTypeLinuxSLL2:
			l := &d.SLL2
			s.layer("sll2")
			s.num("ethertype", uint64(l.ProtocolType))
			s.num("ifindex", uint64(l.InterfaceIndex))
			s.num("arphrd", uint64(l.ARPHardwareType))
			s.num("packet_type", uint64(l.PacketType))
			s.bytes("addr", l.Addr)
		case layers.LayerTypeLoopback:
			s.layer("loopback")
			s.num("family", uint64(d.Loopback.Family))
		case layers.LayerTypeARP:
			a := &d.ARP
			s.layer("arp")
			s.num("htype", uint64(a.AddrType))
			s.num("ptype", uint64(a.Protocol))
			s.num("hlen", uint64(a.HwAddressSize))
			s.num("plen", uint64(a.ProtAddressSize))
			s.num("op", uint64(a.Operation))
			s.bytes("sha", a.SourceHwAddress)
			s.bytes("spa", a.SourceProtAddress)
			s.bytes("tha", a.DstHwAddress)
			s.bytes("tpa", a.DstProtAddress)
		case layers.LayerTypeIPv4:
			describeIPv4(&d.IPv4, s)
		case layers.LayerTypeIPv6:
			describeIPv6(&d.IPv6, s)
		case layers.LayerTypeICMPv4:
			c := &d.ICMPv4
			s.layer("icmp")
			s.num("type", uint64(c.TypeCode.Type()))
			s.num("code", uint64(c.TypeCode.Code()))
			s.num("checksum", uint64(c.Checksum))
			s.num("id", uint64(c.Id))
			s.num("seq", uint64(c.Seq))
			s.num("payload_length", uint64(len(c.Payload)))
		case layers.LayerTypeICMPv6:
			c := &d.ICMPv6
			s.layer("icmp6")
			s.num("type", uint64(c.TypeCode.Type()))
			s.num("code", uint64(c.TypeCode.Code()))
			s.num("checksum", uint64(c.Checksum))
			s.bytes("body", c.Payload)
		case layers.LayerTypeIGMP:
			describeIGMP(&d.IGMP, s)
		case layers.LayerTypeTCP:
			describeTCP(&d.TCP, s)
		case layers.LayerTypeUDP:
			u := &d.UDP
			s.layer("udp")
			s.num("src_port", uint64(u.SrcPort))
			s.num("dst_port", uint64(u.DstPort))
			s.num("length", uint64(u.Length))
			s.num("checksum", uint64(u.Checksum))
			s.num("payload_length", uint64(len(u.Payload)))
		case layers.LayerTypeDNS:
			describeDNS(&d.DNS, s)
		case gopacket.LayerTypePayload:
			s.layer("payload")
			s.num("length", uint64(len(d.Payload)))
		}
	}
}

func macString(b []byte) string {
	out := make([]byte, 0, 17)
	for i, c := range b {
		if i > 0 {
			out = append(out, ':')
		}
		out = append(out, hexDigits[c>>4], hexDigits[c&0xf])
	}
	return string(out)
}

func describeIPv4(ip *IPv4, s sink) {
	s.layer("ipv4")
	s.num("version", uint64(ip.Version))
	s.num("ihl", uint64(ip.IHL))
	s.num("tos", uint64(ip.TOS))
	s.num("length", uint64(ip.Length))
	s.num("id", uint64(ip.Id))
	var flags []string
	if ip.Flags&layers.IPv4EvilBit != 0 {
		flags = append(flags, "reserved")
	}
	if ip.Flags&layers.IPv4DontFragment != 0 {
		flags = append(flags, "DF")
	}
	if ip.Flags&layers.IPv4MoreFragments != 0 {
		flags = append(flags, "MF")
	}
	s.strs("flags", flags)
	s.num("frag_offset", uint64(ip.FragOffset)*8)
	s.num("ttl", uint64(ip.TTL))
	s.num("protocol", uint64(ip.Protocol))
	s.num("checksum", uint64(ip.Checksum))
	s.addr("src", ip.Src())
	s.addr("dst", ip.Dst())
	s.list("options")
	for _, o := range ip.Options {
		s.item()
		s.num("type", uint64(o.OptionType))
		s.num("length", uint64(o.OptionLength))
		s.bytes("data", o.OptionData)
	}
	s.end()
}

func describeIPv6(ip *IPv6, s sink) {
	s.layer("ipv6")
	s.num("version", uint64(ip.Version))
	s.num("traffic_class", uint64(ip.TrafficClass))
	s.num("flow_label", uint64(ip.FlowLabel))
	s.num("payload_length", uint64(ip.Length))
	s.num("next_header", uint64(ip.NextHeader))
	s.num("hop_limit", uint64(ip.HopLimit))
	s.addr("src", ip.SrcIP)
	s.addr("dst", ip.DstIP)
	s.list("extensions")
	for i := range ip.Extensions {
		e := &ip.Extensions[i]
		s.item()
		s.num("type", uint64(e.Type))
		s.num("next_header", uint64(e.NextHeader))
		s.num("length", uint64(len(e.Data)))
		if e.Type == layers.IPProtocolIPv6Fragment {
			s.num("frag_offset", uint64(e.FragmentOffset()))
			s.flag("more_fragments", e.MoreFragments())
			s.num("identification", uint64(e.Identification()))
		} else if len(e.Data) > 2 {
			s.bytes("data", e.Data[2:])
		}
	}
	s.end()
}

func describeIGMP(g *IGMP, s sink) {
	s.layer("igmp")
	s.num("version", uint64(g.Version))
	s.num("type", uint64(g.Type))
	s.num("max_resp", uint64(g.MaxResp))
	s.num("checksum", uint64(g.Checksum))
	if g.Group.IsValid() {
		s.addr("group", g.Group)
	}
	if g.Type == IGMPQuery && g.Version == 3 {
		s.flag("s", g.SFlag)
		s.num("qrv", uint64(g.QRV))
		s.num("qqic", uint64(g.QQIC))
		s.num("num_sources", uint64(g.NumSources))
		var srcs []string
		for i := 0; i < int(g.NumSources); i++ {
			a, ok := g.Source(i)
			if !ok {
				break
			}
			srcs = append(srcs, a.String())
		}
		s.strs("sources", srcs)
	}
	if g.Type == IGMPv3Report {
		s.num("num_records", uint64(g.NumRecords))
		s.list("records")
		off := 8
		for i := 0; i < int(g.NumRecords); i++ {
			r, next, ok := g.Record(off)
			if !ok {
				break
			}
			s.item()
			s.num("type", uint64(r.Type))
			s.num("aux_len", uint64(r.AuxLen))
			s.num("num_sources", uint64(r.NumSources))
			s.addr("group", r.Group)
			var srcs []string
			for j := 0; j < int(r.NumSources); j++ {
				a, ok := r.Source(j)
				if !ok {
					break
				}
				srcs = append(srcs, a.String())
			}
			s.strs("sources", srcs)
			s.flag("short", r.Short)
			if r.Short {
				break
			}
			off = next
		}
		s.end()
	}
}

func describeTCP(t *TCP, s sink) {
	s.layer("tcp")
	s.num("src_port", uint64(t.SrcPort))
	s.num("dst_port", uint64(t.DstPort))
	s.num("seq", uint64(t.Seq))
	s.num("ack", uint64(t.Ack))
	s.num("data_offset", uint64(t.DataOffset))
	var flags []string
	for _, f := range [...]struct {
		on   bool
		name string
	}{{t.FIN, "FIN"}, {t.SYN, "SYN"}, {t.RST, "RST"}, {t.PSH, "PSH"}, {t.ACK, "ACK"}, {t.URG, "URG"}, {t.ECE, "ECE"}, {t.CWR, "CWR"}, {t.NS, "NS"}} {
		if f.on {
			flags = append(flags, f.name)
		}
	}
	s.strs("flags", flags)
	s.num("window", uint64(t.Window))
	s.num("checksum", uint64(t.Checksum))
	s.num("urgent", uint64(t.Urgent))
	s.list("options")
	for _, o := range t.Options {
		s.item()
		s.num("kind", uint64(o.OptionType))
		s.num("length", uint64(o.OptionLength))
		s.bytes("data", o.OptionData)
	}
	s.end()
	s.num("payload_length", uint64(len(t.Payload)))
}

func describeDNS(d *DNS, s sink) {
	s.layer("dns")
	s.num("id", uint64(d.ID))
	s.flag("qr", d.QR)
	s.num("opcode", uint64(d.Opcode))
	s.flag("aa", d.AA)
	s.flag("tc", d.TC)
	s.flag("rd", d.RD)
	s.flag("ra", d.RA)
	s.flag("ad", d.AD)
	s.flag("cd", d.CD)
	s.num("rcode", uint64(d.ResponseCode))
	off := 12
	s.list("questions")
	for i := 0; i < int(d.QDCount); i++ {
		name, qtype, qclass, next, err := d.Question(off)
		if err != nil {
			break
		}
		s.item()
		n, _, _ := d.AppendName(nil, name)
		s.str("name", string(n))
		s.num("type", uint64(qtype))
		s.num("class", uint64(qclass))
		off = next
	}
	s.end()
	for _, sec := range [...]struct {
		key string
		n   uint16
	}{{"answers", d.ANCount}, {"authorities", d.NSCount}, {"additionals", d.ARCount}} {
		s.list(sec.key)
		for i := 0; i < int(sec.n) && off > 0; i++ {
			r, next, err := d.Record(off)
			if err != nil {
				off = -1
				break
			}
			s.item()
			n, _, _ := d.AppendName(nil, r.Name)
			s.str("name", string(n))
			s.num("type", uint64(r.Type))
			s.num("class", uint64(r.Class))
			s.num("ttl", uint64(r.TTL))
			describeRData(d, r, s)
			off = next
		}
		s.end()
	}
}

// describeRData gives a record's data in the form its type reads best:
// addresses, names, the fields of MX, SRV and SOA, TXT strings, or hex.
func describeRData(d *DNS, r DNSRecord, s sink) {
	data := d.Contents[r.Data : r.Data+r.DataLen]
	name := func(key string, off int) int {
		n, next, err := d.AppendName(nil, off)
		if err != nil {
			return -1
		}
		s.str(key, string(n))
		return next
	}
	switch {
	case r.Type == 1 && len(data) == 4:
		s.addr("address", netip.AddrFrom4([4]byte(data)))
	case r.Type == 28 && len(data) == 16:
		s.addr("address", netip.AddrFrom16([16]byte(data)))
	case r.Type == 2 || r.Type == 5 || r.Type == 12 || r.Type == 39:
		name("target", r.Data)
	case r.Type == 15 && len(data) > 2:
		s.num("preference", uint64(binary.BigEndian.Uint16(data)))
		name("exchange", r.Data+2)
	case r.Type == 33 && len(data) > 6:
		s.num("priority", uint64(binary.BigEndian.Uint16(data)))
		s.num("weight", uint64(binary.BigEndian.Uint16(data[2:])))
		s.num("port", uint64(binary.BigEndian.Uint16(data[4:])))
		name("target", r.Data+6)
	case r.Type == 6:
		off := name("mname", r.Data)
		if off > 0 {
			off = name("rname", off)
		}
		if off > 0 && off+20 <= len(d.Contents) {
			for i, k := range [...]string{"serial", "refresh", "retry", "expire", "minimum"} {
				s.num(k, uint64(binary.BigEndian.Uint32(d.Contents[off+4*i:])))
			}
		}
	case r.Type == 16:
		var txt []string
		for len(data) > 0 && int(data[0]) < len(data) {
			txt = append(txt, string(data[1:1+int(data[0])]))
			data = data[1+int(data[0]):]
		}
		s.strs("txt", txt)
	default:
		s.bytes("data", data)
	}
}
