package craft

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Expr writes a packet as an expression that rebuilds it byte for byte:
// Parse and a Builder turn the result back into data. first is the type of
// the outermost layer: layers.LayerTypeEthernet, LayerTypeIPv4 or
// LayerTypeIPv6. Headers craft does not know, and fragments after the
// first, become raw(load=…).
//
// Fields whose value is what the default would give are left out, so the
// expression stays short and can be edited: change ttl and the checksum
// follows. Computed fields that do not match the packet (a wrong checksum,
// a length that lies) are written out, so a broken packet stays broken.
// Fields whose default is random or depends on the host (ip id, src, ports,
// sequence numbers) are always written.
func Expr(data []byte, first gopacket.LayerType) (string, error) {
	s, err := decodeStack(data, first)
	if err != nil {
		return "", err
	}
	orig := slices.Clone(data)
	minimizeKeep(s, orig)
	expr := writeExpr(s, false)
	if rebuilds(expr, orig) {
		return expr, nil
	}
	// The short form did not rebuild the packet: write every field.
	s, _ = decodeStack(orig, first)
	expr = writeExpr(s, true)
	if rebuilds(expr, orig) {
		return expr, nil
	}
	return "", fmt.Errorf("craft: cannot write this %d-byte packet as an expression", len(data))
}

// Decode reads a packet into craft's layer types, outermost first; first
// is layers.LayerTypeEthernet, LayerTypeIPv4 or LayerTypeIPv6. Every field
// is kept as read (Keep is set), so serializing the stack gives data back.
// Headers craft does not know, fragments after the first and cut headers
// end the stack as a Raw layer.
func Decode(data []byte, first gopacket.LayerType) (Stack, error) { return decodeStack(data, first) }

// decodeStack reads data into craft's layer types.
func decodeStack(data []byte, first gopacket.LayerType) (Stack, error) {
	var s Stack
	var next string
	switch first {
	case layers.LayerTypeEthernet:
		next = "ether"
	case layers.LayerTypeIPv4:
		next = "ip"
	case layers.LayerTypeIPv6:
		next = "ip6"
	default:
		return nil, fmt.Errorf("craft: expressions start with Ethernet, IPv4 or IPv6, not %v", first)
	}
	rest := data
	var ether *Ether
	for next != "" && len(rest) > 0 {
		var l gopacket.SerializableLayer
		var ok bool
		var trailer []byte
		trail := ether != nil && len(s) == 1
		cur := next
		next = ""
		switch cur {
		case "ether":
			var e *Ether
			e, rest, ok = decodeEther(rest)
			if ok {
				l, ether = e, e
				switch e.Type {
				case 0x0800:
					next = "ip"
				case 0x86dd:
					next = "ip6"
				}
			}
		case "ip":
			var ip *IPv4
			ip, rest, trailer, ok = decodeIPv4(rest, trail)
			if ok {
				l = ip
				// A first fragment starts with the transport header; later
				// ones are raw data.
				if ip.FragOffset == 0 {
					next = map[uint8]string{1: "icmp", 2: "igmp", 4: "ip", 6: "tcp", 17: "udp", 41: "ip6"}[ip.Protocol]
				}
			}
		case "ip6":
			var ip *IPv6
			ip, rest, trailer, ok = decodeIPv6(rest, trail)
			if ok {
				l = ip
				next = map[uint8]string{4: "ip", 6: "tcp", 17: "udp", 41: "ip6", 58: "icmp6"}[ip.NextHeader]
			}
		case "icmp":
			var m *ICMPv4
			m, rest, ok = decodeICMPv4(rest)
			if ok {
				l = m
				if icmpIsError(m.Type) {
					next = "ip"
				}
			}
		case "icmp6":
			var m *ICMPv6
			m, rest, ok = decodeICMPv6(rest)
			if ok {
				l = m
				if m.Type >= 1 && m.Type <= 4 {
					next = "ip6"
				}
			}
		case "igmp":
			l, rest, ok = decodeIGMP(rest)
		case "tcp":
			l, rest, ok = decodeTCP(rest)
		case "udp":
			l, rest, ok = decodeUDP(rest)
		}
		if !ok {
			break
		}
		s = append(s, l)
		if len(trailer) > 0 {
			ether.Trailer = trailer
		}
	}
	if len(s) == 0 {
		return nil, fmt.Errorf("craft: %d bytes are too short for a %v header", len(data), first)
	}
	if len(rest) > 0 {
		s = append(s, &Raw{Load: rest})
	}
	return s, nil
}

