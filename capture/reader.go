package capture

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// A FileError is damage found in a capture file: what was wrong and the
// byte offset, from the start of the stream, of the header or block where
// it was found.
type FileError struct {
	Offset int64
	What   string
}

// Error says where the damage is: "byte N: what".
func (e *FileError) Error() string { return fmt.Sprintf("byte %d: %s", e.Offset, e.What) }

// Limits that keep a hostile file from making the reader allocate or skip
// without bound.
const (
	maxBlock      = 16 << 20 // longest pcapng block, as libpcap
	maxInterfaces = 4096     // interfaces per pcapng section
	maxHeaderBody = 64 << 10 // longest SHB or IDB read into memory
	// readBufSize holds the largest block that carries a packet: the
	// packet, its padding, options and trailer.
	readBufSize = MaxSnaplen + 64<<10
)

// A Reader reads packets from a pcap or pcapng stream. It holds one buffer
// of fixed size, so the memory it uses does not depend on the file, and
// returns packets as slices of that buffer, valid until the next call.
type Reader struct {
	br     *bufio.Reader
	off    int64 // stream offset of the next byte br returns
	format Format
	order  binary.ByteOrder
	err    error // sticky: once damage is found, every later call returns it

	// pcap
	snaplen   int
	recHdrLen int
	nano      bool

	// pcapng: the interfaces of the current section
	ifaces []ngInterface
}

type ngInterface struct {
	Interface
	unitsPerSec uint64 // from if_tsresol; 1e6 by default
	tsOffset    int64  // seconds, from if_tsoffset
}

// NewReader reads the header of a pcap or pcapng stream, recognized by its
// magic number, and returns a Reader positioned at the first packet.
func NewReader(r io.Reader) (*Reader, error) {
	rd := &Reader{br: bufio.NewReaderSize(r, readBufSize)}
	magic, err := rd.br.Peek(4)
	if len(magic) < 4 {
		if err == io.EOF && len(magic) == 0 {
			return nil, &FileError{0, "empty file: not a pcap or pcapng capture"}
		}
		return nil, &FileError{0, fmt.Sprintf("truncated file header: %d bytes, too short for a pcap or pcapng capture", len(magic))}
	}
	le, be := binary.LittleEndian.Uint32(magic), binary.BigEndian.Uint32(magic)
	switch {
	case le == blockSHB:
		rd.format = Pcapng
		if err := rd.nextBlock(); err != nil {
			return nil, err
		}
		// Read the interface descriptions that come before the first
		// packet, so that LinkType and Interfaces answer at once.
		for {
			h, _ := rd.br.Peek(4)
			if len(h) < 4 {
				break
			}
			switch rd.order.Uint32(h) {
			case blockEPB, blockSPB, blockPB, blockSHB:
				return rd, nil
			}
			if err := rd.nextBlock(); err != nil {
				return nil, err
			}
		}
		return rd, nil
	case le == magicMicro || le == magicNano || le == magicKuznet:
		rd.order = binary.LittleEndian
	case be == magicMicro || be == magicNano || be == magicKuznet:
		rd.order = binary.BigEndian
	default:
		return nil, &FileError{0, fmt.Sprintf("not a pcap or pcapng file (its magic number is 0x%08x)", be)}
	}
	return rd, rd.readPcapHeader()
}

func (r *Reader) readPcapHeader() error {
	h, err := r.br.Peek(24)
	if len(h) < 24 {
		return &FileError{0, fmt.Sprintf("truncated pcap file header: %d of 24 bytes", len(h))}
	}
	_ = err
	magic := r.order.Uint32(h[0:])
	major, minor := r.order.Uint16(h[4:]), r.order.Uint16(h[6:])
	if major != 2 {
		return &FileError{4, fmt.Sprintf("unsupported pcap version %d.%d (rawsock reads 2.x)", major, minor)}
	}
	r.format = Pcap
	r.recHdrLen = 16
	switch magic {
	case magicNano:
		r.format = PcapNano
		r.nano = true
	case magicKuznet:
		r.recHdrLen = 24
	}
	snaplen := r.order.Uint32(h[16:])
	if snaplen == 0 || snaplen > MaxSnaplen {
		snaplen = MaxSnaplen
	}
	r.snaplen = int(snaplen)
	// The upper bits carry the FCS length and reserved flags.
	link := layers.LinkType(r.order.Uint32(h[20:]) & 0xffff)
	r.ifaces = []ngInterface{{Interface: Interface{LinkType: link, Snaplen: r.snaplen}}}
	r.discard(24)
	return nil
}

