//go:build ignore

// Derive writes the sample captures that no Linux interface produces,
// from the ones make-fixtures.sh captured in DIR, with rawsock's own
// reader and writer:
//
//	null.pcap      lo.pcap as BSD loopback (DLT_NULL) frames
//	be-nano.pcap   tcp.pcap, big-endian, nanosecond timestamps
//	be.pcapng      udp.pcap as big-endian pcapng
//	multi.pcapng   tcp.pcap and lo.pcap merged in time order, two named interfaces
//	mixed.pcapng   icmp.pcap and any.pcap merged: Ethernet and Linux cooked v2 in one file
//
// Usage: go run ./pcaps/derive.go DIR
package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/rawsock/rawsock/capture"
)

type packet struct {
	ci   gopacket.CaptureInfo
	data []byte
}

func load(dir, name string) ([]packet, capture.Interface) {
	f, err := os.Open(filepath.Join(dir, name))
	check(err)
	defer f.Close()
	r, err := capture.NewReader(f)
	check(err)
	var out []packet
	for {
		data, ci, err := r.ReadPacket()
		if errors.Is(err, io.EOF) {
			break
		}
		check(err)
		out = append(out, packet{ci, append([]byte(nil), data...)})
	}
	return out, r.Interface(0)
}

func write(dir, name string, format capture.Format, order binary.ByteOrder, ifaces []capture.Interface, pkts []packet) {
	f, err := os.Create(filepath.Join(dir, name))
	check(err)
	w, err := capture.NewWriter(f, format, ifaces[0].LinkType, &capture.WriterConfig{Interfaces: ifaces, ByteOrder: order})
	check(err)
	for _, p := range pkts {
		check(w.WritePacket(p.ci, p.data))
	}
	check(w.Flush())
	check(f.Close())
	fmt.Printf("derived %s: %d packets\n", name, len(pkts))
}

func main() {
	dir := os.Args[1]

	lo, _ := load(dir, "lo.pcap")
	var null []packet
	for _, p := range lo {
		af := uint32(2) // AF_INET
		switch binary.BigEndian.Uint16(p.data[12:]) {
		case 0x0800:
		case 0x86dd:
			af = 30 // AF_INET6 as FreeBSD and macOS number it
		default:
			continue
		}
		d := binary.LittleEndian.AppendUint32(nil, af)
		d = append(d, p.data[14:]...)
		p.ci.CaptureLength, p.ci.Length = len(d), p.ci.Length-10
		null = append(null, packet{p.ci, d})
	}
	write(dir, "null.pcap", capture.Pcap, nil, []capture.Interface{{LinkType: layers.LinkTypeNull}}, null)

	tcp, ifc := load(dir, "tcp.pcap")
	write(dir, "be-nano.pcap", capture.PcapNano, binary.BigEndian, []capture.Interface{ifc}, tcp)

	udp, ifc := load(dir, "udp.pcap")
	ifc.Name = "eth0"
	write(dir, "be.pcapng", capture.Pcapng, binary.BigEndian, []capture.Interface{ifc}, udp)

	merge := func(name string, a, b string, aName, bName string) {
		pa, ia := load(dir, a)
		pb, ib := load(dir, b)
		ia.Name, ib.Name = aName, bName
		for i := range pb {
			pb[i].ci.InterfaceIndex = 1
		}
		all := append(pa, pb...)
		sort.SliceStable(all, func(i, j int) bool { return all[i].ci.Timestamp.Before(all[j].ci.Timestamp) })
		write(dir, name, capture.Pcapng, nil, []capture.Interface{ia, ib}, all)
	}
	merge("multi.pcapng", "tcp.pcap", "lo.pcap", "client-eth0", "server-lo")
	merge("mixed.pcapng", "icmp.pcap", "any.pcap", "client-eth0", "router-any")

	if _, err := os.Stat(filepath.Join(dir, "raw.pcap")); err != nil {
		// Bootstrap only: before rawsock could capture on a raw IP socket,
		// raw.pcap was the IPv4 packets of icmp.pcap without their frames.
		icmp, _ := load(dir, "icmp.pcap")
		var raw []packet
		for _, p := range icmp {
			if binary.BigEndian.Uint16(p.data[12:]) == 0x0800 {
				p.ci.CaptureLength, p.ci.Length = len(p.data)-14, p.ci.Length-14
				raw = append(raw, packet{p.ci, p.data[14:]})
			}
		}
		write(dir, "raw.pcap", capture.Pcap, nil, []capture.Interface{{LinkType: layers.LinkTypeRaw}}, raw)
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "derive:", err)
		os.Exit(1)
	}
}
