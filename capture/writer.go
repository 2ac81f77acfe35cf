package capture

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Format is a capture file format.
type Format int

// The formats rawsock reads and writes. The zero Format is invalid.
const (
	_ Format = iota
	// Pcap is the classic libpcap format with microsecond timestamps.
	Pcap
	// PcapNano is the libpcap format with nanosecond timestamps (tcpdump
	// --nano, magic a1b23c4d).
	PcapNano
	// Pcapng is the pcap next generation format: several interfaces, each
	// with its name and link type, in one file.
	Pcapng
)

// String names the format: "pcap", "pcap (nanosecond)" or "pcapng".
func (f Format) String() string {
	switch f {
	case Pcap:
		return "pcap"
	case PcapNano:
		return "pcap (nanosecond)"
	case Pcapng:
		return "pcapng"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// An Interface is where packets of a pcapng file were captured: its name
// and link type. A pcap file has exactly one, without a name.
type Interface struct {
	// Name is the interface's name ("eth0", "any"), empty when unknown.
	Name string
	// LinkType is how the interface's frames begin.
	LinkType layers.LinkType
	// Snaplen is the longest captured packet, 0 for no limit.
	Snaplen int
}

// WriterConfig tunes a Writer. A nil *WriterConfig means the defaults.
type WriterConfig struct {
	// Snaplen cuts every packet to this many bytes and is recorded in the
	// file; 0 means MaxSnaplen.
	Snaplen int
	// Interfaces lists the interfaces of a pcapng file, one Interface
	// Description Block each, in the order of gopacket.CaptureInfo's
	// InterfaceIndex. Empty means one unnamed interface with the Writer's
	// link type. Ignored for pcap.
	Interfaces []Interface
	// FlushEach flushes the buffer after every packet (tcpdump's -U), so a
	// reader of the file sees each packet as soon as it is written.
	FlushEach bool
	// ByteOrder is the byte order of the file; nil means little endian.
	// Readers accept both; a big-endian file is mostly useful to test them.
	ByteOrder binary.ByteOrder
}

// A Writer writes packets to a pcap or pcapng stream through a buffer.
// Call Flush before the program ends or the stream is closed. A Writer is
// not safe for concurrent use.
type Writer struct {
	bw        *bufio.Writer
	format    Format
	link      layers.LinkType
	snaplen   int
	flushEach bool
	order     byteOrder
	ifaces    []Interface
	written   int64
	scratch   [32]byte
}

// zeros pads pcapng blocks to 32 bits.
var zeros [4]byte

// byteOrder is what binary.LittleEndian and binary.BigEndian both are.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// Magic numbers, as the first four bytes of a file read in its own byte
// order.
const (
	magicMicro  = 0xa1b2c3d4
	magicNano   = 0xa1b23c4d
	magicKuznet = 0xa1b2cd34
	blockSHB    = 0x0a0d0d0a
	byteOrderNG = 0x1a2b3c4d
)

// pcapng block types and option codes used here.
const (
	blockIDB = 0x00000001
	blockPB  = 0x00000002 // obsolete Packet Block
	blockSPB = 0x00000003
	blockEPB = 0x00000006

	optEnd        = 0
	optShbUserapp = 4
	optIfName     = 2
	optIfTsresol  = 9
	optIfTsoffset = 14
)

// NewWriter starts a capture stream of the given format on w and writes its
// header (into the buffer: nothing reaches w before Flush, or before the
// first packet with FlushEach). link is the link type of every packet for
// pcap, and of the default interface for pcapng.
func NewWriter(w io.Writer, format Format, link layers.LinkType, cfg *WriterConfig) (*Writer, error) {
	if cfg == nil {
		cfg = &WriterConfig{}
	}
	if format != Pcap && format != PcapNano && format != Pcapng {
		return nil, fmt.Errorf("capture: unknown file format %d", int(format))
	}
	snaplen := cfg.Snaplen
	if snaplen <= 0 || snaplen > MaxSnaplen {
		snaplen = MaxSnaplen
	}
	wr := &Writer{
		bw:        bufio.NewWriterSize(w, 64<<10),
		format:    format,
		link:      link,
		snaplen:   snaplen,
		flushEach: cfg.FlushEach,
		order:     binary.LittleEndian,
	}
	if cfg.ByteOrder != nil {
		o, ok := cfg.ByteOrder.(byteOrder)
		if !ok {
			return nil, fmt.Errorf("capture: byte order %v is neither binary.LittleEndian nor binary.BigEndian", cfg.ByteOrder)
		}
		wr.order = o
	}
	if format != Pcapng {
		wr.writeFileHeader()
		return wr, wr.flushIfAsked()
	}
	wr.writeSHB()
	ifaces := cfg.Interfaces
	if len(ifaces) == 0 {
		ifaces = []Interface{{LinkType: link}}
	}
	for _, ifc := range ifaces {
		if _, err := wr.AddInterface(ifc); err != nil {
			return nil, err
		}
	}
	return wr, wr.flushIfAsked()
}

// Format returns the stream's format.
func (w *Writer) Format() Format { return w.format }

// LinkType returns the link type the Writer was made with.
func (w *Writer) LinkType() layers.LinkType { return w.link }

// Written returns how many bytes the stream holds so far, buffered or not;
// rotation by size (-C) compares it with its limit.
func (w *Writer) Written() int64 { return w.written }

// Flush writes the buffered data to the underlying writer.
func (w *Writer) Flush() error { return w.bw.Flush() }

func (w *Writer) flushIfAsked() error {
	if w.flushEach {
		return w.bw.Flush()
	}
	return nil
}

func (w *Writer) put(b []byte) {
	w.bw.Write(b) // a write error sticks in the bufio.Writer and comes back from Flush
	w.written += int64(len(b))
}

func (w *Writer) writeFileHeader() {
	h := w.scratch[:24]
	magic := uint32(magicMicro)
	if w.format == PcapNano {
		magic = magicNano
	}
	w.order.PutUint32(h[0:], magic)
	w.order.PutUint16(h[4:], 2)
	w.order.PutUint16(h[6:], 4)
	w.order.PutUint32(h[8:], 0)  // thiszone
	w.order.PutUint32(h[12:], 0) // sigfigs
	w.order.PutUint32(h[16:], uint32(w.snaplen))
	w.order.PutUint32(h[20:], uint32(w.link))
	w.put(h)
}

// option appends one pcapng option, padded to 32 bits.
func (w *Writer) option(b []byte, code uint16, value []byte) []byte {
	b = w.order.AppendUint16(b, code)
	b = w.order.AppendUint16(b, uint16(len(value)))
	b = append(b, value...)
	for i := len(value); i%4 != 0; i++ {
		b = append(b, 0)
	}
	return b
}

// block writes one pcapng block of the given type around body.
func (w *Writer) block(typ uint32, body []byte) {
	total := uint32(12 + len(body))
	h := w.scratch[:8]
	w.order.PutUint32(h[0:], typ)
	w.order.PutUint32(h[4:], total)
	w.put(h)
	w.put(body)
	w.order.PutUint32(h[0:], total)
	w.put(h[:4])
}

func (w *Writer) writeSHB() {
	var body []byte
	body = w.order.AppendUint32(body, byteOrderNG)
	body = w.order.AppendUint16(body, 1) // major
	body = w.order.AppendUint16(body, 0) // minor
	body = w.order.AppendUint64(body, ^uint64(0))
	body = w.option(body, optShbUserapp, []byte("rawsock"))
	body = w.option(body, optEnd, nil)
	w.block(blockSHB, body)
}

// AddInterface adds an interface to a pcapng stream and returns its index
// for gopacket.CaptureInfo.InterfaceIndex. Packets written after it may
// use it. A pcap stream has one interface only: AddInterface fails there.
func (w *Writer) AddInterface(ifc Interface) (int, error) {
	if w.format != Pcapng {
		return 0, errors.New("capture: a pcap file has one interface only: write pcapng to keep several")
	}
	if len(ifc.Name) > 255 {
		return 0, fmt.Errorf("capture: interface name longer than 255 bytes")
	}
	snaplen := ifc.Snaplen
	if snaplen <= 0 || snaplen > w.snaplen {
		snaplen = w.snaplen
	}
	var body []byte
	body = w.order.AppendUint16(body, uint16(ifc.LinkType))
	body = w.order.AppendUint16(body, 0)
	body = w.order.AppendUint32(body, uint32(snaplen))
	if ifc.Name != "" {
		body = w.option(body, optIfName, []byte(ifc.Name))
	}
	body = w.option(body, optIfTsresol, []byte{9}) // nanoseconds
	body = w.option(body, optEnd, nil)
	w.block(blockIDB, body)
	ifc.Snaplen = snaplen
	w.ifaces = append(w.ifaces, ifc)
	return len(w.ifaces) - 1, nil
}

// Interfaces returns the interfaces of a pcapng stream so far.
func (w *Writer) Interfaces() []Interface { return w.ifaces }

// WritePacket appends one packet. Data longer than the snap length is cut
// to it; ci.Length is the packet's length on the wire (at least the
// captured length) and ci.InterfaceIndex chooses the interface of a
// pcapng stream. WritePacket does not allocate.
func (w *Writer) WritePacket(ci gopacket.CaptureInfo, data []byte) error {
	snaplen := w.snaplen
	if w.format == Pcapng {
		if ci.InterfaceIndex < 0 || ci.InterfaceIndex >= len(w.ifaces) {
			return fmt.Errorf("capture: packet of interface %d, but the file has %d", ci.InterfaceIndex, len(w.ifaces))
		}
		snaplen = w.ifaces[ci.InterfaceIndex].Snaplen
	}
	if len(data) > snaplen {
		data = data[:snaplen]
	}
	length := ci.Length
	if length < len(data) {
		length = len(data)
	}
	h := w.scratch[:]
	if w.format != Pcapng {
		sec := ci.Timestamp.Unix()
		frac := ci.Timestamp.Nanosecond()
		if w.format == Pcap {
			frac /= 1000
		}
		w.order.PutUint32(h[0:], uint32(sec))
		w.order.PutUint32(h[4:], uint32(frac))
		w.order.PutUint32(h[8:], uint32(len(data)))
		w.order.PutUint32(h[12:], uint32(length))
		w.put(h[:16])
		w.put(data)
		return w.flushIfAsked()
	}
	pad := (4 - len(data)%4) % 4
	total := uint32(32 + len(data) + pad)
	ts := uint64(ci.Timestamp.UnixNano())
	w.order.PutUint32(h[0:], blockEPB)
	w.order.PutUint32(h[4:], total)
	w.order.PutUint32(h[8:], uint32(ci.InterfaceIndex))
	w.order.PutUint32(h[12:], uint32(ts>>32))
	w.order.PutUint32(h[16:], uint32(ts))
	w.order.PutUint32(h[20:], uint32(len(data)))
	w.order.PutUint32(h[24:], uint32(length))
	w.put(h[:28])
	w.put(data)
	w.put(zeros[:pad])
	w.order.PutUint32(h[0:], total)
	w.put(h[:4])
	return w.flushIfAsked()
}
