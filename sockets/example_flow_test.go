package sockets_test

import (
	"context"
	"fmt"
	"log"
	"net/netip"

	"github.com/rawsock/rawsock/sockets"
)

// A request-reply loop through Flows, the way ping -f runs: the peer's
// address and the receive buffers are set up once, and each Send or Recv
// is one system call. LazyPoller keeps both sockets out of the runtime
// poller until a call has to wait.
func ExampleSocket_NewFlow() {
	ctx := context.Background()
	lo := netip.MustParseAddr("127.0.0.1")
	cfg := &sockets.Config{LazyPoller: true}
	server, err := sockets.Open(sockets.INET, sockets.DGRAM, 0, cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer server.Close()
	server.Bind(sockets.Inet(lo, 0))
	serverAddr, _ := server.SockName()
	client, _ := sockets.Open(sockets.INET, sockets.DGRAM, 0, cfg)
	defer client.Close()
	client.Bind(sockets.Inet(lo, 0))

	toServer, err := client.NewFlow(serverAddr, 1500, 0)
	if err != nil {
		log.Fatal(err)
	}
	atServer, _ := server.NewFlow(nil, 1500, 0)
	for i := range 3 {
		toServer.Send(ctx, []byte{byte(i)}, 0)
		m, err := atServer.Recv(ctx, 0)
		if err != nil {
			log.Fatal(err)
		}
		// Echo it back to whoever sent it.
		server.SendTo(ctx, m.Data[:m.N], 0, m.Addr)
		back, _ := toServer.Recv(ctx, 0)
		fmt.Println("round trip", back.Data[:back.N])
	}
	// Output:
	// round trip [0]
	// round trip [1]
	// round trip [2]
}
