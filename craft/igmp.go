package craft

import (
	"encoding/binary"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// IGMP message types (RFC 1112, RFC 2236, RFC 3376).
const (
	IGMPQuery    uint8 = 0x11 // membership query, all versions
	IGMPv1Report uint8 = 0x12
	IGMPv2Report uint8 = 0x16
	IGMPv2Leave  uint8 = 0x17
	IGMPv3Report uint8 = 0x22
)

// IGMP is an IGMP message of any version; gopacket can decode IGMP but not
// build it. The layout follows Type and Version: type 0x22 is an IGMPv3
// membership report (RFC 3376 section 4.2), type 0x11 with Version 3 an
// IGMPv3 query (section 4.1), anything else the 8-byte message of IGMPv1
// and IGMPv2. Field names follow scapy's IGMP and IGMPv3 classes. The
// checksum and the counts (NumSources, NumRecords) are computed unless Keep
// says otherwise.
type IGMP struct {
	Type        uint8
	MaxRespCode uint8 // mrcode; reserved in reports
	Checksum    uint16
	Group       netip.Addr // gaddr, absent from v3 reports
	Version     uint8

	// IGMPv3 query fields.
	Resv       uint8 // 4 bits
	S          uint8 // 1 bit: suppress router-side processing
	QRV        uint8 // 3 bits
	QQIC       uint8
	NumSources uint16
	Sources    []netip.Addr

	// IGMPv3 report fields.
	Res2       uint16
	NumRecords uint16
	Records    []IGMPRecord

	Keep Keep
}

// An IGMPRecord is a group record of an IGMPv3 report. NumSources is
// computed unless Keep has KeepCount, AuxDataLen (in 32-bit words) unless
// Keep has KeepLength.
type IGMPRecord struct {
	Type       uint8 // rtype: 1 MODE_IS_INCLUDE … 6 BLOCK_OLD_SOURCES
	AuxDataLen uint8
	NumSources uint16
	Multicast  netip.Addr
	Sources    []netip.Addr
	AuxData    []byte
	Keep       Keep
}

var _ gopacket.SerializableLayer = (*IGMP)(nil)

// LayerType is layers.LayerTypeIGMP.
func (g *IGMP) LayerType() gopacket.LayerType { return layers.LayerTypeIGMP }

func (g *IGMP) isV3Query() bool  { return g.Type == IGMPQuery && g.Version == 3 }
func (g *IGMP) isV3Report() bool { return g.Type == IGMPv3Report }

func (r *IGMPRecord) len() int { return 8 + 4*len(r.Sources) + (len(r.AuxData)+3)&^3 }

func (g *IGMP) len() int {
	switch {
	case g.isV3Query():
		return 12 + 4*len(g.Sources)
	case g.isV3Report():
		n := 8
		for i := range g.Records {
			n += g.Records[i].len()
		}
		return n
	}
	return 8
}

// SerializeTo writes the message before the payload already in b.
func (g *IGMP) SerializeTo(b gopacket.SerializeBuffer, opts gopacket.SerializeOptions) error {
	h, err := b.PrependBytes(g.len())
	if err != nil {
		return err
	}
	h[0], h[1] = g.Type, g.MaxRespCode
	switch {
	case g.isV3Query():
		put4(h[4:], g.Group)
		h[8] = g.Resv<<4 | g.S&1<<3 | g.QRV&7
		h[9] = g.QQIC
		if opts.FixLengths && g.Keep&KeepCount == 0 {
			g.NumSources = uint16(len(g.Sources))
		}
		binary.BigEndian.PutUint16(h[10:], g.NumSources)
		for i, s := range g.Sources {
			put4(h[12+4*i:], s)
		}
	case g.isV3Report():
		binary.BigEndian.PutUint16(h[4:], g.Res2)
		if opts.FixLengths && g.Keep&KeepCount == 0 {
			g.NumRecords = uint16(len(g.Records))
		}
		binary.BigEndian.PutUint16(h[6:], g.NumRecords)
		at := 8
		for i := range g.Records {
			r := &g.Records[i]
			if opts.FixLengths && r.Keep&KeepLength == 0 {
				r.AuxDataLen = uint8((len(r.AuxData) + 3) / 4)
			}
			if opts.FixLengths && r.Keep&KeepCount == 0 {
				r.NumSources = uint16(len(r.Sources))
			}
			h[at], h[at+1] = r.Type, r.AuxDataLen
			binary.BigEndian.PutUint16(h[at+2:], r.NumSources)
			put4(h[at+4:], r.Multicast)
			at += 8
			for _, s := range r.Sources {
				put4(h[at:], s)
				at += 4
			}
			n := copy(h[at:], r.AuxData)
			pad := (len(r.AuxData) + 3) &^ 3
			clear(h[at+n : at+pad])
			at += pad
		}
	default:
		put4(h[4:], g.Group)
	}
	if opts.ComputeChecksums && g.Keep&KeepChecksum == 0 {
		h[2], h[3] = 0, 0
		g.Checksum = Checksum(b.Bytes())
	}
	binary.BigEndian.PutUint16(h[2:], g.Checksum)
	return nil
}

// decodeIGMP reads an IGMP message of any version. A query or report whose
// counts do not match the bytes present decodes as the 8-byte message
// followed by raw bytes, so that it still rebuilds exactly.
func decodeIGMP(data []byte) (*IGMP, []byte, bool) {
	if len(data) < 8 {
		return nil, data, false
	}
	g := &IGMP{
		Type:        data[0],
		MaxRespCode: data[1],
		Checksum:    binary.BigEndian.Uint16(data[2:]),
		Version:     igmpVersionOf(data[0]),
		Keep:        KeepChecksum | KeepCount,
	}
	switch {
	case g.Type == IGMPQuery && len(data) >= 12:
		n := int(binary.BigEndian.Uint16(data[10:]))
		if len(data) >= 12+4*n {
			g.Version = 3
			g.Group = netip.AddrFrom4([4]byte(data[4:8]))
			g.Resv, g.S, g.QRV = data[8]>>4, data[8]>>3&1, data[8]&7
			g.QQIC = data[9]
			g.NumSources = uint16(n)
			for i := 0; i < n; i++ {
				g.Sources = append(g.Sources, netip.AddrFrom4([4]byte(data[12+4*i:])))
			}
			return g, data[12+4*n:], true
		}
	case g.Type == IGMPv3Report:
		g.Res2 = binary.BigEndian.Uint16(data[4:])
		g.NumRecords = binary.BigEndian.Uint16(data[6:])
		rest := data[8:]
		for i := 0; i < int(g.NumRecords); i++ {
			if len(rest) < 8 {
				return nil, data, false
			}
			r := IGMPRecord{
				Type:       rest[0],
				AuxDataLen: rest[1],
				NumSources: binary.BigEndian.Uint16(rest[2:]),
				Multicast:  netip.AddrFrom4([4]byte(rest[4:8])),
				Keep:       KeepCount | KeepLength,
			}
			n := 8 + 4*int(r.NumSources) + 4*int(r.AuxDataLen)
			if len(rest) < n {
				return nil, data, false
			}
			for j := 0; j < int(r.NumSources); j++ {
				r.Sources = append(r.Sources, netip.AddrFrom4([4]byte(rest[8+4*j:])))
			}
			if r.AuxDataLen > 0 {
				r.AuxData = rest[8+4*int(r.NumSources) : n]
			}
			g.Records = append(g.Records, r)
			rest = rest[n:]
		}
		return g, rest, true
	}
	if g.Type == IGMPQuery {
		g.Version = 2
	}
	g.Group = netip.AddrFrom4([4]byte(data[4:8]))
	return g, data[8:], true
}

// igmpVersionOf is the version a message of type t belongs to when nothing
// else tells.
func igmpVersionOf(t uint8) uint8 {
	switch t {
	case IGMPv1Report:
		return 1
	case IGMPv3Report:
		return 3
	}
	return 2
}
