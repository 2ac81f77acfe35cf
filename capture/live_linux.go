package capture

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/rawsock/rawsock/capture/filter"
	"github.com/rawsock/rawsock/sockets"
	"golang.org/x/sys/unix"
)

// A Live capture reads packets from an AF_PACKET socket (packet(7)) or a raw
// IPv4 socket (raw(7)), in batches (recvmmsg(2)), with the kernel's receive
// timestamps. On an interface with Ethernet frames it restores the VLAN tag
// the kernel took off into PACKET_AUXDATA, as libpcap does; on "any" it
// writes each frame's Linux cooked header from the packet's address.
type Live struct {
	sock    *sockets.Socket
	link    layers.LinkType
	ifc     Interface
	cooked  bool
	snaplen int

	// loIndex is the loopback interface's index: its outgoing frames are
	// skipped, since each comes back as an incoming one (as libpcap does).
	loIndex int

	msgs  []sockets.Message
	bufs  [][]byte // each message's buffer, headroom before Data
	n, i  int
	stats LiveStats
}

// headroom is room before each packet for a cooked header or a VLAN tag.
const headroom = 24

// liveBatch is how many packets one system call may return.
const liveBatch = 8

// DefaultLiveBuffer is the receive buffer of a live capture unless
// LiveConfig.BufferSize says otherwise.
const DefaultLiveBuffer = 4 << 20

// LiveLinkType returns the link type a capture with cfg will have, so that
// a filter can be compiled for it before the capture opens.
func LiveLinkType(cfg *LiveConfig) (layers.LinkType, error) {
	link, _, err := liveTarget(cfg)
	return link, err
}

func liveTarget(cfg *LiveConfig) (layers.LinkType, *net.Interface, error) {
	switch {
	case cfg.L3Protocol != 0:
		return layers.LinkTypeRaw, nil, nil
	case cfg.Interface == "" || cfg.Interface == "any":
		return cookedType(cfg), nil, nil
	}
	ifc, err := net.InterfaceByName(cfg.Interface)
	if err != nil {
		return 0, nil, fmt.Errorf("no interface %q here: see 'ip link' for the names", cfg.Interface)
	}
	if ifc.Flags&net.FlagLoopback != 0 || len(ifc.HardwareAddr) == 6 {
		return layers.LinkTypeEthernet, ifc, nil
	}
	return cookedType(cfg), ifc, nil
}

func cookedType(cfg *LiveConfig) layers.LinkType {
	if cfg.Cooked == layers.LinkTypeLinuxSLL {
		return layers.LinkTypeLinuxSLL
	}
	return layers.LinkTypeLinuxSLL2
}

// OpenLive opens a live capture. It needs CAP_NET_RAW; the error then
// wraps syscall.EPERM.
func OpenLive(cfg *LiveConfig) (*Live, error) {
	if cfg == nil {
		cfg = &LiveConfig{}
	}
	l := &Live{snaplen: cfg.Snaplen}
	if l.snaplen <= 0 || l.snaplen > MaxSnaplen {
		l.snaplen = MaxSnaplen
	}
	link, ifc, err := liveTarget(cfg)
	if err != nil {
		return nil, err
	}
	switch {
	case cfg.L3Protocol != 0:
		l.link = link
		l.ifc = Interface{Name: "ip:" + itoa(cfg.L3Protocol), LinkType: l.link, Snaplen: l.snaplen}
		l.sock, err = sockets.Open(sockets.INET, sockets.RAW, cfg.L3Protocol, &sockets.Config{Filter: cfg.Filter})
	case link == layers.LinkTypeEthernet:
		l.link = link
		l.ifc = Interface{Name: ifc.Name, LinkType: l.link, Snaplen: l.snaplen}
		l.sock, err = sockets.OpenPacket(ifc.Name, sockets.RAW, sockets.EthAll,
			&sockets.Config{Filter: cfg.Filter, Promiscuous: cfg.Promiscuous})
	case ifc != nil:
		err = l.openCooked(ifc.Name, ifc.Index, cfg)
	default:
		err = l.openCooked("", 0, cfg)
	}
	if err != nil {
		return nil, err
	}
	if lo, err := net.InterfaceByName("lo"); err == nil {
		l.loIndex = lo.Index
	}
	if err := l.setup(cfg); err != nil {
		l.sock.Close()
		return nil, err
	}
	return l, nil
}

