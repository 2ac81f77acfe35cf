package craft

import (
	"encoding/binary"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Ether is an Ethernet II header. Trailer is written after the payload
// (padding, or bytes behind an IP packet that a capture kept).
type Ether struct {
	Dst, Src [6]byte
	// Type is the EtherType; a Stack sets it from the next layer unless
	// Keep has KeepNext.
	Type    uint16
	Trailer []byte
	Keep    Keep
}

var _ gopacket.SerializableLayer = (*Ether)(nil)

// LayerType is layers.LayerTypeEthernet.
func (e *Ether) LayerType() gopacket.LayerType { return layers.LayerTypeEthernet }

// SerializeTo writes the header before the payload already in b and the
// trailer after it.
func (e *Ether) SerializeTo(b gopacket.SerializeBuffer, _ gopacket.SerializeOptions) error {
	if len(e.Trailer) > 0 {
		t, err := b.AppendBytes(len(e.Trailer))
		if err != nil {
			return err
		}
		copy(t, e.Trailer)
	}
	h, err := b.PrependBytes(14)
	if err != nil {
		return err
	}
	copy(h[0:6], e.Dst[:])
	copy(h[6:12], e.Src[:])
	binary.BigEndian.PutUint16(h[12:], e.Type)
	return nil
}

// decodeEther reads an Ethernet II header; the payload runs to the end of
// data (an IP layer inside moves what follows its length to Trailer).
func decodeEther(data []byte) (*Ether, []byte, bool) {
	if len(data) < 14 {
		return nil, data, false
	}
	e := &Ether{Type: binary.BigEndian.Uint16(data[12:]), Keep: KeepNext}
	copy(e.Dst[:], data[0:6])
	copy(e.Src[:], data[6:12])
	return e, data[14:], true
}
