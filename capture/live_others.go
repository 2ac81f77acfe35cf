//go:build !linux

package capture

import (
	"context"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Live is a live capture; on this system OpenLive always fails.
type Live struct{}

// OpenLive is not implemented on this system.
func OpenLive(cfg *LiveConfig) (*Live, error) { return nil, ErrNotSupported }

// ReadPacketContext is not implemented on this system.
func (l *Live) ReadPacketContext(ctx context.Context) ([]byte, gopacket.CaptureInfo, error) {
	return nil, gopacket.CaptureInfo{}, ErrNotSupported
}

// LinkType is not implemented on this system.
func (l *Live) LinkType() layers.LinkType { return 0 }

// Interface is not implemented on this system.
func (l *Live) Interface() Interface { return Interface{} }

// LiveLinkType is not implemented on this system.
func LiveLinkType(cfg *LiveConfig) (layers.LinkType, error) { return 0, ErrNotSupported }

// Buffered is not implemented on this system.
func (l *Live) Buffered() int { return 0 }

// Stats is not implemented on this system.
func (l *Live) Stats() (LiveStats, error) { return LiveStats{}, ErrNotSupported }

// Close is not implemented on this system.
func (l *Live) Close() error { return ErrNotSupported }
