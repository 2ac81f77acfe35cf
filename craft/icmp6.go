package craft

import (
	"encoding/binary"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/rawsock/rawsock/internal/csum"
)

// ICMPv6 is an ICMPv6 message (RFC 4443). The second word holds ID and Seq
// for echo request and reply (128, 129), MTU for packet too big (2),
// Pointer for parameter problem (4), Length (RFC 4884) and 24 bits of
// Unused for destination unreachable and time exceeded (1, 3), and Unused
// for other types. The checksum covers the IPv6 pseudo-header of the layer
// before it in a Stack.
type ICMPv6 struct {
	Type, Code uint8
	Checksum   uint16
	ID, Seq    uint16
	MTU        uint32
	Pointer    uint32
	Length     uint8
	Unused     uint32
	Keep       Keep

	net pseudoHeader
}

var _ gopacket.SerializableLayer = (*ICMPv6)(nil)

// LayerType is layers.LayerTypeICMPv6.
func (m *ICMPv6) LayerType() gopacket.LayerType { return layers.LayerTypeICMPv6 }

// SerializeTo writes the message before the payload already in b.
func (m *ICMPv6) SerializeTo(b gopacket.SerializeBuffer, opts gopacket.SerializeOptions) error {
	h, err := b.PrependBytes(8)
	if err != nil {
		return err
	}
	h[0], h[1] = m.Type, m.Code
	switch m.Type {
	case 128, 129:
		binary.BigEndian.PutUint16(h[4:], m.ID)
		binary.BigEndian.PutUint16(h[6:], m.Seq)
	case 2:
		binary.BigEndian.PutUint32(h[4:], m.MTU)
	case 4:
		binary.BigEndian.PutUint32(h[4:], m.Pointer)
	case 1, 3:
		binary.BigEndian.PutUint32(h[4:], uint32(m.Length)<<24|m.Unused&0xffffff)
	default:
		binary.BigEndian.PutUint32(h[4:], m.Unused)
	}
	if opts.ComputeChecksums && m.Keep&KeepChecksum == 0 {
		h[2], h[3] = 0, 0
		var s uint64
		if m.net != nil {
			s = m.net.pseudoSum(58, len(b.Bytes()))
		}
		m.Checksum = csum.Fold(csum.Sum(b.Bytes(), s))
	}
	binary.BigEndian.PutUint16(h[2:], m.Checksum)
	return nil
}

func decodeICMPv6(data []byte) (*ICMPv6, []byte, bool) {
	if len(data) < 8 {
		return nil, data, false
	}
	m := &ICMPv6{
		Type:     data[0],
		Code:     data[1],
		Checksum: binary.BigEndian.Uint16(data[2:]),
		Keep:     KeepChecksum,
	}
	w := binary.BigEndian.Uint32(data[4:])
	switch m.Type {
	case 128, 129:
		m.ID, m.Seq = uint16(w>>16), uint16(w)
	case 2:
		m.MTU = w
	case 4:
		m.Pointer = w
	case 1, 3:
		m.Length, m.Unused = uint8(w>>24), w&0xffffff
	default:
		m.Unused = w
	}
	return m, data[8:], true
}