// Format returns the stream's format.
func (r *Reader) Format() Format { return r.format }

// LinkType returns the link type of the first interface: the only one of a
// pcap file.
func (r *Reader) LinkType() layers.LinkType {
	if len(r.ifaces) == 0 {
		return layers.LinkTypeNull
	}
	return r.ifaces[0].LinkType
}

// Snaplen returns the snapshot length of the first interface.
func (r *Reader) Snaplen() int {
	if len(r.ifaces) == 0 {
		return MaxSnaplen
	}
	return r.ifaces[0].Snaplen
}

// Interfaces returns the interfaces the stream has described so far (for
// pcapng, those of the current section).
func (r *Reader) Interfaces() []Interface {
	out := make([]Interface, len(r.ifaces))
	for i, ifc := range r.ifaces {
		out[i] = ifc.Interface
	}
	return out
}

// Interface returns the interface of a packet's InterfaceIndex.
func (r *Reader) Interface(index int) Interface {
	if index < 0 || index >= len(r.ifaces) {
		return Interface{}
	}
	return r.ifaces[index].Interface
}

// Offset returns the stream offset of the next record or block.
func (r *Reader) Offset() int64 { return r.off }

// ReadPacket returns the next packet and its capture information. The data
// is valid only until the next call. At the end of the stream it returns
// io.EOF; damage is a *FileError, after which every call returns the same
// error. ReadPacket does not allocate.
func (r *Reader) ReadPacket() (data []byte, ci gopacket.CaptureInfo, err error) {
	if r.err != nil {
		return nil, ci, r.err
	}
	if r.format == Pcapng {
		data, ci, err = r.readNG()
	} else {
		data, ci, err = r.readPcap()
	}
	if err != nil {
		r.err = err
	}
	return data, ci, err
}

// ZeroCopyReadPacketData is ReadPacket under the name of gopacket's
// ZeroCopyPacketDataSource.
func (r *Reader) ZeroCopyReadPacketData() ([]byte, gopacket.CaptureInfo, error) {
	return r.ReadPacket()
}

// discard consumes n bytes already peeked.
func (r *Reader) discard(n int) {
	r.br.Discard(n)
	r.off += int64(n)
}

func (r *Reader) readPcap() ([]byte, gopacket.CaptureInfo, error) {
	var ci gopacket.CaptureInfo
	start := r.off
	h, _ := r.br.Peek(r.recHdrLen)
	if len(h) == 0 {
		return nil, ci, io.EOF
	}
	if len(h) < r.recHdrLen {
		return nil, ci, &FileError{start, fmt.Sprintf("truncated record header: %d of %d bytes", len(h), r.recHdrLen)}
	}
	sec, frac := r.order.Uint32(h[0:]), r.order.Uint32(h[4:])
	caplen, length := r.order.Uint32(h[8:]), r.order.Uint32(h[12:])
	switch {
	case caplen == 0:
		return nil, ci, &FileError{start, "record with a captured length of 0"}
	case caplen > MaxSnaplen:
		return nil, ci, &FileError{start, fmt.Sprintf("absurd captured length %d (the most is %d)", caplen, MaxSnaplen)}
	case int(caplen) > r.snaplen:
		return nil, ci, &FileError{start, fmt.Sprintf("captured length %d exceeds the file's snapshot length %d", caplen, r.snaplen)}
	}
	r.discard(r.recHdrLen)
	data, _ := r.br.Peek(int(caplen))
	if len(data) < int(caplen) {
		return nil, ci, &FileError{start, fmt.Sprintf("truncated record: %d of %d bytes of packet data", len(data), caplen)}
	}
	r.discard(int(caplen))
	nsec := int64(frac)
	if !r.nano {
		nsec *= 1000
	}
	ci.Timestamp = time.Unix(int64(sec), nsec).UTC()
	ci.CaptureLength = int(caplen)
	ci.Length = int(length)
	if ci.Length < ci.CaptureLength {
		ci.Length = ci.CaptureLength
	}
	return data, ci, nil
}

