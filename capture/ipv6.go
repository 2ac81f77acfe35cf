package capture

import (
	"encoding/binary"
	"errors"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// MaxIPv6Extensions is how many IPv6 extension headers an IPv6 layer keeps;
// decoding stops with an error at a longer chain.
const MaxIPv6Extensions = 8

// An IPv6Extension is one IPv6 extension header: hop-by-hop options,
// routing, fragment, destination options, authentication or mobility.
type IPv6Extension struct {
	// Type is the header's protocol number (0, 43, 44, 60, 51, 135).
	Type layers.IPProtocol
	// NextHeader is the protocol of what follows it.
	NextHeader layers.IPProtocol
	// Data is the whole header, next-header and length bytes included.
	Data []byte
}

// FragmentOffset, MoreFragments and Identification read a fragment
// header; they are zero for any other type.
func (e *IPv6Extension) FragmentOffset() uint16 {
	if e.Type != layers.IPProtocolIPv6Fragment || len(e.Data) < 8 {
		return 0
	}
	return binary.BigEndian.Uint16(e.Data[2:]) &^ 7
}

// MoreFragments reports the M flag of a fragment header.
func (e *IPv6Extension) MoreFragments() bool {
	return e.Type == layers.IPProtocolIPv6Fragment && len(e.Data) >= 8 && e.Data[3]&1 != 0
}

// Identification is a fragment header's identification.
func (e *IPv6Extension) Identification() uint32 {
	if e.Type != layers.IPProtocolIPv6Fragment || len(e.Data) < 8 {
		return 0
	}
	return binary.BigEndian.Uint32(e.Data[4:])
}

// IPv6 is an IPv6 header together with its chain of extension headers, as
// tcpdump prints them on one line. Its payload is the upper-layer header
// (or, for a later fragment, the fragment's data).
type IPv6 struct {
	layers.BaseLayer
	Version      uint8
	TrafficClass uint8
	FlowLabel    uint32
	// Length is the payload length field.
	Length     uint16
	NextHeader layers.IPProtocol
	HopLimit   uint8
	SrcIP      netip.Addr
	DstIP      netip.Addr
	// Extensions are the extension headers in order; Protocol is what
	// follows the last of them.
	Extensions []IPv6Extension
	Protocol   layers.IPProtocol

	ext       [MaxIPv6Extensions]IPv6Extension
	truncated bool
}

// LayerType returns layers.LayerTypeIPv6.
func (ip *IPv6) LayerType() gopacket.LayerType { return layers.LayerTypeIPv6 }

// CanDecode returns layers.LayerTypeIPv6.
func (ip *IPv6) CanDecode() gopacket.LayerClass { return layers.LayerTypeIPv6 }

// Fragment returns the fragment header, or nil.
func (ip *IPv6) Fragment() *IPv6Extension {
	for i := range ip.Extensions {
		if ip.Extensions[i].Type == layers.IPProtocolIPv6Fragment {
			return &ip.Extensions[i]
		}
	}
	return nil
}

// NextLayerType is the upper layer, or a fragment's data.
func (ip *IPv6) NextLayerType() gopacket.LayerType {
	if f := ip.Fragment(); f != nil && f.FragmentOffset() != 0 {
		return gopacket.LayerTypeFragment
	}
	switch ip.Protocol {
	case layers.IPProtocolNoNextHeader:
		return gopacket.LayerTypePayload
	}
	return ip.Protocol.LayerType()
}

var (
	errIPv6Short     = errors.New("IPv6 header shorter than 40 bytes")
	errIPv6ExtShort  = errors.New("IPv6 extension header runs past the end of the packet")
	errIPv6ExtChain  = errors.New("IPv6 extension header chain too long")
	errIPv6Version   = errors.New("IPv6 header with a version other than 6")
	errIPv6JumboNone = errors.New("IPv6 payload length 0 without a jumbo payload option")
)

// isIPv6Extension reports whether p is an extension header the chain walks.
func isIPv6Extension(p layers.IPProtocol) bool {
	switch p {
	case layers.IPProtocolIPv6HopByHop, layers.IPProtocolIPv6Routing, layers.IPProtocolIPv6Fragment,
		layers.IPProtocolIPv6Destination, layers.IPProtocolAH, 135:
		return true
	}
	return false
}

// DecodeFromBytes decodes the header and walks the extension headers.
func (ip *IPv6) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	ip.truncated = false
	ip.Extensions = ip.ext[:0]
	if len(data) < 40 {
		df.SetTruncated()
		ip.truncated = true
		return errIPv6Short
	}
	ip.Version = data[0] >> 4
	ip.TrafficClass = uint8(binary.BigEndian.Uint16(data[0:]) >> 4)
	ip.FlowLabel = binary.BigEndian.Uint32(data[0:]) & 0xfffff
	ip.Length = binary.BigEndian.Uint16(data[4:])
	ip.NextHeader = layers.IPProtocol(data[6])
	ip.HopLimit = data[7]
	ip.SrcIP = netip.AddrFrom16([16]byte(data[8:24]))
	ip.DstIP = netip.AddrFrom16([16]byte(data[24:40]))
	ip.Contents, ip.Payload = data[:40], data[40:]
	ip.Protocol = ip.NextHeader
	if ip.Version != 6 {
		return errIPv6Version
	}
	if ip.Length == 0 && ip.NextHeader != layers.IPProtocolIPv6HopByHop {
		return errIPv6JumboNone
	}
	if ip.Length != 0 {
		if int(ip.Length) > len(ip.Payload) {
			df.SetTruncated()
			ip.truncated = true
		} else {
			ip.Payload = ip.Payload[:ip.Length]
		}
	}
	rest := ip.Payload
	for isIPv6Extension(ip.Protocol) {
		if len(ip.Extensions) == MaxIPv6Extensions {
			return errIPv6ExtChain
		}
		if len(rest) < 2 {
			df.SetTruncated()
			ip.truncated = true
			return errIPv6ExtShort
		}
		n := int(rest[1])*8 + 8
		switch ip.Protocol {
		case layers.IPProtocolIPv6Fragment:
			n = 8
		case layers.IPProtocolAH:
			n = int(rest[1])*4 + 8
		}
		if n > len(rest) {
			df.SetTruncated()
			ip.truncated = true
			return errIPv6ExtShort
		}
		ip.Extensions = append(ip.Extensions, IPv6Extension{Type: ip.Protocol, NextHeader: layers.IPProtocol(rest[0]), Data: rest[:n]})
		ip.Protocol = layers.IPProtocol(rest[0])
		rest = rest[n:]
	}
	ip.Payload = rest
	return nil
}
