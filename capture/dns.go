package capture

import (
	"encoding/binary"
	"errors"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// DNS is the header of a DNS message; questions and records are read from
// the message bytes on demand (Question, Record, AppendName), which keeps
// decoding free of allocations and bounds every name against compression
// loops and pointers out of the message.
type DNS struct {
	layers.BaseLayer
	ID                uint16
	QR                bool
	Opcode            uint8
	AA, TC, RD, RA, Z bool
	AD, CD            bool
	ResponseCode      uint8
	QDCount, ANCount  uint16
	NSCount, ARCount  uint16
	// TCP is set for a message carried over TCP, behind its 2-byte length.
	TCP bool
}

// LayerType returns layers.LayerTypeDNS.
func (d *DNS) LayerType() gopacket.LayerType { return layers.LayerTypeDNS }

// CanDecode returns layers.LayerTypeDNS.
func (d *DNS) CanDecode() gopacket.LayerClass { return layers.LayerTypeDNS }

// NextLayerType returns gopacket.LayerTypeZero.
func (d *DNS) NextLayerType() gopacket.LayerType { return gopacket.LayerTypeZero }

var (
	errDNSShort = errors.New("DNS message shorter than its 12-byte header")
	// ErrDNSName is a DNS name that cannot be read: it runs past the
	// message, points outside it, or loops.
	ErrDNSName = errors.New("bad DNS name")
	errDNSRR   = errors.New("DNS record runs past the end of the message")
)

// DecodeFromBytes decodes the message header; Contents is the whole message.
func (d *DNS) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	*d = DNS{}
	if len(data) < 12 {
		df.SetTruncated()
		d.Contents = data
		return errDNSShort
	}
	d.ID = binary.BigEndian.Uint16(data)
	f := binary.BigEndian.Uint16(data[2:])
	d.QR = f&0x8000 != 0
	d.Opcode = uint8(f>>11) & 0xf
	d.AA = f&0x0400 != 0
	d.TC = f&0x0200 != 0
	d.RD = f&0x0100 != 0
	d.RA = f&0x0080 != 0
	d.Z = f&0x0040 != 0
	d.AD = f&0x0020 != 0
	d.CD = f&0x0010 != 0
	d.ResponseCode = uint8(f & 0xf)
	d.QDCount = binary.BigEndian.Uint16(data[4:])
	d.ANCount = binary.BigEndian.Uint16(data[6:])
	d.NSCount = binary.BigEndian.Uint16(data[8:])
	d.ARCount = binary.BigEndian.Uint16(data[10:])
	d.Contents = data
	return nil
}

// maxDNSPointers bounds the compression pointers followed in one name.
const maxDNSPointers = 64

// skipName returns the offset just past the name at off.
func (d *DNS) skipName(off int) (int, error) {
	msg := d.Contents
	for {
		if off >= len(msg) {
			return 0, ErrDNSName
		}
		c := int(msg[off])
		switch {
		case c == 0:
			return off + 1, nil
		case c&0xc0 == 0xc0:
			if off+2 > len(msg) {
				return 0, ErrDNSName
			}
			return off + 2, nil
		case c&0xc0 != 0:
			return 0, ErrDNSName
		}
		off += 1 + c
	}
}

// AppendName appends the name at byte offset off of the message in dotted
// form with a final dot ("www.example.com.", "." for the root) and returns
// the offset just past it in the message. Compression pointers are
// followed at most 64 times and only backwards, so a loop is an error.
func (d *DNS) AppendName(dst []byte, off int) ([]byte, int, error) {
	msg := d.Contents
	next := -1
	total := 0
	for hops := 0; ; {
		if off >= len(msg) {
			return dst, 0, ErrDNSName
		}
		c := int(msg[off])
		switch {
		case c == 0:
			if next < 0 {
				next = off + 1
			}
			if total == 0 {
				dst = append(dst, '.')
			}
			return dst, next, nil
		case c&0xc0 == 0xc0:
			if off+2 > len(msg) {
				return dst, 0, ErrDNSName
			}
			ptr := int(binary.BigEndian.Uint16(msg[off:]) & 0x3fff)
			if next < 0 {
				next = off + 2
			}
			hops++
			if ptr >= off || hops > maxDNSPointers {
				return dst, 0, ErrDNSName
			}
			off = ptr
			continue
		case c&0xc0 != 0:
			return dst, 0, ErrDNSName
		}
		if off+1+c > len(msg) {
			return dst, 0, ErrDNSName
		}
		total += c + 1
		if total > 255 {
			return dst, 0, ErrDNSName
		}
		dst = append(dst, msg[off+1:off+1+c]...)
		dst = append(dst, '.')
		off += 1 + c
	}
}

// Question reads the question at off: the offset of its name, its type and
// class, and the offset of what follows.
func (d *DNS) Question(off int) (name int, qtype, qclass uint16, next int, err error) {
	end, err := d.skipName(off)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	if end+4 > len(d.Contents) {
		return 0, 0, 0, 0, errDNSRR
	}
	b := d.Contents[end:]
	return off, binary.BigEndian.Uint16(b), binary.BigEndian.Uint16(b[2:]), end + 4, nil
}

// A DNSRecord locates one resource record in a DNS message.
type DNSRecord struct {
	// Name is the offset of the owner name.
	Name  int
	Type  uint16
	Class uint16
	TTL   uint32
	// Data is the offset and length of the record data.
	Data, DataLen int
}

// Record reads the resource record at off and returns the offset of the
// next one.
func (d *DNS) Record(off int) (DNSRecord, int, error) {
	end, err := d.skipName(off)
	if err != nil {
		return DNSRecord{}, 0, err
	}
	if end+10 > len(d.Contents) {
		return DNSRecord{}, 0, errDNSRR
	}
	b := d.Contents[end:]
	r := DNSRecord{
		Name:    off,
		Type:    binary.BigEndian.Uint16(b),
		Class:   binary.BigEndian.Uint16(b[2:]),
		TTL:     binary.BigEndian.Uint32(b[4:]),
		Data:    end + 10,
		DataLen: int(binary.BigEndian.Uint16(b[8:])),
	}
	if r.Data+r.DataLen > len(d.Contents) {
		return r, 0, errDNSRR
	}
	return r, r.Data + r.DataLen, nil
}
