package craft

import (
	"fmt"
	"net"
	"strings"
)

// Summary describes a packet in one line, tcpdump style, using the
// expression language's names:
//
//	IP 198.51.100.2 > 203.0.113.2 (ttl 64, id 1, len 30): icmp echo-request id 7 seq 1, 2 bytes
func Summary(s Stack) string {
	var b strings.Builder
	summarize(&b, s)
	return b.String()
}

func summarize(b *strings.Builder, s Stack) {
	for i := 0; i < len(s); i++ {
		var next any
		if i+1 < len(s) {
			next = s[i+1]
		}
		switch l := s[i].(type) {
		case *Ether:
			fmt.Fprintf(b, "%s > %s, ", net.HardwareAddr(l.Src[:]), net.HardwareAddr(l.Dst[:]))
			if next == nil || !isIP(next) {
				fmt.Fprintf(b, "ethertype %#04x", l.Type)
			}
		case *IPv4:
			fmt.Fprintf(b, "IP %s > %s (ttl %d, id %d, len %d", showAddr(l.Src, false), showAddr(l.Dst, false), l.TTL, l.ID, l.Length)
			if l.Flags != 0 {
				fmt.Fprintf(b, ", flags %s", showFlags(uint64(l.Flags), ipFlagNames, false))
			}
			if l.FragOffset != 0 {
				fmt.Fprintf(b, ", frag %d", l.FragOffset)
			}
			if len(l.Options) > 0 {
				fmt.Fprintf(b, ", options %s", showIPOptions(l.Options))
			}
			b.WriteString("): ")
			if l.FragOffset != 0 {
				fmt.Fprintf(b, "fragment of proto %s", protoName(l.Protocol))
				return
			}
			if next == nil {
				fmt.Fprintf(b, "proto %s", protoName(l.Protocol))
			} else if _, ok := next.(*Raw); ok {
				fmt.Fprintf(b, "proto %s, ", protoName(l.Protocol))
			}
		case *IPv6:
			fmt.Fprintf(b, "IP6 %s > %s (hlim %d, plen %d): ", showAddr(l.Src, true), showAddr(l.Dst, true), l.HopLimit, l.Length)
			if next == nil {
				fmt.Fprintf(b, "nh %s", protoName(l.NextHeader))
			} else if _, ok := next.(*Raw); ok {
				fmt.Fprintf(b, "nh %s, ", protoName(l.NextHeader))
			}
		case *ICMPv4:
			b.WriteString("icmp " + icmpDef.fields[0].show(value{n: uint64(l.Type)}, l))
			if l.Code != 0 {
				b.WriteString(" " + icmpDef.fields[1].show(value{n: uint64(l.Code)}, l))
			}
			if icmpHasIDSeq(l.Type) {
				fmt.Fprintf(b, " id %d seq %d", l.ID, l.Seq)
			}
			if icmpIsError(l.Type) && next != nil {
				b.WriteString(" quoting [")
				summarize(b, s[i+1:])
				b.WriteString("]")
				return
			}
			if next != nil {
				b.WriteString(", ")
			}
		case *ICMPv6:
			b.WriteString("icmp6 " + icmp6Def.fields[0].show(value{n: uint64(l.Type)}, l))
			if l.Code != 0 {
				fmt.Fprintf(b, " code %d", l.Code)
			}
			if l.Type == 128 || l.Type == 129 {
				fmt.Fprintf(b, " id %d seq %d", l.ID, l.Seq)
			}
			if l.Type < 128 && next != nil {
				b.WriteString(" quoting [")
				summarize(b, s[i+1:])
				b.WriteString("]")
				return
			}
			if next != nil {
				b.WriteString(", ")
			}
		case *IGMP:
			typ := igmpDef.fields[0]
			b.WriteString("igmp " + typ.show(typ.get(l), l))
			if !l.isV3Report() && l.Group.IsValid() && !l.Group.IsUnspecified() {
				fmt.Fprintf(b, " %s", l.Group)
			}
			for _, r := range l.Records {
				t, _ := recordTypeNames.name(uint64(r.Type))
				fmt.Fprintf(b, " [%s %s", t, r.Multicast)
				if len(r.Sources) > 0 {
					fmt.Fprintf(b, " %s", showAddrs(r.Sources))
				}
				b.WriteString("]")
			}
			if next != nil {
				b.WriteString(", ")
			}
		case *TCP:
			fmt.Fprintf(b, "tcp %d > %d %s seq %d", l.SrcPort, l.DstPort, showFlags(uint64(l.Flags), tcpFlagNames, true), l.Seq)
			if l.Flags&TCPAck != 0 {
				fmt.Fprintf(b, " ack %d", l.Ack)
			}
			fmt.Fprintf(b, " win %d", l.Window)
			if len(l.Options) > 0 {
				fmt.Fprintf(b, " options %s", showTCPOptions(l.Options))
			}
			if next != nil {
				b.WriteString(", ")
			}
		case *UDP:
			fmt.Fprintf(b, "udp %d > %d", l.SrcPort, l.DstPort)
			if next != nil {
				b.WriteString(", ")
			}
		case *Raw:
			fmt.Fprintf(b, "%d bytes", len(l.Load))
		}
	}
}

func isIP(l any) bool {
	switch l.(type) {
	case *IPv4, *IPv6:
		return true
	}
	return false
}

func protoName(p uint8) string {
	if s, ok := protoNames.name(uint64(p)); ok {
		return s
	}
	return fmt.Sprint(p)
}
