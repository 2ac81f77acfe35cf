package sockets

import (
	"fmt"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// OpenPacket opens an AF_PACKET socket (packet(7)) that receives the frames
// of one interface ("" for all of them) carrying the EtherType proto, in
// host byte order (EthAll for every frame). typ is RAW for whole frames with
// their link-layer header, DGRAM for the payload only.
//
// Nothing unfiltered is ever queued: the socket is opened with protocol 0,
// which receives nothing, then cfg.Filter is attached, and only then is it
// bound to the interface and protocol. With cfg.Promiscuous the interface
// also receives frames for other hosts while the socket is open.
func OpenPacket(ifname string, typ Type, proto uint16, cfg *Config) (*Socket, error) {
	if typ != RAW && typ != DGRAM {
		return nil, fmt.Errorf("packet sockets are raw (with the link-layer header) or dgram (without it), not %v", typ)
	}
	ifindex := 0
	if ifname != "" && ifname != "any" {
		var err error
		if ifindex, err = InterfaceIndex(ifname); err != nil {
			return nil, err
		}
	}
	if cfg == nil {
		cfg = &Config{}
	}
	s, err := Open(PACKET, typ, 0, &Config{LazyPoller: cfg.LazyPoller})
	if err != nil {
		return nil, err
	}
	s.proto = int(proto)
	if len(cfg.Filter) > 0 {
		if err := s.AttachFilter(cfg.Filter); err != nil {
			s.Close()
			return nil, err
		}
	}
	if err := s.Bind(Packet(ifindex, proto)); err != nil {
		s.Close()
		return nil, err
	}
	if cfg.Promiscuous {
		if ifindex == 0 {
			s.Close()
			return nil, fmt.Errorf("promiscuous mode needs one interface: name it instead of %q", ifname)
		}
		if err := s.SetPromiscuous(ifindex, true); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// SetPromiscuous adds (on) or drops the socket's PACKET_MR_PROMISC
// membership of an interface (PACKET_ADD_MEMBERSHIP): the interface stays
// promiscuous while some socket holds one, and the kernel drops it when
// the socket closes.
func (s *Socket) SetPromiscuous(ifindex int, on bool) error {
	opt := unix.PACKET_DROP_MEMBERSHIP
	if on {
		opt = unix.PACKET_ADD_MEMBERSHIP
	}
	mreq := unix.PacketMreq{Ifindex: int32(ifindex), Type: unix.PACKET_MR_PROMISC}
	return s.control("setsockopt", "setsockopt", nil, func(fd int) error {
		return unix.SetsockoptPacketMreq(fd, unix.SOL_PACKET, opt, &mreq)
	})
}

// PacketStats are an AF_PACKET socket's counters (struct tpacket_stats).
type PacketStats struct {
	// Packets is how many frames passed the filter, Drops included.
	Packets uint32
	// Drops is how many of them were dropped because the receive buffer
	// was full.
	Drops uint32
}

// PacketStats reads the socket's PACKET_STATISTICS, which the kernel
// resets on every read: each call returns the counts since the last.
func (s *Socket) PacketStats() (PacketStats, error) {
	var st PacketStats
	err := s.control("getsockopt", "getsockopt", nil, func(fd int) error {
		ts, err := unix.GetsockoptTpacketStats(fd, unix.SOL_PACKET, unix.PACKET_STATISTICS)
		if err == nil {
			st = PacketStats{Packets: ts.Packets, Drops: ts.Drops}
		}
		return err
	})
	return st, err
}

// AttachFilter attaches a classic BPF program (SO_ATTACH_FILTER,
// socket(7)): from then on the socket queues only what the program
// accepts, cut to the length it returns. It replaces any earlier program.
func (s *Socket) AttachFilter(prog []bpf.RawInstruction) error {
	if len(prog) == 0 {
		return fmt.Errorf("empty BPF program: give at least a return instruction")
	}
	if len(prog) > 0xffff {
		return fmt.Errorf("BPF program of %d instructions is too long: the kernel takes at most 4096", len(prog))
	}
	ins := make([]unix.SockFilter, len(prog))
	for i, p := range prog {
		ins[i] = unix.SockFilter{Code: p.Op, Jt: p.Jt, Jf: p.Jf, K: p.K}
	}
	fprog := unix.SockFprog{Len: uint16(len(ins)), Filter: &ins[0]}
	return s.control("setsockopt", "setsockopt", nil, func(fd int) error {
		return unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &fprog)
	})
}

// AttachBPF assembles a program written with golang.org/x/net/bpf's
// instructions and attaches it with AttachFilter.
func (s *Socket) AttachBPF(prog []bpf.Instruction) error {
	raw, err := bpf.Assemble(prog)
	if err != nil {
		return fmt.Errorf("assemble BPF program: %w", err)
	}
	return s.AttachFilter(raw)
}

// DetachFilter removes the attached program (SO_DETACH_FILTER): the socket
// receives everything again.
func (s *Socket) DetachFilter() error {
	return s.SetOption(unix.SOL_SOCKET, unix.SO_DETACH_FILTER, 0)
}
