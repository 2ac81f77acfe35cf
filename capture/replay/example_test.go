package replay_test

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/rawsock/rawsock/capture"
	"github.com/rawsock/rawsock/capture/replay"
	"github.com/rawsock/rawsock/craft"
)

// printer is a Sender that prints what it is given instead of sending it.
type printer struct{}

func (printer) Send(_ context.Context, frames [][]byte) (int, error) {
	for _, f := range frames {
		st, err := craft.Decode(f, layers.LayerTypeIPv4)
		if err != nil {
			return 0, err
		}
		fmt.Println(craft.Summary(st))
	}
	return len(frames), nil
}

// Replay a capture through a Sender of one's own, with the addresses
// rewritten: the real Senders come from OpenPacket (layer 2) and OpenRaw
// (layer 3).
func Example() {
	// A capture of two pings, made in memory.
	var file bytes.Buffer
	w, _ := capture.NewWriter(&file, capture.Pcap, layers.LinkTypeRaw, nil)
	pkts, _ := craft.Packets(`ip(src=10.1.1.1, dst=10.2.2.2, id=1)/icmp(id=7, seq=[1,2])`, nil)
	for i, p := range pkts {
		ts := time.Unix(1700000000, 0).Add(time.Duration(i) * 10 * time.Millisecond)
		w.WritePacket(gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(p), Length: len(p)}, p)
	}
	w.Flush()

	src, _ := replay.ParseAddrMap("10.0.0.0/8=198.51.100.0/24")
	dst, _ := replay.ParseAddrMap("203.0.113.2")
	st, err := replay.Run(context.Background(), &replay.Config{
		Open:    func() (replay.Source, error) { return capture.NewReader(bytes.NewReader(file.Bytes())) },
		Sender:  printer{},
		Output:  replay.L3,
		Rewrite: &replay.Rewrite{Src: src, Dst: dst},
		Loop:    2,
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d packets, %d bytes, %d loops\n", st.Packets, st.Bytes, st.Loops)
	// Output:
	// IP 198.51.100.1 > 203.0.113.2 (ttl 64, id 1, len 28): icmp echo-request id 7 seq 1
	// IP 198.51.100.1 > 203.0.113.2 (ttl 64, id 1, len 28): icmp echo-request id 7 seq 2
	// IP 198.51.100.1 > 203.0.113.2 (ttl 64, id 1, len 28): icmp echo-request id 7 seq 1
	// IP 198.51.100.1 > 203.0.113.2 (ttl 64, id 1, len 28): icmp echo-request id 7 seq 2
	// 4 packets, 112 bytes, 2 loops
}

func ExampleParseAddrMap() {
	m, err := replay.ParseAddrMap("198.51.100.0/24=203.0.113.0/24,2001:db8:1::/64=2001:db8:2::/64")
	if err != nil {
		panic(err)
	}
	for _, a := range []string{"198.51.100.7", "2001:db8:1::2", "192.0.2.1"} {
		to, ok := m.Map(netip.MustParseAddr(a))
		fmt.Println(a, "→", to, ok)
	}
	_, err = replay.ParseAddrMap("198.51.100.1/24=203.0.113.0/24")
	fmt.Println(err)
	// Output:
	// 198.51.100.7 → 203.0.113.7 true
	// 2001:db8:1::2 → 2001:db8:2::2 true
	// 192.0.2.1 → 192.0.2.1 false
	// rule "198.51.100.1/24=203.0.113.0/24": prefix 198.51.100.1/24 has bits set past its length: write 198.51.100.0/24
}
