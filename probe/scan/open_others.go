//go:build !linux

package scan

import (
	"fmt"
	"net/netip"
	"runtime"
	"time"
)

// NewProber returns the Prober a scan of target by method m uses. Scanning is
// implemented on Linux only.
func NewProber(m Method, target netip.Addr, timeout time.Duration) (Prober, error) {
	return nil, fmt.Errorf("scan: not implemented on %s", runtime.GOOS)
}
