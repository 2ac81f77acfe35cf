package craft

import (
	"encoding/binary"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/rawsock/rawsock/internal/csum"
)

// UDP is a UDP header (RFC 768). Length and Checksum are computed unless
// Keep says otherwise; the checksum covers the pseudo-header of the IPv4 or
// IPv6 layer before it in a Stack.
type UDP struct {
	SrcPort, DstPort uint16
	Length           uint16
	Checksum         uint16
	Keep             Keep

	net pseudoHeader
}

var _ gopacket.SerializableLayer = (*UDP)(nil)

// LayerType is layers.LayerTypeUDP.
func (u *UDP) LayerType() gopacket.LayerType { return layers.LayerTypeUDP }

// SerializeTo writes the header before the payload already in b.
func (u *UDP) SerializeTo(b gopacket.SerializeBuffer, opts gopacket.SerializeOptions) error {
	h, err := b.PrependBytes(8)
	if err != nil {
		return err
	}
	n := len(b.Bytes())
	if opts.FixLengths && u.Keep&KeepLength == 0 {
		if n > 0xffff {
			return errTooLong
		}
		u.Length = uint16(n)
	}
	binary.BigEndian.PutUint16(h, u.SrcPort)
	binary.BigEndian.PutUint16(h[2:], u.DstPort)
	binary.BigEndian.PutUint16(h[4:], u.Length)
	if opts.ComputeChecksums && u.Keep&KeepChecksum == 0 {
		h[6], h[7] = 0, 0
		var s uint64
		if u.net != nil {
			s = u.net.pseudoSum(17, n)
		}
		c := csum.Fold(csum.Sum(b.Bytes(), s))
		if c == 0 {
			c = 0xffff // zero means "no checksum" (RFC 768)
		}
		u.Checksum = c
	}
	binary.BigEndian.PutUint16(h[6:], u.Checksum)
	return nil
}

func decodeUDP(data []byte) (*UDP, []byte, bool) {
	if len(data) < 8 {
		return nil, data, false
	}
	return &UDP{
		SrcPort:  binary.BigEndian.Uint16(data),
		DstPort:  binary.BigEndian.Uint16(data[2:]),
		Length:   binary.BigEndian.Uint16(data[4:]),
		Checksum: binary.BigEndian.Uint16(data[6:]),
		Keep:     KeepLength | KeepChecksum,
	}, data[8:], true
}