// readNG reads blocks until one holds a packet.
func (r *Reader) readNG() ([]byte, gopacket.CaptureInfo, error) {
	for {
		start := r.off
		h, _ := r.br.Peek(8)
		if len(h) == 0 {
			return nil, gopacket.CaptureInfo{}, io.EOF
		}
		if len(h) < 8 {
			return nil, gopacket.CaptureInfo{}, &FileError{start, fmt.Sprintf("truncated block header: %d of 8 bytes", len(h))}
		}
		typ := r.order.Uint32(h[0:])
		if typ == blockSHB {
			// A new section, maybe of the other byte order.
			if err := r.nextBlock(); err != nil {
				return nil, gopacket.CaptureInfo{}, err
			}
			continue
		}
		switch typ {
		case blockEPB, blockSPB, blockPB:
			return r.packetBlock(start, typ)
		}
		if err := r.nextBlock(); err != nil {
			return nil, gopacket.CaptureInfo{}, err
		}
	}
}

// blockLength checks the total length of the block at the reader's
// position against its type's limits.
func (r *Reader) blockLength(start int64, typ uint32, length uint32, least uint32) error {
	switch {
	case length%4 != 0:
		return &FileError{start, fmt.Sprintf("pcapng block length %d is not a multiple of 4", length)}
	case length < least:
		return &FileError{start, fmt.Sprintf("pcapng block length %d is too short for a block of type 0x%x (at least %d)", length, typ, least)}
	case length > maxBlock:
		return &FileError{start, fmt.Sprintf("absurd pcapng block length %d (the most is %d)", length, maxBlock)}
	}
	return nil
}

// trailer reads and checks the copy of the block length that ends every
// pcapng block.
func (r *Reader) trailer(start int64, length uint32) error {
	t, _ := r.br.Peek(4)
	if len(t) < 4 {
		return &FileError{start, fmt.Sprintf("truncated pcapng block: it says %d bytes, the file ends at byte %d", length, r.off+int64(len(t)))}
	}
	if got := r.order.Uint32(t); got != length {
		return &FileError{start, fmt.Sprintf("pcapng block length lies: %d at the start, %d at the end", length, got)}
	}
	r.discard(4)
	return nil
}

// skip consumes n bytes of a block being skipped.
func (r *Reader) skip(start int64, length uint32, n int) error {
	got, _ := r.br.Discard(n)
	r.off += int64(got)
	if got < n {
		return &FileError{start, fmt.Sprintf("truncated pcapng block: it says %d bytes, the file ends at byte %d", length, r.off)}
	}
	return nil
}

