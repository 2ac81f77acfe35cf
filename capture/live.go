package capture

import (
	"context"
	"errors"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
)

// LiveConfig says what a live capture listens to. A nil *LiveConfig
// captures every frame of every interface.
type LiveConfig struct {
	// Interface is the interface to capture on; "" or "any" captures on
	// all of them at once, in Linux cooked frames.
	Interface string
	// Cooked is the link type of an "any" capture: layers.LinkTypeLinuxSLL2
	// (the default, which names each frame's interface) or
	// layers.LinkTypeLinuxSLL (tcpdump's default). An interface whose frames
	// have no Ethernet header is captured cooked too.
	Cooked layers.LinkType
	// L3Protocol, when set, captures with a raw IPv4 socket of that IP
	// protocol (1 for ICMP, 6 for TCP, …) instead of AF_PACKET: the packets
	// the kernel delivers to this host, from their IP header (link type
	// RAW). Interface is then ignored.
	L3Protocol int
	// Snaplen is the most bytes kept of each packet; 0 means MaxSnaplen.
	Snaplen int
	// Promiscuous also captures frames addressed to other hosts.
	Promiscuous bool
	// Filter is a classic BPF program for the link type LinkType returns
	// (for a cooked capture, for the cooked frame, as filter.Compile makes
	// it); it runs in the kernel, attached before the socket can queue a
	// packet, so a packet it rejects never reaches the process.
	Filter []bpf.RawInstruction
	// BufferSize sets the socket's receive buffer (SO_RCVBUF) in bytes; 0
	// means DefaultLiveBuffer. Beyond net.core.rmem_max it needs
	// CAP_NET_ADMIN, without which the kernel's maximum applies.
	BufferSize int
}

// LiveStats are a live capture's counters, as tcpdump prints them when it
// stops.
type LiveStats struct {
	// Captured is how many packets ReadPacket returned.
	Captured uint64
	// Received is how many packets passed the filter in the kernel,
	// dropped ones included ("received by filter").
	Received uint64
	// Dropped is how many of them the kernel dropped because the process
	// did not read them in time ("dropped by kernel").
	Dropped uint64
}

// ErrNotSupported is returned by OpenLive on systems other than Linux.
var ErrNotSupported = errors.New("live capture is implemented only on Linux")

// A Source yields packets: a file Reader or a Live capture.
type Source interface {
	ReadPacket() ([]byte, gopacket.CaptureInfo, error)
}

var _ Source = (*Reader)(nil)

// ReadPacket returns the next packet of a live capture, waiting for one;
// see ReadPacketContext.
func (l *Live) ReadPacket() ([]byte, gopacket.CaptureInfo, error) {
	return l.ReadPacketContext(context.Background())
}
