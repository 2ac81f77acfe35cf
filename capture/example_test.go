package capture_test

import (
	"bytes"
	"fmt"
	"os"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/rawsock/rawsock/capture"
)

// A crafted ICMP echo request (no link header), written to a pcap stream,
// read back, decoded and printed the way tcpdump prints it.
func Example() {
	echo := []byte{
		0x45, 0x00, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x40, 0x01, 0xf7, 0xdd, 0xc0, 0x00, 0x02, 0x01,
		0xc0, 0x00, 0x02, 0x02, 0x08, 0x00, 0xf7, 0xfe, 0x00, 0x01, 0x00, 0x00,
	}
	var file bytes.Buffer
	w, err := capture.NewWriter(&file, capture.Pcap, layers.LinkTypeRaw, nil)
	if err != nil {
		panic(err)
	}
	ci := gopacket.CaptureInfo{Timestamp: time.Date(2024, 1, 2, 3, 4, 5, 600000, time.UTC), CaptureLength: len(echo), Length: len(echo)}
	w.WritePacket(ci, echo)
	w.Flush()

	r, err := capture.NewReader(&file)
	if err != nil {
		panic(err)
	}
	data, ci, err := r.ReadPacket()
	if err != nil {
		panic(err)
	}
	d := capture.NewDecoder()
	d.Decode(r.LinkType(), data)
	p := capture.NewPrinter(os.Stdout, &capture.PrintOptions{Numeric: true, Location: time.UTC})
	p.Print(ci, d, data)
	fmt.Print(capture.HexDump(data))
	// Output:
	// 03:04:05.000600 IP 192.0.2.1 > 192.0.2.2: ICMP echo request, id 1, seq 0, length 8
	// 	0x0000:  4500 001c 0001 0000 4001 f7dd c000 0201  E.......@.......
	// 	0x0010:  c000 0202 0800 f7fe 0001 0000            ............
}
