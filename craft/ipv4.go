package craft

import (
	"encoding/binary"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/rawsock/rawsock/internal/csum"
)

// IPv4 flag bits, as they sit in the 3-bit Flags field.
const (
	IPv4MoreFragments uint8 = 1 // MF
	IPv4DontFragment  uint8 = 2 // DF
	IPv4Evil          uint8 = 4 // the reserved bit (RFC 3514)
)

// IPv4 is an IPv4 header (RFC 791). Fields are written as they are, except
// IHL, Length and Checksum, which SerializeTo computes when the options
// ask for it and Keep does not say otherwise, and Protocol, which a Stack
// takes from the next layer unless Keep has KeepNext.
type IPv4 struct {
	Version    uint8 // 4 bits
	IHL        uint8 // 4 bits, header length in 32-bit words
	TOS        uint8
	Length     uint16
	ID         uint16
	Flags      uint8  // 3 bits: IPv4Evil, IPv4DontFragment, IPv4MoreFragments
	FragOffset uint16 // 13 bits, in units of 8 bytes
	TTL        uint8
	Protocol   uint8
	Checksum   uint16
	Src, Dst   netip.Addr
	// Options holds encoded options (see the IPOpt functions), padded with
	// zeros to a multiple of 4 bytes when written.
	Options []byte
	Keep    Keep
}

var _ gopacket.SerializableLayer = (*IPv4)(nil)

// LayerType is layers.LayerTypeIPv4.
func (ip *IPv4) LayerType() gopacket.LayerType { return layers.LayerTypeIPv4 }

// SerializeTo writes the header before the payload already in b.
func (ip *IPv4) SerializeTo(b gopacket.SerializeBuffer, opts gopacket.SerializeOptions) error {
	optLen := (len(ip.Options) + 3) &^ 3
	h, err := b.PrependBytes(20 + optLen)
	if err != nil {
		return err
	}
	if opts.FixLengths && ip.Keep&KeepHeaderLength == 0 {
		ip.IHL = uint8((20 + optLen) / 4)
	}
	if opts.FixLengths && ip.Keep&KeepLength == 0 {
		n := len(b.Bytes())
		if n > 0xffff {
			return errTooLong
		}
		ip.Length = uint16(n)
	}
	h[0] = ip.Version<<4 | ip.IHL&0x0f
	h[1] = ip.TOS
	binary.BigEndian.PutUint16(h[2:], ip.Length)
	binary.BigEndian.PutUint16(h[4:], ip.ID)
	binary.BigEndian.PutUint16(h[6:], uint16(ip.Flags&7)<<13|ip.FragOffset&0x1fff)
	h[8] = ip.TTL
	h[9] = ip.Protocol
	put4(h[12:], ip.Src)
	put4(h[16:], ip.Dst)
	n := copy(h[20:], ip.Options)
	clear(h[20+n:])
	if opts.ComputeChecksums && ip.Keep&KeepChecksum == 0 {
		h[10], h[11] = 0, 0
		ip.Checksum = Checksum(h)
	}
	binary.BigEndian.PutUint16(h[10:], ip.Checksum)
	return nil
}

// pseudoSum is the sum of the IPv4 pseudo-header. When a source route
// option is present the destination is the route's last hop, the address
// the final receiver checks the sum against (as scapy's in4_pseudoheader).
func (ip *IPv4) pseudoSum(proto uint8, length int) uint64 {
	dst := ip.Dst
	if d, ok := sourceRouteEnd(ip.Options); ok {
		dst = d
	}
	return csum.Pseudo(ip.Src.Unmap(), dst.Unmap(), proto, length)
}

// decodeIPv4 reads an IPv4 header. When trail is set (an Ethernet frame
// carries the packet) the payload ends where Length says and the rest is
// returned as trailer; otherwise the payload runs to the end of data.
func decodeIPv4(data []byte, trail bool) (ip *IPv4, payload, trailer []byte, ok bool) {
	if len(data) < 20 {
		return nil, data, nil, false
	}
	ip = &IPv4{
		Version:    data[0] >> 4,
		IHL:        data[0] & 0x0f,
		TOS:        data[1],
		Length:     binary.BigEndian.Uint16(data[2:]),
		ID:         binary.BigEndian.Uint16(data[4:]),
		Flags:      data[6] >> 5,
		FragOffset: binary.BigEndian.Uint16(data[6:]) & 0x1fff,
		TTL:        data[8],
		Protocol:   data[9],
		Checksum:   binary.BigEndian.Uint16(data[10:]),
		Src:        netip.AddrFrom4([4]byte(data[12:16])),
		Dst:        netip.AddrFrom4([4]byte(data[16:20])),
		Keep:       KeepLength | KeepHeaderLength | KeepChecksum | KeepNext,
	}
	hl := int(ip.IHL) * 4
	switch {
	case hl < 20:
		hl = 20
	case hl > len(data):
		hl = 20 + (len(data)-20)&^3
	}
	ip.Options = data[20:hl]
	payload = data[hl:]
	if trail && int(ip.Length) >= hl && int(ip.Length) <= len(data) {
		payload, trailer = data[hl:ip.Length], data[ip.Length:]
	}
	return ip, payload, trailer, true
}