// openCooked opens a SOCK_DGRAM packet socket: the kernel gives the packet
// from its network header, and the filter, written for cooked frames, is
// rewritten to read the header's fields from the kernel's ancillary data.
func (l *Live) openCooked(name string, index int, cfg *LiveConfig) error {
	l.cooked = true
	l.link = cookedType(cfg)
	ifname := name
	if ifname == "" {
		ifname = "any"
	}
	l.ifc = Interface{Name: ifname, LinkType: l.link, Snaplen: l.snaplen}
	prog := cfg.Filter
	if prog != nil {
		var err error
		if prog, err = filter.ForCookedSocket(prog, l.link); err != nil {
			return fmt.Errorf("capture: this filter cannot run in the kernel on a cooked capture (%v): capture on one interface instead", err)
		}
	}
	var err error
	l.sock, err = sockets.OpenPacket(name, sockets.DGRAM, sockets.EthAll, &sockets.Config{Filter: prog, Promiscuous: cfg.Promiscuous && index != 0})
	return err
}

func (l *Live) setup(cfg *LiveConfig) error {
	if err := l.sock.SetTimestamps(true); err != nil {
		return err
	}
	// A receive buffer as large as libpcap's default ring (2 MiB) or the
	// one asked for: past net.core.rmem_max when the process may
	// (CAP_NET_ADMIN), within it otherwise.
	size := cfg.BufferSize
	if size <= 0 {
		size = DefaultLiveBuffer
	}
	if err := l.sock.SetOption(unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, size); err != nil {
		if err := l.sock.SetRecvBuffer(size); err != nil {
			return err
		}
	}
	if l.link == layers.LinkTypeEthernet || l.link == layers.LinkTypeLinuxSLL {
		if err := l.sock.SetOption(unix.SOL_PACKET, unix.PACKET_AUXDATA, 1); err != nil {
			return err
		}
	}
	l.msgs = make([]sockets.Message, liveBatch)
	l.bufs = make([][]byte, liveBatch)
	for i := range l.msgs {
		l.bufs[i] = make([]byte, headroom+l.snaplen)
		l.msgs[i].Data = l.bufs[i][headroom:]
		l.msgs[i].OOB = make([]byte, 128)
	}
	return nil
}

// LinkType returns the link type of the frames ReadPacket returns.
func (l *Live) LinkType() layers.LinkType { return l.link }

// Interface describes the capture for a pcapng file: the interface's name
// ("any", or "ip:1" for a raw ICMP socket) and link type.
func (l *Live) Interface() Interface { return l.ifc }

// ReadPacketContext waits for the next packet and returns it; the data is
// valid until the next call. It returns ctx's error when ctx ends first.
func (l *Live) ReadPacketContext(ctx context.Context) ([]byte, gopacket.CaptureInfo, error) {
	var m *sockets.Message
	var buf []byte
	for {
		for l.i >= l.n {
			n, err := l.sock.RecvBatch(ctx, l.msgs, unix.MSG_TRUNC)
			if err != nil {
				return nil, gopacket.CaptureInfo{}, err
			}
			l.n, l.i = n, 0
		}
		m, buf = &l.msgs[l.i], l.bufs[l.i]
		l.i++
		if pa, ok := m.Addr.(sockets.PacketAddr); ok && pa.PacketType == sockets.PacketOutgoing && pa.Ifindex == l.loIndex && l.loIndex != 0 {
			continue
		}
		break
	}
	l.stats.Captured++
	length := m.N
	caplen := min(m.N, len(m.Data))
	start, end := headroom, headroom+caplen
	var tag vlanTag
	if l.link == layers.LinkTypeEthernet || l.link == layers.LinkTypeLinuxSLL {
		if status, origLen, tci, tpid, ok := auxdata(m.OOB[:m.NN]); ok {
			length = max(length, int(origLen))
			if status&unix.TP_STATUS_VLAN_VALID != 0 {
				if status&unix.TP_STATUS_VLAN_TPID_VALID == 0 {
					tpid = 0x8100
				}
				tag = vlanTag{tpid, tci, true}
			}
		}
	}
	if tag.valid && l.link == layers.LinkTypeEthernet && caplen >= 12 {
		copy(buf[start-4:], buf[start:start+12])
		start -= 4
		binary.BigEndian.PutUint16(buf[start+12:], tag.tpid)
		binary.BigEndian.PutUint16(buf[start+14:], tag.tci)
		length += 4
	}
	if l.cooked {
		pa, _ := m.Addr.(sockets.PacketAddr)
		start = l.cookedHeader(buf, pa, tag)
		length += headroom - start
	}
	ci := gopacket.CaptureInfo{Timestamp: m.Time, CaptureLength: end - start, Length: length}
	return buf[start:end], ci, nil
}

