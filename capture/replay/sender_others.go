//go:build !linux

package replay

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
)

// errNotSupported is the error of OpenPacket and OpenRaw on systems other
// than Linux.
var errNotSupported = fmt.Errorf("replay: sending is implemented only on Linux, not %s", runtime.GOOS)

// A PacketSender sends Ethernet frames through an AF_PACKET socket; only
// on Linux.
type PacketSender struct{}

// OpenPacket fails: AF_PACKET is Linux's.
func OpenPacket(ifname string) (*PacketSender, error) { return nil, errNotSupported }

// HardwareAddr returns nil.
func (p *PacketSender) HardwareAddr() net.HardwareAddr { return nil }

// Send fails.
func (p *PacketSender) Send(ctx context.Context, frames [][]byte) (int, error) {
	return 0, errNotSupported
}

// Close does nothing.
func (p *PacketSender) Close() error { return nil }

// A RawSender sends IP packets through raw sockets; only on Linux.
type RawSender struct{}

// OpenRaw fails.
func OpenRaw(ifname string) (*RawSender, error) { return nil, errNotSupported }

// Send fails.
func (rs *RawSender) Send(ctx context.Context, pkts [][]byte) (int, error) {
	return 0, errNotSupported
}

// Close does nothing.
func (rs *RawSender) Close() error { return nil }

func fatal(err error) bool { return errors.Is(err, net.ErrClosed) || errors.Is(err, errNotSupported) }
