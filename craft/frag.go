package craft

import (
	"encoding/binary"
	"fmt"
)

// FragmentIPv4 splits the IPv4 packet pkt into fragments carrying size
// bytes of its payload each (rounded down to a multiple of 8, as offsets
// count 8-byte units), with offsets and MF bits set so that the receiver
// reassembles pkt. The first fragment carries every option, the others
// only those with the copied bit (RFC 791 section 3.1): source routes and
// router alert. Each fragment's length and checksum are computed; its ID,
// TTL, TOS and DF bit are pkt's.
//
// overlap > 0 makes each fragment start that many bytes (rounded up to a
// multiple of 8) before the previous one ended, with the same data in the
// overlap: a lab packet that RFC 5722-minded stacks, Linux among them, drop
// whole.
//
// A packet whose payload fits in size is returned as the only fragment,
// unchanged.
func FragmentIPv4(pkt []byte, size, overlap int) ([][]byte, error) {
	if len(pkt) < 20 || pkt[0]>>4 != 4 {
		return nil, fmt.Errorf("fragmenting needs an IPv4 packet")
	}
	hl := int(pkt[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(pkt[2:]))
	if hl < 20 || hl > len(pkt) || total < hl || total > len(pkt) {
		return nil, fmt.Errorf("cannot fragment an IPv4 packet whose ihl or len is wrong")
	}
	size &^= 7
	if size < 8 {
		return nil, fmt.Errorf("fragment size must be at least 8 bytes of payload")
	}
	overlap = (overlap + 7) &^ 7
	if overlap >= size {
		return nil, fmt.Errorf("fragment overlap (%d) must be smaller than the fragment size (%d)", overlap, size)
	}
	payload := pkt[hl:total]
	if len(payload) <= size {
		return [][]byte{append([]byte(nil), pkt[:total]...)}, nil
	}
	header := pkt[:hl]
	later := append(append([]byte(nil), header[:20]...), copiedOptions(header[20:])...)
	for len(later)%4 != 0 {
		later = append(later, 0)
	}
	ff := binary.BigEndian.Uint16(pkt[6:])
	baseOff := int(ff & 0x1fff)
	lastMF := ff & 0x2000
	var out [][]byte
	step := size - overlap
	for start := 0; start < len(payload); start += step {
		end := min(start+size, len(payload))
		h := later
		if start == 0 {
			h = header
		}
		f := make([]byte, len(h)+end-start)
		copy(f, h)
		copy(f[len(h):], payload[start:end])
		f[0] = 4<<4 | byte(len(h)/4)
		binary.BigEndian.PutUint16(f[2:], uint16(len(f)))
		flags := ff&0xc000 | 0x2000
		if end == len(payload) {
			flags = ff&0xc000 | lastMF
		}
		binary.BigEndian.PutUint16(f[6:], flags|uint16(baseOff+start/8)&0x1fff)
		f[10], f[11] = 0, 0
		binary.BigEndian.PutUint16(f[10:], Checksum(f[:len(h)]))
		out = append(out, f)
		if end == len(payload) {
			break
		}
	}
	return out, nil
}

// copiedOptions returns the options whose copied flag (the type's top bit)
// says they go into every fragment.
func copiedOptions(opts []byte) []byte {
	var out []byte
	for len(opts) > 0 {
		switch opts[0] {
		case ipOptEOL:
			return out
		case ipOptNOP:
			opts = opts[1:]
			continue
		}
		if len(opts) < 2 || int(opts[1]) < 2 || int(opts[1]) > len(opts) {
			return out
		}
		if opts[0]&0x80 != 0 {
			out = append(out, opts[:opts[1]]...)
		}
		opts = opts[opts[1]:]
	}
	return out
}
