// Package craft builds packets from layer expressions such as
//
//	ip(dst=192.0.2.1, ttl=3)/icmp(type=echo-request, id=7, seq=1)/raw(load="hi")
//
// and from Go values. Layers are written outermost first and separated by
// "/"; each takes name=value fields whose names follow scapy's. Fields left
// out get defaults (see Layers, or "rawsock layers"): lengths, checksums and
// protocol numbers are computed, the source address comes from the kernel's
// route to the destination. A field the user sets is written exactly as
// given, however wrong, which is how a lab builds a broken packet.
//
// Parse compiles an expression once into a Template; a Builder made from it
// then serializes each packet the expression expands into (ranges such as
// dport=20-25 and lists such as ttl=[1,2,3] give one packet per value)
// without allocating. Expr turns a decoded packet back into an expression
// that rebuilds it byte for byte.
//
// The layer types (Ether, IPv4, IPv6, ICMPv4, ICMPv6, IGMP, TCP, UDP, Raw)
// are gopacket.SerializableLayers and may be used directly: put them in a
// Stack, which fills protocol numbers and pseudo-header checksums from the
// neighbouring layers, and serialize it.
package craft

import (
	"errors"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/rawsock/rawsock/internal/csum"
)

// Keep marks the computed fields of a layer that SerializeTo writes as they
// are, instead of computing them when the SerializeOptions ask for it (or,
// for KeepNext, instead of taking them from the next layer of a Stack). The
// zero value computes everything.
type Keep uint8

const (
	// KeepLength keeps a length field: ip len, ip6 plen, udp len.
	KeepLength Keep = 1 << iota
	// KeepHeaderLength keeps a header-length field: ip ihl, tcp dataofs.
	KeepHeaderLength
	// KeepChecksum keeps the checksum field.
	KeepChecksum
	// KeepNext keeps the field naming the next protocol: ether type, ip
	// proto, ip6 nh.
	KeepNext
	// KeepCount keeps the counts of an IGMPv3 message or group record:
	// numsrc, numgrp, auxdlen.
	KeepCount
)

// A Stack is a packet as its layers, outermost first. Serialize links the
// layers before writing them: each Ether, IPv4 and IPv6 takes its next
// protocol from the layer after it (unless KeepNext), and each TCP, UDP and
// ICMPv6 takes the addresses of its pseudo-header from the closest IPv4 or
// IPv6 before it.
type Stack []gopacket.SerializableLayer

// Serialize clears b and writes the stack into it, computing lengths and
// checksums as opts asks.
func (s Stack) Serialize(b gopacket.SerializeBuffer, opts gopacket.SerializeOptions) error {
	s.link()
	if err := b.Clear(); err != nil {
		return err
	}
	for i := len(s) - 1; i >= 0; i-- {
		if err := s[i].SerializeTo(b, opts); err != nil {
			return err
		}
		b.PushLayer(s[i].LayerType())
	}
	return nil
}

// Bytes serializes the stack into a new slice with lengths and checksums
// computed.
func (s Stack) Bytes() ([]byte, error) {
	b := gopacket.NewSerializeBuffer()
	if err := s.Serialize(b, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// link fills what each layer takes from its neighbours.
func (s Stack) link() {
	var net pseudoHeader
	for i, l := range s {
		var next gopacket.SerializableLayer
		if i+1 < len(s) {
			next = s[i+1]
		}
		switch l := l.(type) {
		case *Ether:
			if l.Keep&KeepNext == 0 {
				l.Type = etherTypeOf(next)
			}
		case *IPv4:
			if l.Keep&KeepNext == 0 {
				l.Protocol = protocolOf(next, 0)
			}
			net = l
		case *IPv6:
			if l.Keep&KeepNext == 0 {
				l.NextHeader = protocolOf(next, 59)
			}
			net = l
		case *TCP:
			l.net = net
		case *UDP:
			l.net = net
		case *ICMPv6:
			l.net = net
		}
	}
}

// etherTypeOf is the EtherType announcing next; 0x9000 (loopback) when
// nothing follows, as scapy does.
func etherTypeOf(next gopacket.SerializableLayer) uint16 {
	if next == nil {
		return 0x9000
	}
	switch next.LayerType() {
	case layers.LayerTypeIPv4:
		return 0x0800
	case layers.LayerTypeIPv6:
		return 0x86dd
	case layers.LayerTypeARP:
		return 0x0806
	case layers.LayerTypeDot1Q:
		return 0x8100
	}
	return 0x9000
}

// protocolOf is the IP protocol number announcing next, or none when
// nothing (or raw data) follows.
func protocolOf(next gopacket.SerializableLayer, none uint8) uint8 {
	if next == nil {
		return none
	}
	switch next.LayerType() {
	case layers.LayerTypeICMPv4:
		return 1
	case layers.LayerTypeIGMP:
		return 2
	case layers.LayerTypeIPv4:
		return 4
	case layers.LayerTypeTCP:
		return 6
	case layers.LayerTypeUDP:
		return 17
	case layers.LayerTypeIPv6:
		return 41
	case layers.LayerTypeGRE:
		return 47
	case layers.LayerTypeICMPv6:
		return 58
	case layers.LayerTypeSCTP:
		return 132
	}
	return none
}

// A pseudoHeader is a network layer whose addresses go into the checksum
// of the transport layer it carries (RFC 793, RFC 8200 section 8.1).
type pseudoHeader interface {
	pseudoSum(proto uint8, length int) uint64
}

// Checksum is the Internet checksum of b (RFC 1071), as it goes into an
// IPv4, ICMP or IGMP header whose checksum bytes are zero.
func Checksum(b []byte) uint16 { return csum.Checksum(b) }

// put4 writes an IPv4 address, or zeros when a is not one.
func put4(b []byte, a netip.Addr) {
	if a.Is4() || a.Is4In6() {
		v := a.As4()
		copy(b, v[:])
		return
	}
	clear(b[:4])
}

// put16 writes an IPv6 address, or zeros when a is not valid.
func put16(b []byte, a netip.Addr) {
	if !a.IsValid() {
		clear(b[:16])
		return
	}
	v := a.As16()
	copy(b, v[:])
}

var errTooLong = errors.New("packet longer than 65535 bytes: set a smaller payload or fragment it")