// nextBlock reads a block that holds no packet: a section header and
// interface descriptions are remembered, anything else is skipped.
func (r *Reader) nextBlock() error {
	start := r.off
	h, _ := r.br.Peek(12)
	if len(h) < 8 {
		return &FileError{start, fmt.Sprintf("truncated block header: %d of 8 bytes", len(h))}
	}
	typ := binary.LittleEndian.Uint32(h)
	if typ == blockSHB {
		if len(h) < 12 {
			return &FileError{start, fmt.Sprintf("truncated section header: %d of 12 bytes", len(h))}
		}
		switch bom := binary.LittleEndian.Uint32(h[8:]); bom {
		case byteOrderNG:
			r.order = binary.LittleEndian
		case 0x4d3c2b1a:
			r.order = binary.BigEndian
		default:
			return &FileError{start + 8, fmt.Sprintf("bad pcapng byte-order magic 0x%08x", bom)}
		}
		r.ifaces = r.ifaces[:0]
	}
	typ = r.order.Uint32(h[0:])
	length := r.order.Uint32(h[4:])
	least := uint32(12)
	switch typ {
	case blockSHB:
		least = 28
	case blockIDB:
		least = 20
	}
	if err := r.blockLength(start, typ, length, least); err != nil {
		return err
	}
	if r.ifaces == nil && typ != blockSHB {
		return &FileError{start, "pcapng block before the section header"}
	}
	bodyLen := int(length) - 12
	if typ != blockSHB && typ != blockIDB {
		r.discard(8)
		if err := r.skip(start, length, bodyLen); err != nil {
			return err
		}
		return r.trailer(start, length)
	}
	if bodyLen > maxHeaderBody {
		return &FileError{start, fmt.Sprintf("pcapng header block of %d bytes is too long (the most is %d)", length, maxHeaderBody)}
	}
	r.discard(8)
	body, _ := r.br.Peek(bodyLen)
	if len(body) < bodyLen {
		return &FileError{start, fmt.Sprintf("truncated pcapng block: it says %d bytes, the file ends at byte %d", length, r.off+int64(len(body)))}
	}
	var err error
	if typ == blockSHB {
		if major := r.order.Uint16(body[4:]); major != 1 {
			err = &FileError{start, fmt.Sprintf("unsupported pcapng version %d.%d (rawsock reads 1.x)", major, r.order.Uint16(body[6:]))}
		}
		if r.ifaces == nil {
			r.ifaces = make([]ngInterface, 0, 4)
		}
	} else {
		err = r.interfaceBlock(start, body)
	}
	if err != nil {
		return err
	}
	r.discard(bodyLen)
	return r.trailer(start, length)
}

func (r *Reader) interfaceBlock(start int64, body []byte) error {
	if len(r.ifaces) >= maxInterfaces {
		return &FileError{start, fmt.Sprintf("more than %d interfaces in one pcapng section", maxInterfaces)}
	}
	ifc := ngInterface{unitsPerSec: 1e6}
	ifc.LinkType = layers.LinkType(r.order.Uint16(body[0:]))
	ifc.Snaplen = int(r.order.Uint32(body[4:]))
	if ifc.Snaplen == 0 || ifc.Snaplen > MaxSnaplen {
		ifc.Snaplen = MaxSnaplen
	}
	opts := body[8:]
	for len(opts) >= 4 {
		code, n := r.order.Uint16(opts[0:]), int(r.order.Uint16(opts[2:]))
		if code == optEnd {
			break
		}
		padded := (n + 3) &^ 3
		if 4+padded > len(opts) {
			return &FileError{start, fmt.Sprintf("pcapng option %d of %d bytes runs past the end of its block", code, n)}
		}
		v := opts[4 : 4+n]
		switch code {
		case optIfName:
			name := v
			for len(name) > 0 && name[len(name)-1] == 0 {
				name = name[:len(name)-1]
			}
			if len(name) > 255 {
				name = name[:255]
			}
			ifc.Name = string(name)
		case optIfTsresol:
			if n != 1 {
				break
			}
			res := v[0]
			if res&0x80 != 0 {
				if res&0x7f > 63 {
					return &FileError{start, fmt.Sprintf("bad if_tsresol 0x%02x", res)}
				}
				ifc.unitsPerSec = 1 << (res & 0x7f)
			} else {
				if res > 19 {
					return &FileError{start, fmt.Sprintf("bad if_tsresol %d", res)}
				}
				ifc.unitsPerSec = 1
				for range res {
					ifc.unitsPerSec *= 10
				}
			}
		case optIfTsoffset:
			if n == 8 {
				ifc.tsOffset = int64(r.order.Uint64(v))
			}
		}
		opts = opts[4+padded:]
	}
	r.ifaces = append(r.ifaces, ifc)
	return nil
}

