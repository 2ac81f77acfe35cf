package craft

import (
	"encoding/binary"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/rawsock/rawsock/internal/csum"
)

// IPv6 is an IPv6 header (RFC 8200). Length (the payload length) is
// computed unless Keep has KeepLength; a Stack takes NextHeader from the
// next layer unless Keep has KeepNext.
type IPv6 struct {
	Version      uint8 // 4 bits
	TrafficClass uint8
	FlowLabel    uint32 // 20 bits
	Length       uint16
	NextHeader   uint8
	HopLimit     uint8
	Src, Dst     netip.Addr
	Keep         Keep
}

var _ gopacket.SerializableLayer = (*IPv6)(nil)

// LayerType is layers.LayerTypeIPv6.
func (ip *IPv6) LayerType() gopacket.LayerType { return layers.LayerTypeIPv6 }

// SerializeTo writes the header before the payload already in b.
func (ip *IPv6) SerializeTo(b gopacket.SerializeBuffer, opts gopacket.SerializeOptions) error {
	n := len(b.Bytes())
	h, err := b.PrependBytes(40)
	if err != nil {
		return err
	}
	if opts.FixLengths && ip.Keep&KeepLength == 0 {
		if n > 0xffff {
			return errTooLong
		}
		ip.Length = uint16(n)
	}
	binary.BigEndian.PutUint32(h, uint32(ip.Version&0x0f)<<28|uint32(ip.TrafficClass)<<20|ip.FlowLabel&0xfffff)
	binary.BigEndian.PutUint16(h[4:], ip.Length)
	h[6] = ip.NextHeader
	h[7] = ip.HopLimit
	put16(h[8:], ip.Src)
	put16(h[24:], ip.Dst)
	return nil
}

func (ip *IPv6) pseudoSum(proto uint8, length int) uint64 {
	return csum.Pseudo(ip.Src, ip.Dst, proto, length)
}

// decodeIPv6 reads an IPv6 header; trail as for decodeIPv4.
func decodeIPv6(data []byte, trail bool) (ip *IPv6, payload, trailer []byte, ok bool) {
	if len(data) < 40 {
		return nil, data, nil, false
	}
	w := binary.BigEndian.Uint32(data)
	ip = &IPv6{
		Version:      uint8(w >> 28),
		TrafficClass: uint8(w >> 20),
		FlowLabel:    w & 0xfffff,
		Length:       binary.BigEndian.Uint16(data[4:]),
		NextHeader:   data[6],
		HopLimit:     data[7],
		Src:          netip.AddrFrom16([16]byte(data[8:24])),
		Dst:          netip.AddrFrom16([16]byte(data[24:40])),
		Keep:         KeepLength | KeepNext,
	}
	payload = data[40:]
	if trail && int(ip.Length) <= len(payload) {
		payload, trailer = payload[:ip.Length], payload[ip.Length:]
	}
	return ip, payload, trailer, true
}
