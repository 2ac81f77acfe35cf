package craft

import (
	"encoding/binary"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/rawsock/rawsock/internal/csum"
)

// TCP flag bits, as they sit in the 9-bit Flags field.
const (
	TCPFin uint16 = 1 << iota
	TCPSyn
	TCPRst
	TCPPsh
	TCPAck
	TCPUrg
	TCPEce
	TCPCwr
	TCPNs
)

// tcpFlagLetters names the flag bits from the lowest, as scapy writes them.
const tcpFlagLetters = "FSRPAUECN"

// TCP is a TCP header (RFC 9293). DataOffset and Checksum are computed
// unless Keep says otherwise; the checksum covers the pseudo-header of the
// IPv4 or IPv6 layer before it in a Stack.
type TCP struct {
	SrcPort, DstPort uint16
	Seq, Ack         uint32
	DataOffset       uint8 // 4 bits, header length in 32-bit words
	Reserved         uint8 // 3 bits
	Flags            uint16
	Window           uint16
	Checksum         uint16
	Urgent           uint16
	// Options holds encoded options (see the TCPOpt functions), padded
	// with zeros to a multiple of 4 bytes when written.
	Options []byte
	Keep    Keep

	net pseudoHeader
}

var _ gopacket.SerializableLayer = (*TCP)(nil)

// LayerType is layers.LayerTypeTCP.
func (t *TCP) LayerType() gopacket.LayerType { return layers.LayerTypeTCP }

// SerializeTo writes the header before the payload already in b.
func (t *TCP) SerializeTo(b gopacket.SerializeBuffer, opts gopacket.SerializeOptions) error {
	optLen := (len(t.Options) + 3) &^ 3
	h, err := b.PrependBytes(20 + optLen)
	if err != nil {
		return err
	}
	if opts.FixLengths && t.Keep&KeepHeaderLength == 0 {
		t.DataOffset = uint8((20 + optLen) / 4)
	}
	binary.BigEndian.PutUint16(h, t.SrcPort)
	binary.BigEndian.PutUint16(h[2:], t.DstPort)
	binary.BigEndian.PutUint32(h[4:], t.Seq)
	binary.BigEndian.PutUint32(h[8:], t.Ack)
	binary.BigEndian.PutUint16(h[12:], uint16(t.DataOffset&0x0f)<<12|uint16(t.Reserved&7)<<9|t.Flags&0x1ff)
	binary.BigEndian.PutUint16(h[14:], t.Window)
	binary.BigEndian.PutUint16(h[18:], t.Urgent)
	n := copy(h[20:], t.Options)
	clear(h[20+n:])
	if opts.ComputeChecksums && t.Keep&KeepChecksum == 0 {
		h[16], h[17] = 0, 0
		var s uint64
		if t.net != nil {
			s = t.net.pseudoSum(6, len(b.Bytes()))
		}
		t.Checksum = csum.Fold(csum.Sum(b.Bytes(), s))
	}
	binary.BigEndian.PutUint16(h[16:], t.Checksum)
	return nil
}

func decodeTCP(data []byte) (*TCP, []byte, bool) {
	if len(data) < 20 {
		return nil, data, false
	}
	w := binary.BigEndian.Uint16(data[12:])
	t := &TCP{
		SrcPort:    binary.BigEndian.Uint16(data),
		DstPort:    binary.BigEndian.Uint16(data[2:]),
		Seq:        binary.BigEndian.Uint32(data[4:]),
		Ack:        binary.BigEndian.Uint32(data[8:]),
		DataOffset: uint8(w >> 12),
		Reserved:   uint8(w>>9) & 7,
		Flags:      w & 0x1ff,
		Window:     binary.BigEndian.Uint16(data[14:]),
		Checksum:   binary.BigEndian.Uint16(data[16:]),
		Urgent:     binary.BigEndian.Uint16(data[18:]),
		Keep:       KeepHeaderLength | KeepChecksum,
	}
	hl := int(t.DataOffset) * 4
	switch {
	case hl < 20:
		hl = 20
	case hl > len(data):
		hl = 20 + (len(data)-20)&^3
	}
	t.Options = data[20:hl]
	return t, data[hl:], true
}
