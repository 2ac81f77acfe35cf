package craft

import (
	"encoding/binary"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// ICMPv4 is an ICMP message (RFC 792, RFC 950, RFC 4884). Which fields go
// into the second word and after depends on Type, as in scapy: ID and Seq
// for echo, timestamp, information and address mask messages; Gateway for
// redirect; Pointer for parameter problem; Reserved, Length (RFC 4884) and
// NextHopMTU for destination unreachable; Unused for the rest. The
// checksum covers the payload too: for an error, the quoted datagram.
type ICMPv4 struct {
	Type, Code uint8
	Checksum   uint16
	ID, Seq    uint16
	// Originate, Receive and Transmit are the timestamps of types 13 and 14,
	// in milliseconds since midnight UTC.
	Originate, Receive, Transmit uint32
	Gateway                      netip.Addr
	Pointer                      uint8
	Reserved                     uint8
	Length                       uint8
	AddrMask                     netip.Addr
	NextHopMTU                   uint16
	// Unused is the rest of the second word: 16 bits for types 11 and 12,
	// 32 bits for types without other fields there.
	Unused uint32
	Keep   Keep
}

var _ gopacket.SerializableLayer = (*ICMPv4)(nil)

// ICMPv4 message types by scapy's names.
const (
	ICMPEchoReply           uint8 = 0
	ICMPDestUnreach         uint8 = 3
	ICMPSourceQuench        uint8 = 4
	ICMPRedirect            uint8 = 5
	ICMPEchoRequest         uint8 = 8
	ICMPRouterAdvertisement uint8 = 9
	ICMPRouterSolicitation  uint8 = 10
	ICMPTimeExceeded        uint8 = 11
	ICMPParameterProblem    uint8 = 12
	ICMPTimestampRequest    uint8 = 13
	ICMPTimestampReply      uint8 = 14
	ICMPInfoRequest         uint8 = 15
	ICMPInfoReply           uint8 = 16
	ICMPAddrMaskRequest     uint8 = 17
	ICMPAddrMaskReply       uint8 = 18
)

// icmpHasIDSeq reports whether type t carries an identifier and sequence
// number (scapy's icmp_id_seq_types).
func icmpHasIDSeq(t uint8) bool {
	switch t {
	case 0, 8, 13, 14, 15, 16, 17, 18, 37, 38:
		return true
	}
	return false
}

// icmpIsError reports whether type t quotes the datagram that caused it.
func icmpIsError(t uint8) bool {
	switch t {
	case 3, 4, 5, 11, 12:
		return true
	}
	return false
}

// icmpHeaderLen is the length of the ICMP header of type t, before its
// payload.
func icmpHeaderLen(t uint8) int {
	switch t {
	case 13, 14:
		return 20
	case 17, 18:
		return 12
	}
	return 8
}

// LayerType is layers.LayerTypeICMPv4.
func (m *ICMPv4) LayerType() gopacket.LayerType { return layers.LayerTypeICMPv4 }

// SerializeTo writes the message before the payload already in b.
func (m *ICMPv4) SerializeTo(b gopacket.SerializeBuffer, opts gopacket.SerializeOptions) error {
	h, err := b.PrependBytes(icmpHeaderLen(m.Type))
	if err != nil {
		return err
	}
	h[0], h[1] = m.Type, m.Code
	switch {
	case icmpHasIDSeq(m.Type):
		binary.BigEndian.PutUint16(h[4:], m.ID)
		binary.BigEndian.PutUint16(h[6:], m.Seq)
		switch m.Type {
		case 13, 14:
			binary.BigEndian.PutUint32(h[8:], m.Originate)
			binary.BigEndian.PutUint32(h[12:], m.Receive)
			binary.BigEndian.PutUint32(h[16:], m.Transmit)
		case 17, 18:
			put4(h[8:], m.AddrMask)
		}
	case m.Type == 5:
		put4(h[4:], m.Gateway)
	case m.Type == 3:
		h[4], h[5] = m.Reserved, m.Length
		binary.BigEndian.PutUint16(h[6:], m.NextHopMTU)
	case m.Type == 11:
		h[4], h[5] = m.Reserved, m.Length
		binary.BigEndian.PutUint16(h[6:], uint16(m.Unused))
	case m.Type == 12:
		h[4], h[5] = m.Pointer, m.Length
		binary.BigEndian.PutUint16(h[6:], uint16(m.Unused))
	default:
		binary.BigEndian.PutUint32(h[4:], m.Unused)
	}
	if opts.ComputeChecksums && m.Keep&KeepChecksum == 0 {
		h[2], h[3] = 0, 0
		m.Checksum = Checksum(b.Bytes())
	}
	binary.BigEndian.PutUint16(h[2:], m.Checksum)
	return nil
}

func decodeICMPv4(data []byte) (*ICMPv4, []byte, bool) {
	if len(data) < 8 || len(data) < icmpHeaderLen(data[0]) {
		return nil, data, false
	}
	m := &ICMPv4{
		Type:     data[0],
		Code:     data[1],
		Checksum: binary.BigEndian.Uint16(data[2:]),
		Keep:     KeepChecksum,
	}
	switch {
	case icmpHasIDSeq(m.Type):
		m.ID = binary.BigEndian.Uint16(data[4:])
		m.Seq = binary.BigEndian.Uint16(data[6:])
		switch m.Type {
		case 13, 14:
			m.Originate = binary.BigEndian.Uint32(data[8:])
			m.Receive = binary.BigEndian.Uint32(data[12:])
			m.Transmit = binary.BigEndian.Uint32(data[16:])
		case 17, 18:
			m.AddrMask = netip.AddrFrom4([4]byte(data[8:12]))
		}
	case m.Type == 5:
		m.Gateway = netip.AddrFrom4([4]byte(data[4:8]))
	case m.Type == 3:
		m.Reserved, m.Length = data[4], data[5]
		m.NextHopMTU = binary.BigEndian.Uint16(data[6:])
	case m.Type == 11:
		m.Reserved, m.Length = data[4], data[5]
		m.Unused = uint32(binary.BigEndian.Uint16(data[6:]))
	case m.Type == 12:
		m.Pointer, m.Length = data[4], data[5]
		m.Unused = uint32(binary.BigEndian.Uint16(data[6:]))
	default:
		m.Unused = binary.BigEndian.Uint32(data[4:])
	}
	return m, data[icmpHeaderLen(m.Type):], true
}
