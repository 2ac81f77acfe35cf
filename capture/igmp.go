package capture

import (
	"encoding/binary"
	"errors"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// IGMP message types.
const (
	IGMPQuery    = 0x11
	IGMPv1Report = 0x12
	IGMPv2Report = 0x16
	IGMPLeave    = 0x17
	IGMPv3Report = 0x22
)

// IGMP is an IGMP message of any version (RFC 1112, 2236, 3376). Unlike
// gopacket's, it keeps the source lists and group records in the packet's
// bytes and reads them on demand, so decoding allocates nothing and a count
// that claims more than the packet holds is caught where it is read.
type IGMP struct {
	layers.BaseLayer
	Type     uint8
	MaxResp  uint8
	Checksum uint16
	// Group is the group address of a query, v1/v2 report or leave.
	Group netip.Addr
	// Version is 1, 2 or 3, as RFC 3376 section 7.1 tells them apart.
	Version int

	// IGMPv3 query fields.
	SFlag      bool
	QRV        uint8
	QQIC       uint8
	NumSources uint16
	// NumRecords is the number of group records of an IGMPv3 report.
	NumRecords uint16
}

// LayerType returns layers.LayerTypeIGMP.
func (g *IGMP) LayerType() gopacket.LayerType { return layers.LayerTypeIGMP }

// CanDecode returns layers.LayerTypeIGMP.
func (g *IGMP) CanDecode() gopacket.LayerClass { return layers.LayerTypeIGMP }

// NextLayerType returns gopacket.LayerTypeZero: nothing follows IGMP.
func (g *IGMP) NextLayerType() gopacket.LayerType { return gopacket.LayerTypeZero }

var errIGMPShort = errors.New("IGMP message shorter than 8 bytes")

// DecodeFromBytes decodes an IGMP message.
func (g *IGMP) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	*g = IGMP{}
	if len(data) < 8 {
		df.SetTruncated()
		return errIGMPShort
	}
	g.Type, g.MaxResp = data[0], data[1]
	g.Checksum = binary.BigEndian.Uint16(data[2:])
	g.Contents = data
	switch g.Type {
	case IGMPQuery:
		g.Group = addr4(data[4:8])
		switch {
		case len(data) >= 12:
			g.Version = 3
			g.SFlag = data[8]&8 != 0
			g.QRV = data[8] & 7
			g.QQIC = data[9]
			g.NumSources = binary.BigEndian.Uint16(data[10:])
		case g.MaxResp == 0:
			g.Version = 1
		default:
			g.Version = 2
		}
	case IGMPv1Report:
		g.Version = 1
		g.Group = addr4(data[4:8])
	case IGMPv2Report, IGMPLeave:
		g.Version = 2
		g.Group = addr4(data[4:8])
	case IGMPv3Report:
		g.Version = 3
		g.NumRecords = binary.BigEndian.Uint16(data[6:])
	}
	return nil
}

// Source returns the i-th source address of an IGMPv3 query, and false if
// the packet ends before it.
func (g *IGMP) Source(i int) (netip.Addr, bool) {
	off := 12 + 4*i
	if i < 0 || off+4 > len(g.Contents) {
		return netip.Addr{}, false
	}
	return addr4(g.Contents[off:]), true
}

// An IGMPv3Record is one group record of an IGMPv3 report.
type IGMPv3Record struct {
	Type       uint8
	AuxLen     uint8
	NumSources uint16
	Group      netip.Addr
	// Sources holds the source addresses, 4 bytes each, as far as the
	// packet has them.
	Sources []byte
	// Short is set when the packet ends before the record does.
	Short bool
}

// Source returns the i-th source address of the record.
func (r *IGMPv3Record) Source(i int) (netip.Addr, bool) {
	if i < 0 || 4*i+4 > len(r.Sources) {
		return netip.Addr{}, false
	}
	return addr4(r.Sources[4*i:]), true
}

// Record reads the group record of an IGMPv3 report at byte offset off of
// the message (the first is at 8) and returns it with the offset of the
// next one. ok is false when off is past the end; r.Short is set when the
// packet ends inside the record.
//
//	off := 8
//	for i := 0; i < int(g.NumRecords); i++ {
//		r, next, ok := g.Record(off)
//		...
//		off = next
//	}
func (g *IGMP) Record(off int) (r IGMPv3Record, next int, ok bool) {
	if g.Type != IGMPv3Report || off < 8 || off > len(g.Contents) {
		return r, off, false
	}
	rest := g.Contents[off:]
	if len(rest) < 8 {
		r.Short = true
		return r, len(g.Contents), true
	}
	r.Type, r.AuxLen = rest[0], rest[1]
	r.NumSources = binary.BigEndian.Uint16(rest[2:])
	r.Group = addr4(rest[4:8])
	n := 8 + 4*int(r.NumSources) + 4*int(r.AuxLen)
	r.Sources = rest[8:min(8+4*int(r.NumSources), len(rest))]
	if n > len(rest) {
		r.Short = true
		return r, len(g.Contents), true
	}
	return r, off + n, true
}
