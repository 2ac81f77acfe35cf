package replay

import (
	"errors"
	"io"

	"github.com/gopacket/gopacket"

	"github.com/rawsock/rawsock/capture"
)

// DefaultCache is the most packet data Cached keeps in memory unless told
// otherwise: 64 MiB.
const DefaultCache = 64 << 20

// Cached returns an Open for Config.Open that reads the capture from open
// the first time and keeps its packets in memory, up to limit bytes of
// packet data, so that later loops replay from memory instead of reading
// and decoding the file again (tcpreplay's --preload-pcap, done as the
// first loop goes). A capture bigger than limit, or damaged, is read from
// open again for each loop.
func Cached(open func() (Source, error), limit int) func() (Source, error) {
	c := &cache{open: open, limit: limit, ifaces: map[int]capture.Interface{}}
	return c.next
}

// cache holds a capture read once.
type cache struct {
	open  func() (Source, error)
	limit int

	tried    bool // the first pass was made (recording it)
	complete bool // ... and it held the whole capture
	data     []byte
	pkts     []cachedPacket
	ifaces   map[int]capture.Interface
}

type cachedPacket struct {
	off, n int
	ci     gopacket.CaptureInfo
}

func (c *cache) next() (Source, error) {
	switch {
	case c.complete:
		return &memSource{c: c}, nil
	case c.tried:
		return c.open()
	}
	c.tried = true
	src, err := c.open()
	if err != nil {
		return nil, err
	}
	return &recording{Source: src, c: c, on: true}, nil
}

// recording is the first pass over the capture, which keeps what it reads.
type recording struct {
	Source
	c  *cache
	on bool
}

func (r *recording) ReadPacket() ([]byte, gopacket.CaptureInfo, error) {
	data, ci, err := r.Source.ReadPacket()
	if !r.on {
		return data, ci, err
	}
	c := r.c
	switch {
	case errors.Is(err, io.EOF):
		c.complete, r.on = true, false
	case err != nil || len(c.data)+len(data) > c.limit:
		// Damaged or too big: drop what was kept and read the file again
		// next time.
		c.data, c.pkts, r.on = nil, nil, false
	default:
		if _, ok := c.ifaces[ci.InterfaceIndex]; !ok {
			c.ifaces[ci.InterfaceIndex] = r.Source.Interface(ci.InterfaceIndex)
		}
		c.pkts = append(c.pkts, cachedPacket{off: len(c.data), n: len(data), ci: ci})
		c.data = append(c.data, data...)
	}
	return data, ci, err
}

// Close closes the capture read, when it can be closed.
func (r *recording) Close() error {
	if cl, ok := r.Source.(io.Closer); ok {
		return cl.Close()
	}
	return nil
}

// memSource replays a cached capture.
type memSource struct {
	c *cache
	i int
}

func (m *memSource) ReadPacket() ([]byte, gopacket.CaptureInfo, error) {
	if m.i == len(m.c.pkts) {
		return nil, gopacket.CaptureInfo{}, io.EOF
	}
	p := m.c.pkts[m.i]
	m.i++
	return m.c.data[p.off : p.off+p.n : p.off+p.n], p.ci, nil
}

func (m *memSource) Interface(index int) capture.Interface { return m.c.ifaces[index] }
