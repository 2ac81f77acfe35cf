package netlab_test

import (
	"fmt"
	"testing"

	"github.com/rawsock/rawsock/internal/netlab"
)

// A routed lab: client — router — server, with forwarding on the router.
func Example() {
	t := &testing.T{} // in a real test, the *testing.T the test receives
	l := netlab.New(t)
	client, router, server := l.Host("client"), l.Host("router"), l.Host("server")
	l.Link(client, []string{"198.51.100.2/24"}, router, []string{"198.51.100.1/24"})
	l.Link(router, []string{"203.0.113.1/24"}, server, []string{"203.0.113.2/24"})
	router.Sysctl("net.ipv4.ip_forward", "1")
	client.MustRun("ip", "route", "add", "default", "via", "198.51.100.1")
	server.MustRun("ip", "route", "add", "default", "via", "203.0.113.1")
	fmt.Println(client.MustRun("ping", "-c", "1", "-W", "2", "203.0.113.2"))
}