// defOf returns the language's description of a layer type.
func defOf(l gopacket.SerializableLayer) *layerDef {
	switch l.(type) {
	case *Ether:
		return etherDef
	case *IPv4:
		return ipDef
	case *IPv6:
		return ip6Def
	case *ICMPv4:
		return icmpDef
	case *ICMPv6:
		return icmp6Def
	case *IGMP:
		return igmpDef
	case *TCP:
		return tcpDef
	case *UDP:
		return udpDef
	}
	return rawDef
}

// clone copies a layer deep enough that serializing the copy leaves the
// original as it was.
func clone(l gopacket.SerializableLayer) gopacket.SerializableLayer {
	switch l := l.(type) {
	case *Ether:
		c := *l
		return &c
	case *IPv4:
		c := *l
		return &c
	case *IPv6:
		c := *l
		return &c
	case *ICMPv4:
		c := *l
		return &c
	case *ICMPv6:
		c := *l
		return &c
	case *IGMP:
		c := *l
		c.Records = slices.Clone(l.Records)
		return &c
	case *TCP:
		c := *l
		return &c
	case *UDP:
		c := *l
		return &c
	case *Raw:
		c := *l
		return &c
	}
	return l
}

func cloneStack(s Stack) Stack {
	out := make(Stack, len(s))
	for i, l := range s {
		out[i] = clone(l)
	}
	return out
}

func serialize(s Stack) []byte {
	buf := gopacket.NewSerializeBuffer()
	if err := s.Serialize(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}); err != nil {
		return nil
	}
	return buf.Bytes()
}

// minimizeKeep clears every Keep bit of s that the packet does not need:
// one whose computed value is what orig holds anyway.
func minimizeKeep(s Stack, orig []byte) {
	for i := range s {
		for bit := KeepLength; bit <= KeepCount; bit <<= 1 {
			k := keepOf(s[i])
			if *k&bit == 0 {
				continue
			}
			trial := cloneStack(s)
			*keepOf(trial[i]) &^= bit
			if bytes.Equal(serialize(trial), orig) {
				*k &^= bit
			}
		}
	}
}

// writeExpr writes the stack as an expression; all writes every field
// that is part of a layer, computed or not.
func writeExpr(s Stack, all bool) string {
	var parts []string
	for i, l := range s {
		def := defOf(l)
		var fields []string
		keep := *keepOf(l)
		for _, f := range def.fields {
			if f.name == "size" || f.applies != nil && !f.applies(l) {
				continue
			}
			v := f.get(l)
			switch {
			case all && f.keep != 0:
			case f.keep != 0:
				if keep&f.keep == 0 {
					continue
				}
			case all || f.dynamic:
			case isDefault(s, i, f, v):
				continue
			}
			fields = append(fields, f.name+"="+f.show(v, l))
		}
		parts = append(parts, def.name+"("+strings.Join(fields, ", ")+")")
	}
	return strings.Join(parts, "/")
}

// isDefault reports whether v is what field f of layer i would get if the
// expression left it out.
func isDefault(s Stack, i int, f *fieldDef, v value) bool {
	def := defOf(s[i])
	c := clone(s[i])
	var d value
	fresh := def.new()
	d = f.get(fresh)
	f.set(c, &d)
	if f.auto != nil {
		fc := &fillCtx{i: i, l: c}
		if i > 0 {
			fc.prev = s[i-1]
		}
		if i+1 < len(s) {
			fc.next = s[i+1]
		}
		f.auto(fc)
	}
	return valueEqual(f.get(c), v)
}

func valueEqual(a, b value) bool {
	return a.n == b.n && a.a == b.a && bytes.Equal(a.b, b.b) &&
		slices.Equal(a.addrs, b.addrs) &&
		slices.EqualFunc(a.recs, b.recs, func(x, y IGMPRecord) bool {
			return x.Type == y.Type && x.Multicast == y.Multicast && slices.Equal(x.Sources, y.Sources) &&
				bytes.Equal(x.AuxData, y.AuxData) && x.AuxDataLen == y.AuxDataLen && x.NumSources == y.NumSources
		})
}

var errNoRoute = errors.New("expression has no src")

// rebuilds reports whether expr builds exactly want, asking no route.
func rebuilds(expr string, want []byte) bool {
	t, err := Parse(expr)
	if err != nil {
		return false
	}
	b, err := NewBuilder(t, &Options{
		Seed:   1,
		Source: func(netip.Addr) (netip.Addr, error) { return netip.Addr{}, errNoRoute },
	})
	if err != nil || !b.Next() {
		return false
	}
	return bytes.Equal(b.Bytes(), want)
}
