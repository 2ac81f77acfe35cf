package capture

import (
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// TimeFormat is how a printed line starts: tcpdump's -t options.
type TimeFormat int

// The time formats, in the order of tcpdump's -t, -tt, … -ttttt.
const (
	// TimeOfDay is tcpdump's default: "15:04:05.000000".
	TimeOfDay TimeFormat = iota
	// TimeNone prints no time (-t).
	TimeNone
	// TimeEpoch prints seconds since 1970 (-tt).
	TimeEpoch
	// TimeDelta prints the time since the previous packet (-ttt).
	TimeDelta
	// TimeDate prints the date and the time of day (-tttt).
	TimeDate
	// TimeSinceFirst prints the time since the first packet (-ttttt).
	TimeSinceFirst
)

// HexMode says how packet bytes are dumped after each line: tcpdump's -x,
// -xx, -X, -XX and -A.
type HexMode int

// The dump modes. "Payload" is the packet without its link-layer header.
const (
	HexNone         HexMode = iota
	HexPayload              // -x
	HexFrame                // -xx
	HexASCIIPayload         // -X
	HexASCIIFrame           // -XX
	ASCIIPayload            // -A
	ASCIIFrame              // -AA (not in tcpdump: -A with the link header)
)

// PrintOptions are tcpdump's printing flags. The zero value prints like
// tcpdump with no flags, except that names come only from local files.
type PrintOptions struct {
	// Numeric prints addresses, ports and protocols as numbers (-n).
	// Without it, names come from /etc/hosts, /etc/services and
	// /etc/protocols only: rawsock never asks a DNS server.
	Numeric bool
	// LinkHeader prints the link-level header (-e).
	LinkHeader bool
	// Quiet prints less protocol information (-q).
	Quiet bool
	// Verbose is the number of -v flags.
	Verbose int
	// Time is the timestamp format.
	Time TimeFormat
	// Nano prints nanoseconds instead of microseconds.
	Nano bool
	// Hex dumps each packet's bytes after its line.
	Hex HexMode
	// Location is the time zone of printed times; nil means time.Local.
	Location *time.Location
	// InterfaceName names a Linux cooked v2 interface index; nil looks it
	// up on this host, as tcpdump does.
	InterfaceName func(index int) string
}

// A Printer writes tcpdump's one-line description of each packet. It keeps
// tcpdump's state across packets (relative TCP sequence numbers, the time
// of the previous packet), so use one Printer per stream. Printing a packet
// of the protocols rawsock decodes allocates nothing once the Printer has
// seen its connection.
type Printer struct {
	w     io.Writer
	opt   PrintOptions
	loc   *time.Location
	names *names
	b     []byte

	first, prev time.Time
	started     bool
	frameLen    int
	cut         bool
	ifnames     map[int]string
	conns       map[tcpKey]tcpSeq
}

// NewPrinter returns a Printer writing to w; opt nil means the defaults.
func NewPrinter(w io.Writer, opt *PrintOptions) *Printer {
	p := &Printer{w: w, b: make([]byte, 0, 1024), conns: map[tcpKey]tcpSeq{}}
	if opt != nil {
		p.opt = *opt
	}
	p.loc = p.opt.Location
	if p.loc == nil {
		p.loc = time.Local
	}
	if !p.opt.Numeric {
		p.names = namesLoaded()
	}
	return p
}

// Print writes the line (and the dump, if asked) for one decoded frame.
// data is the frame as captured and ci its capture information.
func (p *Printer) Print(ci gopacket.CaptureInfo, d *Decoder, data []byte) error {
	p.b = p.b[:0]
	p.frameLen = max(ci.Length, len(data))
	p.cut = false
	p.timestamp(ci.Timestamp)
	netOff := p.frame(d, data, ci.Length)
	p.dump(data, netOff)
	p.b = append(p.b, '\n')
	_, err := p.w.Write(p.b)
	return err
}

// Line returns the line Print would write for a frame, without its
// timestamp, newline or dump: what other commands show for a packet.
func (p *Printer) Line(d *Decoder, data []byte) string {
	p.b = p.b[:0]
	p.frameLen = len(data)
	p.frame(d, data, len(data))
	return string(p.b)
}

func (p *Printer) str(s string) { p.b = append(p.b, s...) }

func (p *Printer) uint(v uint64) { p.b = strconv.AppendUint(p.b, v, 10) }

func (p *Printer) int(v int) { p.b = strconv.AppendInt(p.b, int64(v), 10) }

// hex appends v in lower-case hex, zero-padded to width digits.
func (p *Printer) hex(v uint64, width int) {
	var buf [16]byte
	s := strconv.AppendUint(buf[:0], v, 16)
	for i := len(s); i < width; i++ {
		p.b = append(p.b, '0')
	}
	p.b = append(p.b, s...)
}

// truncJump is trunc where tcpdump gives up on the packet altogether, after
// which its dump shows the whole frame, link header and all.
func (p *Printer) truncJump(proto string) { p.trunc(proto) }

// trunc ends a line where the capture ends inside a header; tcpdump then
// dumps (-x) the whole frame. truncHere is the same without that, for the
// places where tcpdump stops more gently.
func (p *Printer) trunc(proto string) {
	p.cut = true
	p.truncHere(proto)
}

func (p *Printer) truncHere(proto string) {
	p.str(" [|")
	p.str(proto)
	p.str("]")
}

func (p *Printer) timestamp(t time.Time) {
	if p.opt.Time == TimeNone {
		return
	}
	if !p.started {
		p.first, p.prev, p.started = t, t, true
	}
	switch p.opt.Time {
	case TimeEpoch:
		p.b = strconv.AppendInt(p.b, t.Unix(), 10)
		p.b = append(p.b, '.')
		p.frac(t.Nanosecond())
	case TimeDelta, TimeSinceFirst:
		base := p.prev
		if p.opt.Time == TimeSinceFirst {
			base = p.first
		}
		d := t.Sub(base)
		p.prev = t
		if d < 0 {
			d = -d
			p.b = append(p.b, '-')
		} else {
			p.b = append(p.b, ' ')
		}
		s := int64(d / time.Second)
		p.two(int(s / 3600))
		p.b = append(p.b, ':')
		p.two(int(s / 60 % 60))
		p.b = append(p.b, ':')
		p.two(int(s % 60))
		p.b = append(p.b, '.')
		p.frac(int(d % time.Second))
	default:
		t = t.In(p.loc)
		if p.opt.Time == TimeDate {
			y, m, dd := t.Date()
			p.b = strconv.AppendInt(p.b, int64(y), 10)
			p.b = append(p.b, '-')
			p.two(int(m))
			p.b = append(p.b, '-')
			p.two(dd)
			p.b = append(p.b, ' ')
		}
		h, m, s := t.Clock()
		p.two(h)
		p.b = append(p.b, ':')
		p.two(m)
		p.b = append(p.b, ':')
		p.two(s)
		p.b = append(p.b, '.')
		p.frac(t.Nanosecond())
	}
	p.b = append(p.b, ' ')
}

func (p *Printer) two(v int) {
	if v < 10 {
		p.b = append(p.b, '0')
	}
	p.b = strconv.AppendInt(p.b, int64(v), 10)
}

// frac appends the fraction of a second: 6 digits, or 9 with Nano.
func (p *Printer) frac(ns int) {
	digits, v := 6, ns/1000
	if p.opt.Nano {
		digits, v = 9, ns
	}
	var buf [9]byte
	for i := digits - 1; i >= 0; i-- {
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	p.b = append(p.b, buf[:digits]...)
}

// frame prints the link layer and what it carries, and returns the offset
// of the network header (for -x), or -1 when there is none.
func (p *Printer) frame(d *Decoder, data []byte, length int) int {
	switch d.LinkType {
	case layers.LinkTypeEthernet:
		return p.ethernet(d, data, length)
	case layers.LinkTypeLinuxSLL:
		return p.sll(d, data, length)
	case layers.LinkTypeLinuxSLL2:
		return p.sll2(d, data, length)
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		return p.null(d, data, length)
	case layers.LinkTypeRaw, 12, 14, layers.LinkTypeIPv4, layers.LinkTypeIPv6:
		if p.opt.LinkHeader {
			p.str("ip: ")
		}
		p.network(d, data, 0, d.LinkType == layers.LinkTypeIPv6)
		return 0
	}
	p.str("unsupported link type ")
	p.str(LinkTypeName(d.LinkType))
	p.str(", length ")
	p.int(length)
	return -1
}

func (p *Printer) mac(b []byte) {
	const digits = "0123456789abcdef"
	for i, c := range b {
		if i > 0 {
			p.b = append(p.b, ':')
		}
		p.b = append(p.b, digits[c>>4], digits[c&0xf])
	}
}

// etherTypeNames are tcpdump's names of the EtherTypes it prints.
func etherTypeName(t uint16) string {
	switch t {
	case 0x0800:
		return "IPv4"
	case 0x0806:
		return "ARP"
	case 0x86dd:
		return "IPv6"
	case 0x8100:
		return "802.1Q"
	case 0x88a8:
		return "802.1Q-QinQ"
	case 0x9100:
		return "802.1Q-9100"
	case 0x8035:
		return "Reverse ARP"
	case 0x88cc:
		return "LLDP"
	case 0x8847:
		return "MPLS unicast"
	case 0x8848:
		return "MPLS multicast"
	case 0x888e:
		return "EAPOL"
	case 0x8863:
		return "PPPoE D"
	case 0x8864:
		return "PPPoE S"
	case 0x88f7:
		return "PTP"
	case 0x8808:
		return "MAC control"
	case 0x9000:
		return "Loopback"
	}
	return "Unknown"
}

func (p *Printer) etherType(t uint16) {
	name := etherTypeName(t)
	if p.opt.Quiet {
		if name == "Unknown" {
			p.str("Unknown Ethertype (0x")
			p.hex(uint64(t), 4)
			p.str(")")
			return
		}
		p.str(name)
		return
	}
	p.str("ethertype ")
	p.str(name)
	p.str(" (0x")
	p.hex(uint64(t), 4)
	p.str(")")
}

func isVLANType(t uint16) bool { return t == 0x8100 || t == 0x88a8 || t == 0x9100 }

func (p *Printer) ethernet(d *Decoder, data []byte, length int) int {
	if len(data) < 14 {
		p.str("[|ether]")
		return -1
	}
	typ := binary.BigEndian.Uint16(data[12:])
	header := func() {
		p.mac(data[6:12])
		p.str(" > ")
		p.mac(data[0:6])
		p.str(", ")
	}
	if typ <= 1500 {
		// 802.3 with LLC: rawsock names it and dumps it.
		header()
		p.str("802.3, length ")
		p.int(length)
		p.str(": ")
		p.defaultPrint(data[14:])
		return 14
	}
	if p.opt.LinkHeader {
		header()
		p.etherType(typ)
		p.str(", length ")
		p.int(length)
		p.str(": ")
	}
	off := 14
	for isVLANType(typ) {
		if len(data) < off+4 {
			p.str("[|vlan]")
			return -1
		}
		tci := binary.BigEndian.Uint16(data[off:])
		typ = binary.BigEndian.Uint16(data[off+2:])
		if p.opt.LinkHeader {
			p.vlanTCI(tci)
			p.str(", ")
			p.etherType(typ)
			p.str(", ")
		}
		off += 4
	}
	if !p.etherPayload(d, typ, data, off) {
		if !p.opt.LinkHeader {
			header()
			p.etherType(typ)
			p.str(", length ")
			p.int(length)
			p.str(": ")
		}
		p.defaultPrint(data[off:])
	}
	return off
}

// etherPayload prints what an EtherType carries; false when rawsock does
// not decode it.
func (p *Printer) etherPayload(d *Decoder, typ uint16, data []byte, off int) bool {
	switch typ {
	case 0x0800, 0x86dd:
		p.network(d, data, off, typ == 0x86dd)
	case 0x0806:
		p.arp(d, data[off:])
	default:
		return false
	}
	return true
}

// defaultPrint dumps bytes nothing decodes, as tcpdump does for unknown
// protocols (unless a dump was asked for anyway).
func (p *Printer) defaultPrint(b []byte) {
	switch p.opt.Hex {
	case HexPayload, HexFrame, HexASCIIPayload, HexASCIIFrame:
		return
	}
	if p.opt.Quiet {
		return
	}
	p.b = appendHexASCII(p.b, b, "\n\t")
}

var sllTypes = [...]string{"In", "B", "M", "P", "Out"}

func sllType(t int) string {
	if t >= 0 && t < len(sllTypes) {
		return sllTypes[t]
	}
	return "?"
}

func (p *Printer) pad(s string, width int) {
	p.str(s)
	for i := len(s); i < width; i++ {
		p.b = append(p.b, ' ')
	}
}

func (p *Printer) sll(d *Decoder, data []byte, length int) int {
	if len(data) < 16 {
		p.str("[|sll]")
		return -1
	}
	typ := binary.BigEndian.Uint16(data[14:])
	header := func(length int) {
		t := sllType(int(binary.BigEndian.Uint16(data[0:])))
		for i := len(t); i < 3; i++ {
			p.b = append(p.b, ' ')
		}
		p.str(t)
		p.str(" ")
		if n := int(binary.BigEndian.Uint16(data[4:])); n == 6 {
			p.mac(data[6:12])
			p.str(" ")
		}
		if !p.opt.Quiet {
			p.etherType(typ)
			p.str(", length ")
			p.int(length)
			p.str(": ")
		}
	}
	if p.opt.LinkHeader {
		header(length)
	}
	return p.cookedPayload(d, typ, data, 16, length, header)
}

// vlanTCI prints an 802.1Q tag control field as tcpdump does: "vlan 100,
// p 5" and ", DEI" when that bit is set.
func (p *Printer) vlanTCI(tci uint16) {
	p.str("vlan ")
	p.uint(uint64(tci & 0xfff))
	p.str(", p ")
	p.uint(uint64(tci >> 13))
	if tci&0x1000 != 0 {
		p.str(", DEI")
	}
}

// cookedPayload prints what follows a Linux cooked header at off, as
// tcpdump does: 802.1Q tags (only those; a cooked QinQ frame is unknown to
// it), then the packet, or for a type it does not know the cooked header
// (printed by header, if -e has not printed it already, with the length
// left after the tags) and a hex dump.
func (p *Printer) cookedPayload(d *Decoder, typ uint16, data []byte, off, length int, header func(length int)) int {
	for typ == uint16(layers.EthernetTypeDot1Q) {
		if len(data) < off+4 {
			p.str(" [|vlan]")
			return -1
		}
		tci := binary.BigEndian.Uint16(data[off:])
		typ = binary.BigEndian.Uint16(data[off+2:])
		// The tag with -e; the type inside it, by name alone, unless -q.
		if p.opt.LinkHeader {
			p.vlanTCI(tci)
			p.str(", ")
		}
		if !p.opt.Quiet {
			p.str("ethertype ")
			p.str(etherTypeName(typ))
			p.str(", ")
		}
		off += 4
		length -= 4
	}
	if !p.etherPayload(d, typ, data, off) {
		if !p.opt.LinkHeader {
			header(length)
		}
		p.defaultPrint(data[off:])
	}
	return off
}

func (p *Printer) sll2(d *Decoder, data []byte, length int) int {
	if len(data) < 20 {
		p.str("[|sll2]")
		return -1
	}
	ifindex := int(binary.BigEndian.Uint32(data[4:]))
	p.pad(p.ifname(ifindex), 5)
	p.str(" ")
	p.pad(sllType(int(data[10])), 3)
	p.str(" ")
	typ := binary.BigEndian.Uint16(data[0:])
	header := func(length int) {
		p.str("ifindex ")
		p.int(ifindex)
		p.str(" ")
		if data[11] == 6 {
			p.mac(data[12:18])
			p.str(" ")
		}
		if !p.opt.Quiet {
			p.etherType(typ)
			p.str(", length ")
			p.int(length)
			p.str(": ")
		}
	}
	if p.opt.LinkHeader {
		header(length)
	}
	return p.cookedPayload(d, typ, data, 20, length, header)
}

// ifname names an interface index the way tcpdump does: by asking this
// host, which is only right for a capture made here.
func (p *Printer) ifname(index int) string {
	if p.opt.InterfaceName != nil {
		return p.opt.InterfaceName(index)
	}
	if name, ok := p.ifnames[index]; ok {
		return name
	}
	name := "?"
	if ifc, err := net.InterfaceByIndex(index); err == nil {
		name = ifc.Name
	}
	if p.ifnames == nil || len(p.ifnames) > 1024 {
		p.ifnames = map[int]string{}
	}
	p.ifnames[index] = name
	return name
}

func (p *Printer) null(d *Decoder, data []byte, length int) int {
	if len(data) < 4 {
		p.str("[|null]")
		return -1
	}
	var af uint32
	if d.LinkType == layers.LinkTypeLoop || (data[0] == 0 && data[1] == 0) {
		af = binary.BigEndian.Uint32(data)
	} else {
		af = binary.LittleEndian.Uint32(data)
	}
	var name string
	ip := false
	switch af {
	case 2:
		name, ip = "IPv4", true
	case 24, 28, 30:
		name, ip = "IPv6", true
	case 7:
		name = "OSI"
	case 23:
		name = "Appletalk"
	case 6:
		name = "IPX"
	default:
		name = "Unknown"
	}
	if p.opt.LinkHeader || !ip {
		if p.opt.Quiet {
			p.str(name)
		} else {
			p.str("AF ")
			p.str(name)
			p.str(" (")
			p.uint(uint64(af))
			p.str(")")
		}
		p.str(", length ")
		p.int(length)
		p.str(": ")
	}
	if ip {
		p.network(d, data, 4, af != 2)
	} else {
		p.defaultPrint(data[4:])
	}
	return 4
}

// host appends an address, or its /etc/hosts name without -n.
func (p *Printer) host(a netip.Addr) {
	if p.names != nil {
		if name, ok := p.names.hosts[a]; ok {
			p.str(name)
			return
		}
	}
	p.b = a.AppendTo(p.b)
}

// port appends a port, or its /etc/services name without -n.
func (p *Printer) port(port uint16, udp bool) {
	if p.names != nil {
		m := p.names.tcp
		if udp {
			m = p.names.udp
		}
		if name, ok := m[port]; ok {
			p.str(name)
			return
		}
	}
	p.uint(uint64(port))
}
