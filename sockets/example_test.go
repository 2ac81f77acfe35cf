package sockets_test

import (
	"context"
	"fmt"
	"log"
	"net/netip"
	"time"

	"github.com/rawsock/rawsock/sockets"
)

// A TCP echo over loopback, as Python's socket module would write it:
// socket, bind, listen, connect, accept, sendall, recv.
func Example() {
	ctx := context.Background()
	srv, err := sockets.Open(sockets.INET, sockets.STREAM, 0, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	srv.SetReuseAddr(true)
	if err := srv.Bind(sockets.Inet(netip.MustParseAddr("127.0.0.1"), 0)); err != nil {
		log.Fatal(err)
	}
	srv.Listen(1)
	addr, _ := srv.SockName() // the port the kernel chose

	cli, _ := sockets.Open(sockets.INET, sockets.STREAM, 0, nil)
	defer cli.Close()
	cli.SetTimeout(5 * time.Second) // every call gives up after 5s
	if err := cli.Connect(ctx, addr); err != nil {
		log.Fatal(err)
	}
	conn, peer, _ := srv.Accept(ctx)
	defer conn.Close()
	local, _ := cli.SockName()
	fmt.Println("peer is the client:", peer == local)

	cli.SendAll(ctx, []byte("hello"), 0)
	msg, _ := conn.Recv(ctx, 1024, 0)
	conn.SendAll(ctx, msg, 0)
	reply, _ := cli.Recv(ctx, 1024, 0)
	fmt.Printf("%s\n", reply)
	// Output:
	// peer is the client: true
	// hello
}

// SEQPACKET keeps message boundaries: two sends are two receives.
func ExamplePair() {
	ctx := context.Background()
	a, b, err := sockets.Pair(sockets.UNIX, sockets.SEQPACKET, 0)
	if err != nil {
		log.Fatal(err)
	}
	defer a.Close()
	defer b.Close()
	a.Send(ctx, []byte("one"), 0)
	a.Send(ctx, []byte("two"), 0)
	for range 2 {
		m, _ := b.Recv(ctx, 100, 0)
		fmt.Printf("%q\n", m)
	}
	// Output:
	// "one"
	// "two"
}

// A non-blocking socket answers at once: ErrWouldBlock when nothing is there.
func ExampleSocket_SetTimeout() {
	a, b, _ := sockets.Pair(sockets.UNIX, sockets.DGRAM, 0)
	defer a.Close()
	defer b.Close()
	b.SetTimeout(0)
	_, err := b.Recv(context.Background(), 100, 0)
	fmt.Println(err == sockets.ErrWouldBlock)
	b.SetTimeout(10 * time.Millisecond)
	_, err = b.Recv(context.Background(), 100, 0)
	fmt.Println(err)
	// Output:
	// true
	// i/o timeout
}

func ExampleParseAddr() {
	for _, s := range []string{"127.0.0.1:80", "[::1]:8080", "/run/echo.sock", "@rawsock", "tipc:1000:1"} {
		a, err := sockets.ParseAddr(sockets.UNSPEC, s)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%-6s %s\n", a.Family(), a)
	}
	// Output:
	// inet   127.0.0.1:80
	// inet6  [::1]:8080
	// unix   /run/echo.sock
	// unix   @rawsock
	// tipc   tipc:1000:1
}
