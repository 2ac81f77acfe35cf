package scan

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rawsock/rawsock/sockets"
)

// connectProber probes by connect(2): each probe is a non-blocking TCP
// connection attempt that runs under the runtime poller until it is
// established, refused, or out of time. An established connection is reset
// at once (SO_LINGER 0), so neither side keeps it in TIME_WAIT.
type connectProber struct {
	target  netip.Addr
	family  sockets.Family
	timeout time.Duration

	ctx     context.Context
	cancel  context.CancelFunc
	replies chan Reply
	wg      sync.WaitGroup
}

var _ Prober = (*connectProber)(nil)

// linger0 is struct linger{l_onoff: 1, l_linger: 0}: close(2) then sends a
// RST instead of a FIN.
var linger0 = []byte{1, 0, 0, 0, 0, 0, 0, 0}

func openConnect(target netip.Addr, timeout time.Duration) *connectProber {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	family := sockets.INET
	if target.Is6() {
		family = sockets.INET6
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &connectProber{target: target, family: family, timeout: timeout, ctx: ctx, cancel: cancel, replies: make(chan Reply, 256)}
}

// Probe starts a connection attempt to port. Running out of descriptors is
// ErrBusy: the attempts under way free theirs soon.
func (p *connectProber) Probe(port uint16) error {
	s, err := sockets.Open(p.family, sockets.STREAM, 0, nil)
	if err != nil {
		if errors.Is(err, unix.EMFILE) || errors.Is(err, unix.ENFILE) || errors.Is(err, unix.ENOBUFS) {
			return fmt.Errorf("%w: %w", ErrBusy, err)
		}
		return err
	}
	if err := s.SetOptionBytes(unix.SOL_SOCKET, unix.SO_LINGER, linger0); err != nil {
		s.Close()
		return err
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer s.Close()
		ctx, cancel := context.WithTimeout(p.ctx, p.timeout)
		defer cancel()
		rep, ok := connectVerdict(port, s.Connect(ctx, sockets.Inet(p.target, port)))
		if !ok {
			return
		}
		rep.From = p.target
		select {
		case p.replies <- rep:
		case <-p.ctx.Done():
		}
	}()
	return nil
}

// connectVerdict reads what connect(2) returned the way nmap -sT does.
// Errors that say nothing about the port (a timeout, the context ending)
// give no reply: the port stays silent.
func connectVerdict(port uint16, err error) (Reply, bool) {
	rep := Reply{Port: port}
	switch {
	case err == nil:
		rep.State, rep.Reason = Open, ReasonSynAck
	case errors.Is(err, unix.ECONNREFUSED):
		rep.State, rep.Reason = Closed, ReasonConnRefused
	case errors.Is(err, unix.EHOSTUNREACH):
		// Also what an ICMP administratively prohibited becomes.
		rep.State, rep.Reason = Filtered, ReasonHostUnreach
	case errors.Is(err, unix.ENETUNREACH):
		rep.State, rep.Reason = Filtered, ReasonNetUnreach
	case errors.Is(err, unix.EACCES):
		// What ICMPv6 administratively prohibited becomes.
		rep.State, rep.Reason = Filtered, ReasonAdminProhibited
	default:
		return Reply{}, false
	}
	return rep, true
}

// Replies returns the outcomes of finished attempts.
func (p *connectProber) Replies() <-chan Reply { return p.replies }

// Close ends the attempts under way and waits for them.
func (p *connectProber) Close() error {
	p.cancel()
	p.wg.Wait()
	return nil
}