func (r *Reader) packetBlock(start int64, typ uint32) ([]byte, gopacket.CaptureInfo, error) {
	var ci gopacket.CaptureInfo
	h, _ := r.br.Peek(28)
	length := r.order.Uint32(h[4:])
	fixed := 28 // EPB and PB: type, length, five words
	if typ == blockSPB {
		fixed = 12
	}
	if err := r.blockLength(start, typ, length, uint32(fixed)+4); err != nil {
		return nil, ci, err
	}
	if length > readBufSize {
		return nil, ci, &FileError{start, fmt.Sprintf("packet block of %d bytes is too long (the most is %d)", length, readBufSize)}
	}
	if len(h) < fixed {
		return nil, ci, &FileError{start, fmt.Sprintf("truncated packet block: %d of %d header bytes", len(h), fixed)}
	}
	var ifindex int
	var ts uint64
	var caplen, origlen uint32
	room := length - uint32(fixed) - 4
	switch typ {
	case blockEPB:
		ifindex = int(r.order.Uint32(h[8:]))
		ts = uint64(r.order.Uint32(h[12:]))<<32 | uint64(r.order.Uint32(h[16:]))
		caplen, origlen = r.order.Uint32(h[20:]), r.order.Uint32(h[24:])
	case blockPB:
		ifindex = int(r.order.Uint16(h[8:]))
		ts = uint64(r.order.Uint32(h[12:]))<<32 | uint64(r.order.Uint32(h[16:]))
		caplen, origlen = r.order.Uint32(h[20:]), r.order.Uint32(h[24:])
	case blockSPB:
		origlen = r.order.Uint32(h[8:])
		caplen = min(origlen, room)
	}
	if ifindex >= len(r.ifaces) {
		return nil, ci, &FileError{start, fmt.Sprintf("packet of interface %d, but the section describes %d", ifindex, len(r.ifaces))}
	}
	ifc := &r.ifaces[ifindex]
	if typ == blockSPB && int(caplen) > ifc.Snaplen {
		caplen = uint32(ifc.Snaplen)
	}
	switch {
	case caplen == 0:
		return nil, ci, &FileError{start, "packet block with a captured length of 0"}
	case caplen > MaxSnaplen:
		return nil, ci, &FileError{start, fmt.Sprintf("absurd captured length %d (the most is %d)", caplen, MaxSnaplen)}
	case int(caplen) > ifc.Snaplen:
		return nil, ci, &FileError{start, fmt.Sprintf("captured length %d exceeds the interface's snapshot length %d", caplen, ifc.Snaplen)}
	case caplen > room:
		return nil, ci, &FileError{start, fmt.Sprintf("pcapng block length lies: %d bytes cannot hold a packet of %d", length, caplen)}
	}
	r.discard(fixed)
	data, _ := r.br.Peek(int(caplen))
	if len(data) < int(caplen) {
		return nil, ci, &FileError{start, fmt.Sprintf("truncated packet block: %d of %d bytes of packet data", len(data), caplen)}
	}
	// The data stays in the buffer while the rest of the block is read:
	// the buffer is larger than any block that holds a packet.
	rest := int(length) - fixed - 4
	tail, _ := r.br.Peek(rest + 4)
	if len(tail) < rest+4 {
		return nil, ci, &FileError{start, fmt.Sprintf("truncated pcapng block: it says %d bytes, the file ends at byte %d", length, r.off+int64(len(tail)))}
	}
	if got := r.order.Uint32(tail[rest:]); got != length {
		return nil, ci, &FileError{start, fmt.Sprintf("pcapng block length lies: %d at the start, %d at the end", length, got)}
	}
	data = tail[:caplen]
	r.discard(rest + 4)
	if typ != blockSPB {
		ci.Timestamp = ifc.time(ts)
	}
	ci.CaptureLength = int(caplen)
	ci.Length = max(int(origlen), int(caplen))
	ci.InterfaceIndex = ifindex
	return data, ci, nil
}

// time converts a timestamp in the interface's units to a time.
func (ifc *ngInterface) time(ts uint64) time.Time {
	sec := ts / ifc.unitsPerSec
	rem := ts % ifc.unitsPerSec
	hi, lo := bits.Mul64(rem, 1e9)
	nsec, _ := bits.Div64(hi, lo, ifc.unitsPerSec)
	return time.Unix(int64(sec)+ifc.tsOffset, int64(nsec)).UTC()
}
