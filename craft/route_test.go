package craft

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/rawsock/rawsock/internal/netlab"
)

// TestRouteSource asks the kernel of a lab host for source addresses: on
// the link, through an interface, and where there is no route.
func TestRouteSource(t *testing.T) {
	a, _ := netlab.Pair(t)
	tests := []struct {
		dst, iface, want, err string
	}{
		{"198.51.100.2", "", "198.51.100.1", ""},
		{"2001:db8::2", "", "2001:db8::1", ""},
		{"239.1.2.3", "eth0", "198.51.100.1", ""},
		{"127.0.0.1", "", "127.0.0.1", ""},
		{"203.0.113.9", "", "", "no route to 203.0.113.9"},
	}
	for _, tt := range tests {
		var got netip.Addr
		err := a.Do(func() (err error) {
			got, err = RouteSource(netip.MustParseAddr(tt.dst), tt.iface)
			return err
		})
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), "give src=") {
				t.Errorf("RouteSource(%s): got %v, %v; want an error about %q", tt.dst, got, err, tt.err)
			}
		case err != nil || got.String() != tt.want:
			t.Errorf("RouteSource(%s, %q) = %v, %v; want %s", tt.dst, tt.iface, got, err, tt.want)
		}
	}
}
