package craft

import (
	"github.com/gopacket/gopacket"
)

// Raw is payload bytes written as they are.
type Raw struct {
	Load []byte
}

var _ gopacket.SerializableLayer = (*Raw)(nil)

// LayerType is gopacket.LayerTypePayload.
func (r *Raw) LayerType() gopacket.LayerType { return gopacket.LayerTypePayload }

// SerializeTo writes Load before what b holds.
func (r *Raw) SerializeTo(b gopacket.SerializeBuffer, _ gopacket.SerializeOptions) error {
	if len(r.Load) == 0 {
		return nil
	}
	p, err := b.PrependBytes(len(r.Load))
	if err != nil {
		return err
	}
	copy(p, r.Load)
	return nil
}
