package replay

import (
	"encoding/binary"
	"net"

	"github.com/gopacket/gopacket/layers"
)

// EtherTypes the re-framing knows.
const (
	etherIPv4  = 0x0800
	etherIPv6  = 0x86dd
	etherVLAN  = 0x8100
	etherQinQ  = 0x88a8
	etherQinQ2 = 0x9100
)

// BroadcastMAC is the destination of frames made from captures without an
// Ethernet header (cooked, loopback, raw IP) when no other is given: the
// far side's kernel takes every broadcast frame in, whatever its address.
var BroadcastMAC = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// Replayable reports whether frames of a link type can be replayed: they
// can be re-framed as Ethernet frames and as bare IP packets.
func Replayable(lt layers.LinkType) bool {
	switch lt {
	case layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL, layers.LinkTypeLinuxSLL2,
		layers.LinkTypeNull, layers.LinkTypeLoop,
		layers.LinkTypeRaw, 12, 14, layers.LinkTypeIPv4, layers.LinkTypeIPv6:
		return true
	}
	return false
}

// payload finds what a frame of link type lt carries after its link-layer
// header: its EtherType and offset. ok is false when the header is cut
// short or carries something without an EtherType (an 802.2 frame in a
// cooked capture, an address family other than IPv4 and IPv6).
func payload(lt layers.LinkType, data []byte) (etherType uint16, off int, ok bool) {
	switch lt {
	case layers.LinkTypeEthernet:
		if len(data) < 14 {
			return 0, 0, false
		}
		return binary.BigEndian.Uint16(data[12:]), 14, true
	case layers.LinkTypeLinuxSLL:
		if len(data) < 16 {
			return 0, 0, false
		}
		etherType = binary.BigEndian.Uint16(data[14:])
		return etherType, 16, etherType >= 0x0600
	case layers.LinkTypeLinuxSLL2:
		if len(data) < 20 {
			return 0, 0, false
		}
		etherType = binary.BigEndian.Uint16(data[0:])
		return etherType, 20, etherType >= 0x0600
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		if len(data) < 4 {
			return 0, 0, false
		}
		family := binary.BigEndian.Uint32(data)
		if lt == layers.LinkTypeNull && family > 0xffff {
			// DLT_NULL's family is in the byte order of the host that
			// captured it, which the value itself gives away.
			family = binary.LittleEndian.Uint32(data)
		}
		switch family {
		case 2: // AF_INET everywhere
			return etherIPv4, 4, true
		case 10, 24, 28, 30: // AF_INET6 of Linux, NetBSD and OpenBSD, FreeBSD, Darwin
			return etherIPv6, 4, true
		}
		return 0, 0, false
	case layers.LinkTypeRaw, 12, 14, layers.LinkTypeIPv4, layers.LinkTypeIPv6:
		if len(data) == 0 {
			return 0, 0, false
		}
		switch data[0] >> 4 {
		case 4:
			return etherIPv4, 0, true
		case 6:
			return etherIPv6, 0, true
		}
	}
	return 0, 0, false
}

// innerIP steps over VLAN tags after the link header: it returns the
// EtherType under them and the offset of what it types.
func innerIP(data []byte, etherType uint16, off int) (uint16, int) {
	for n := 0; n < 4 && (etherType == etherVLAN || etherType == etherQinQ || etherType == etherQinQ2); n++ {
		if len(data) < off+4 {
			return 0, off
		}
		etherType, off = binary.BigEndian.Uint16(data[off+2:]), off+4
	}
	return etherType, off
}

// A framer turns captured frames into what goes on the wire.
type framer struct {
	out      Output
	src, dst net.HardwareAddr // Ethernet addresses to set; nil keeps
	ifMAC    net.HardwareAddr // source of frames made from scratch
	rw       *Rewrite
}

// frame appends to buf what the captured frame data of link type lt
// becomes on the wire, rewritten, and returns it; ok is false for a frame
// to skip (not IP with L3, or no Ethernet form).
func (f *framer) frame(buf []byte, lt layers.LinkType, data []byte) (out []byte, ok bool) {
	etherType, off, ok := payload(lt, data)
	if !ok {
		return buf, false
	}
	inner, ipOff := innerIP(data, etherType, off)
	var ip int // offset of the IP packet in out
	switch {
	case f.out == L3:
		if !isIP(inner, data[min(ipOff, len(data)):]) {
			return buf, false
		}
		// Without the link's padding: a raw socket would take it for
		// part of the packet and make the IPv4 total length cover it.
		out = append(buf, data[ipOff:ipOff+ipLen(data[ipOff:])]...)
	case lt == layers.LinkTypeEthernet:
		out = append(buf, data...)
		ip = ipOff
		f.setMACs(out, false)
	default:
		out = append(buf, make([]byte, 14)...)
		binary.BigEndian.PutUint16(out[12:], etherType)
		f.setMACs(out, true)
		out = append(out, data[off:]...)
		ip = 14 + ipOff - off
	}
	if f.rw.active() && (inner == etherIPv4 || inner == etherIPv6) && len(out) > ip {
		f.rw.Packet(out[ip:])
	}
	return out, true
}

// setMACs writes the Ethernet addresses of a frame: those given, and for a
// frame made from scratch the defaults for the others.
func (f *framer) setMACs(eth []byte, made bool) {
	switch {
	case f.dst != nil:
		copy(eth[0:6], f.dst)
	case made:
		copy(eth[0:6], BroadcastMAC)
	}
	switch {
	case f.src != nil:
		copy(eth[6:12], f.src)
	case made:
		copy(eth[6:12], f.ifMAC)
	}
}

// ipLen returns the length of the IP packet at the start of p as its
// header gives it, or len(p) when p holds less, or the header no length.
func ipLen(p []byte) int {
	n := len(p)
	switch {
	case p[0]>>4 == 4 && len(p) >= 20:
		n = int(binary.BigEndian.Uint16(p[2:]))
	case p[0]>>4 == 6 && len(p) >= 40 && binary.BigEndian.Uint16(p[4:]) != 0:
		n = 40 + int(binary.BigEndian.Uint16(p[4:]))
	}
	if n < 20 || n > len(p) {
		return len(p)
	}
	return n
}

// isIP reports whether p is an IP packet of the version etherType says.
func isIP(etherType uint16, p []byte) bool {
	switch {
	case len(p) == 0:
		return false
	case etherType == etherIPv4:
		return p[0]>>4 == 4
	case etherType == etherIPv6:
		return p[0]>>4 == 6
	}
	return false
}
