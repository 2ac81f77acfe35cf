package scan

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net/netip"
	"time"
)

// NewProber returns the Prober a scan of target by method m uses: raw sockets for
// SYN and UDP (which need CAP_NET_RAW: the error then wraps unix.EPERM), and
// connect(2) for Connect, whose attempts each last at most timeout (0 means
// DefaultTimeout).
func NewProber(m Method, target netip.Addr, timeout time.Duration) (Prober, error) {
	target = target.Unmap()
	switch m {
	case SYN, UDP:
		var key [8]byte
		rand.Read(key[:])
		return openRaw(m, target, binary.LittleEndian.Uint64(key[:]))
	case Connect:
		return openConnect(target, timeout), nil
	}
	return nil, fmt.Errorf("scan: unknown method %d: use SYN, UDP or Connect", int(m))
}
