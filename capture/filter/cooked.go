package filter

import (
	"fmt"

	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
)

// Offsets of the kernel's ancillary data in classic BPF loads
// (linux/filter.h): SKF_AD_OFF plus the field.
const (
	skfAdOff      = 0xfffff000 // SKF_AD_OFF, -4096
	skfAdProtocol = 0
	skfAdPktType  = 4
	skfAdIfIndex  = 8
)

// ForCookedSocket adapts a program compiled for Linux cooked captures
// (link type 113 or 276) to run in the kernel on a cooked packet socket
// (packet(7), SOCK_DGRAM, as "-i any" uses), the way libpcap does: there
// the filter sees the packet from its network header on, with no cooked
// header, so offsets past the header lose its length, and the header
// fields the kernel knows — protocol, packet type, interface index (v2) —
// become loads of its ancillary data. It returns an error when the program
// reads another part of the header; filter such packets in user space
// instead (a Matcher over the cooked frames). prog is not modified.
//
// The result is for the kernel only: Check refuses ancillary loads.
func ForCookedSocket(prog []bpf.RawInstruction, link layers.LinkType) ([]bpf.RawInstruction, error) {
	var hdrLen uint32
	var fields map[uint32]uint32
	switch link {
	case layers.LinkTypeLinuxSLL:
		hdrLen = 16
		fields = map[uint32]uint32{0: skfAdPktType, 14: skfAdProtocol}
	case layers.LinkTypeLinuxSLL2:
		hdrLen = 20
		fields = map[uint32]uint32{0: skfAdProtocol, 4: skfAdIfIndex, 10: skfAdPktType}
	default:
		return nil, fmt.Errorf("filter: a cooked socket carries Linux cooked captures (link type 113 or 276), not %s", linkName(link))
	}
	out := append([]bpf.RawInstruction(nil), prog...)
	for i := range out {
		ri := &out[i]
		if c := class(ri.Op); c != clsLD && c != clsLDX {
			continue
		}
		switch ri.Op & 0xe0 {
		case mdABS, mdIND, mdMSH:
		default:
			continue
		}
		switch ad, ok := fields[ri.K]; {
		case ri.K >= skfAdOff:
			// Already ancillary data.
		case ri.K >= hdrLen:
			ri.K -= hdrLen
		case ok && ri.Op&0xe0 == mdABS:
			ri.K = skfAdOff + ad
		default:
			return nil, fmt.Errorf("filter: instruction %d (%s) reads the cooked header at offset %d, which the kernel does not provide: filter in user space", i, instructionString(prog[i], i), ri.K)
		}
	}
	return out, nil
}
