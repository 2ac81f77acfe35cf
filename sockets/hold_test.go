package sockets

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Single-packet calls hold the descriptor with the socket's own count
// rather than through the poller: a Close in the middle of goroutines
// that send and receive as fast as they can waits for the calls under
// way, and every later call, through a Flow or the Socket's methods, ends
// with net.ErrClosed. Close returns, and so does every goroutine.
func TestCloseDuringQuickCalls(t *testing.T) {
	for _, lazy := range []bool{false, true} {
		t.Run(fmt.Sprintf("lazy=%v", lazy), func(t *testing.T) {
			tx, rx, to := udpPair(t, lazy)
			tx.SetTimeout(0)
			rx.SetTimeout(0)
			out, err := tx.NewFlow(to, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			in, err := rx.NewFlow(nil, 64, 0)
			if err != nil {
				t.Fatal(err)
			}
			calls := []func() error{
				func() error { _, err := out.Send(bg, []byte("flow"), 0); return err },
				func() error { _, err := in.Recv(bg, 0); return err },
				func() error { _, err := tx.SendTo(bg, []byte("sendto"), 0, to); return err },
				func() error { _, _, err := rx.RecvFromInto(bg, make([]byte, 64), 0); return err },
			}
			var wg sync.WaitGroup
			errs := make([]error, len(calls))
			counts := make([]atomic.Int64, len(calls))
			for i, call := range calls {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						err := call()
						if err == nil || errors.Is(err, ErrWouldBlock) {
							counts[i].Add(1)
							continue
						}
						errs[i] = err
						return
					}
				}()
			}
			// Close once every call has run a few times.
			for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
				ran := 0
				for i := range counts {
					if counts[i].Load() >= 10 {
						ran++
					}
				}
				if ran == len(counts) {
					break
				}
			}
			closed := make(chan struct{})
			go func() {
				tx.Close()
				rx.Close()
				close(closed)
			}()
			select {
			case <-closed:
			case <-time.After(5 * time.Second):
				t.Fatal("Close did not return while calls were under way")
			}
			done := make(chan struct{})
			go func() { wg.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("calls kept going after Close")
			}
			for i, err := range errs {
				if !errors.Is(err, net.ErrClosed) {
					t.Errorf("call %d after Close: got %v, want net.ErrClosed", i, err)
				}
				if counts[i].Load() == 0 {
					t.Errorf("call %d never ran before Close", i)
				}
			}
		})
	}
}