// A vlanTag is the 802.1Q tag the kernel took off a received frame and
// kept in PACKET_AUXDATA.
type vlanTag struct {
	tpid, tci uint16
	valid     bool
}

// cookedHeader writes the Linux cooked header of a packet just before it
// in buf and returns where it starts. As libpcap does, a v1 header gets
// the frame's VLAN tag back between the header and the packet, its type
// in the header's protocol field; a v2 header goes without it.
func (l *Live) cookedHeader(buf []byte, pa sockets.PacketAddr, tag vlanTag) int {
	hw := pa.HardwareAddr()
	if len(hw) > 8 {
		hw = hw[:8]
	}
	if l.link == layers.LinkTypeLinuxSLL {
		start := headroom - 16
		proto := pa.Protocol
		if tag.valid {
			start -= 4
			binary.BigEndian.PutUint16(buf[headroom-4:], tag.tci)
			binary.BigEndian.PutUint16(buf[headroom-2:], proto)
			proto = tag.tpid
		}
		h := buf[start : start+16]
		clear(h)
		binary.BigEndian.PutUint16(h[0:], uint16(pa.PacketType))
		binary.BigEndian.PutUint16(h[2:], pa.HAType)
		binary.BigEndian.PutUint16(h[4:], uint16(len(hw)))
		copy(h[6:14], hw)
		binary.BigEndian.PutUint16(h[14:], proto)
		return start
	}
	h := buf[headroom-20 : headroom]
	clear(h)
	binary.BigEndian.PutUint16(h[0:], pa.Protocol)
	binary.BigEndian.PutUint32(h[4:], uint32(pa.Ifindex))
	binary.BigEndian.PutUint16(h[8:], pa.HAType)
	h[10] = pa.PacketType
	h[11] = byte(len(hw))
	copy(h[12:20], hw)
	return headroom - 20
}

// auxdata finds the PACKET_AUXDATA control message (struct
// tpacket_auxdata, packet(7)) among those received.
func auxdata(oob []byte) (status, length uint32, tci, tpid uint16, ok bool) {
	const hdr = unix.SizeofCmsghdr
	for len(oob) >= hdr {
		n := int(binary.NativeEndian.Uint64(oob))
		level := int32(binary.NativeEndian.Uint32(oob[8:]))
		typ := int32(binary.NativeEndian.Uint32(oob[12:]))
		if n < hdr || n > len(oob) {
			return
		}
		if level == unix.SOL_PACKET && typ == unix.PACKET_AUXDATA && n >= hdr+20 {
			d := oob[hdr:]
			return binary.NativeEndian.Uint32(d), binary.NativeEndian.Uint32(d[4:]),
				binary.NativeEndian.Uint16(d[16:]), binary.NativeEndian.Uint16(d[18:]), true
		}
		next := (n + 7) &^ 7
		if next > len(oob) {
			return
		}
		oob = oob[next:]
	}
	return
}

// Buffered returns how many packets already received wait to be read: when
// it is 0, the next read waits for the network.
func (l *Live) Buffered() int { return l.n - l.i }

// Stats returns the capture's counters so far. The kernel's counters are
// only kept by AF_PACKET sockets; a raw IP capture reports what it read.
func (l *Live) Stats() (LiveStats, error) {
	if l.link == layers.LinkTypeRaw {
		s := l.stats
		s.Received = s.Captured
		return s, nil
	}
	ps, err := l.sock.PacketStats()
	if err != nil {
		return l.stats, err
	}
	l.stats.Received += uint64(ps.Packets)
	l.stats.Dropped += uint64(ps.Drops)
	return l.stats, nil
}

// Close closes the socket.
func (l *Live) Close() error { return l.sock.Close() }
