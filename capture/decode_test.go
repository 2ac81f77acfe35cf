package capture

import (
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// An ICMP echo request in an 802.1Q-tagged Ethernet frame, from
// pcaps/vlan.pcap:
//
//	0x0000:  0200 0000 0001 0200 0000 0002 8100 0064  ...............d
//	0x0010:  0800 4500 003c 0001 0000 4001 f7b5 c000  ..E..<....@.....
//	0x0020:  0202 c000 0201 0800 1c13 0042 0001 766c  ...........B..vl
var vlanEcho = []byte{
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x81, 0x00, 0x00, 0x64,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x40, 0x01, 0xf7, 0xd5, 0xc0, 0x00,
	0x02, 0x02, 0xc0, 0x00, 0x02, 0x01, 0x08, 0x00, 0xf7, 0xbd, 0x00, 0x42, 0x00, 0x01,
}

func TestDecodeVLAN(t *testing.T) {
	d := NewDecoder()
	if err := d.Decode(layers.LinkTypeEthernet, vlanEcho); err != nil {
		t.Fatal(err)
	}
	want := []gopacket.LayerType{layers.LayerTypeEthernet, layers.LayerTypeDot1Q, layers.LayerTypeIPv4, layers.LayerTypeICMPv4}
	if !sameLayers(d.Layers, want) {
		t.Fatalf("layers: got %v, want %v", d.Layers, want)
	}
	if v := d.VLANs(); len(v) != 1 || v[0].VLANIdentifier != 100 {
		t.Errorf("VLANs: got %+v, want one tag of VLAN 100", v)
	}
	if got, want := d.IPv4.Src(), netip.MustParseAddr("192.0.2.2"); got != want {
		t.Errorf("source: got %v, want %v", got, want)
	}
	if d.ICMPv4.Id != 0x42 || d.ICMPv4.Seq != 1 || d.ICMPv4.TypeCode.Type() != 8 {
		t.Errorf("ICMP: got %v id %d seq %d, want echo request id 66 seq 1", d.ICMPv4.TypeCode, d.ICMPv4.Id, d.ICMPv4.Seq)
	}
}

func sameLayers(a, b []gopacket.LayerType) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestDecodeFixtures checks the layers of one packet of each kind in the
// sample captures.
func TestDecodeFixtures(t *testing.T) {
	tests := []struct {
		file  string
		match func(d *Decoder) bool
		what  string
	}{
		{"ipv6.pcap", func(d *Decoder) bool {
			return len(d.IPv6.Extensions) == 2 && d.IPv6.Extensions[0].Type == layers.IPProtocolIPv6HopByHop &&
				d.IPv6.Extensions[1].Type == layers.IPProtocolIPv6Destination && d.Has(layers.LayerTypeUDP) && d.UDP.DstPort == 7777
		}, "UDP behind hop-by-hop and destination options"},
		{"ipv6.pcap", func(d *Decoder) bool {
			f := d.IPv6.Fragment()
			return f != nil && f.FragmentOffset() == 1232 && f.MoreFragments() && !d.Has(layers.LayerTypeICMPv6)
		}, "a later IPv6 fragment"},
		{"icmp.pcap", func(d *Decoder) bool {
			return d.IPv4.Flags&layers.IPv4MoreFragments != 0 && d.IPv4.FragOffset == 0 && d.Has(layers.LayerTypeICMPv4)
		}, "the ICMP header of a first IPv4 fragment"},
		{"ipopts.pcap", func(d *Decoder) bool { return len(d.IPv4.Options) > 0 && d.IPv4.Options[1].OptionType == 7 }, "record route"},
		{"igmp.pcap", func(d *Decoder) bool {
			return d.Has(layers.LayerTypeIGMP) && d.IGMP.Version == 3 && d.IGMP.Type == IGMPv3Report
		}, "an IGMPv3 report"},
		{"igmp.pcap", func(d *Decoder) bool {
			return d.Has(layers.LayerTypeIGMP) && d.IGMP.Version == 2 && d.IGMP.Type == IGMPLeave
		}, "an IGMPv2 leave"},
		{"igmp.pcap", func(d *Decoder) bool {
			return d.Has(layers.LayerTypeIGMP) && d.IGMP.Version == 1 && d.IGMP.Type == IGMPv1Report
		}, "an IGMPv1 report"},
		{"dns.pcap", func(d *Decoder) bool { return d.Has(layers.LayerTypeDNS) && d.DNS.QR && d.DNS.ANCount == 2 }, "a DNS answer of two records"},
		{"tcp.pcap", func(d *Decoder) bool { return d.Has(layers.LayerTypeTCP) && d.TCP.SYN && len(d.TCP.Options) == 5 }, "a SYN with five options"},
		{"any.pcap", func(d *Decoder) bool { return d.Has(layers.LayerTypeLinuxSLL2) && d.Has(layers.LayerTypeARP) }, "ARP in Linux cooked v2"},
		{"any-sll.pcap", func(d *Decoder) bool { return d.Has(layers.LayerTypeLinuxSLL) && d.Has(layers.LayerTypeICMPv4) }, "ICMP in Linux cooked v1"},
		{"null.pcap", func(d *Decoder) bool { return d.Has(layers.LayerTypeLoopback) && d.Has(layers.LayerTypeICMPv6) }, "ICMPv6 in BSD loopback"},
		{"raw.pcap", func(d *Decoder) bool { return d.Layers[0] == layers.LayerTypeIPv4 && d.Has(layers.LayerTypeICMPv4) }, "raw IPv4"},
		{"vlan.pcap", func(d *Decoder) bool { return len(d.VLANs()) == 2 && d.VLANs()[0].VLANIdentifier == 300 }, "QinQ"},
		{"ipv6.pcap", func(d *Decoder) bool {
			return d.Has(layers.LayerTypeICMPv6) && d.ICMPv6.TypeCode.Type() == layers.ICMPv6TypeNeighborSolicitation
		}, "a neighbour solicitation"},
	}
	for _, tt := range tests {
		t.Run(tt.what, func(t *testing.T) {
			pkts, err := readAll(t, filepath.Join(pcapsDir, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			d := NewDecoder()
			for _, p := range pkts {
				d.Decode(p.link, p.data)
				if tt.match(d) {
					return
				}
			}
			t.Errorf("no packet of %s decodes as %s", tt.file, tt.what)
		})
	}
}

// TestDecodeIGMPRecords reads the group records of an IGMPv3 report and
// stops at one whose source count is larger than the packet.
func TestDecodeIGMPRecords(t *testing.T) {
	var g IGMP
	// igmp v3 report, 2 group records: to_ex 239.1.1.1 with 1 source,
	// then a record claiming 500 sources.
	msg := []byte{0x22, 0, 0, 0, 0, 0, 0, 2,
		4, 0, 0, 1, 239, 1, 1, 1, 192, 0, 2, 9,
		4, 0, 0x01, 0xf4, 239, 1, 1, 2, 192, 0, 2, 10}
	if err := g.DecodeFromBytes(msg, gopacket.NilDecodeFeedback); err != nil {
		t.Fatal(err)
	}
	r, next, ok := g.Record(8)
	if !ok || r.Short || r.Group != netip.MustParseAddr("239.1.1.1") || next != 20 {
		t.Fatalf("first record: got %+v next %d ok %v", r, next, ok)
	}
	if s, ok := r.Source(0); !ok || s != netip.MustParseAddr("192.0.2.9") {
		t.Errorf("first source: got %v %v", s, ok)
	}
	r, next, ok = g.Record(next)
	if !ok || !r.Short || r.NumSources != 500 || next != len(msg) {
		t.Errorf("second record: got %+v next %d ok %v, want it short of its 500 sources", r, next, ok)
	}
	if _, ok := r.Source(1); ok {
		t.Error("a source past the end of the packet was returned")
	}
}

// TestDecodeDNSNames reads names with compression and refuses loops.
func TestDecodeDNSNames(t *testing.T) {
	msg := []byte{0x12, 0x34, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0,
		3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 1, 0, 1, // question at 12
		0xc0, 0x10, // offset 29: pointer to "example."
		0xc0, 31, // offset 31: pointer to itself
	}
	var d DNS
	if err := d.DecodeFromBytes(msg, gopacket.NilDecodeFeedback); err != nil {
		t.Fatal(err)
	}
	name, next, err := d.AppendName(nil, 12)
	if err != nil || string(name) != "www.example." || next != 25 {
		t.Errorf("question name: got %q next %d %v", name, next, err)
	}
	if name, _, err := d.AppendName(nil, 29); err != nil || string(name) != "example." {
		t.Errorf("compressed name: got %q %v", name, err)
	}
	if _, _, err := d.AppendName(nil, 31); err == nil {
		t.Error("a pointer to itself was followed")
	}
	_, qtype, _, _, err := d.Question(12)
	if err != nil || qtype != 1 {
		t.Errorf("question: got type %d %v", qtype, err)
	}
}

// TestDecodeAllocations: decoding the sample captures allocates nothing.
func TestDecodeAllocations(t *testing.T) {
	for _, file := range fixtures(t) {
		pkts, err := readAll(t, file)
		if err != nil {
			t.Fatal(err)
		}
		d := NewDecoder()
		i := 0
		allocs := testing.AllocsPerRun(len(pkts)*2, func() {
			p := pkts[i%len(pkts)]
			i++
			d.Decode(p.link, p.data)
		})
		if allocs != 0 {
			t.Errorf("%s: %.2f allocations per packet, want 0", filepath.Base(file), allocs)
		}
	}
}
