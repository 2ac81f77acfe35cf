package sockets

import (
	"testing"

	"github.com/rawsock/rawsock/internal/netlab"
)

// testRDMOverTIPC runs a reliable-datagram exchange over TIPC inside a
// namespace of the test's own, for kernels that have TIPC.
func testRDMOverTIPC(t *testing.T) {
	h := netlab.Loopback(t)
	h.MustDo(func() error {
		srv, err := Open(TIPC, RDM, 0, nil)
		if err != nil {
			return err
		}
		defer srv.Close()
		addr := TIPCService(18888, 17)
		if err := srv.Bind(addr); err != nil {
			return err
		}
		c, err := Open(TIPC, RDM, 0, nil)
		if err != nil {
			return err
		}
		defer c.Close()
		if _, err := c.SendTo(bg, []byte("rdm"), 0, addr); err != nil {
			return err
		}
		b, from, err := srv.RecvFrom(bg, 10, 0)
		if err != nil {
			return err
		}
		if string(b) != "rdm" {
			t.Errorf("got %q from %v, want rdm", b, from)
		}
		return nil
	})
}
