package sockets

import (
	"io"
	"testing"
)

// Stream throughput over TCP loopback through Write and Read.
func BenchmarkTCPStream(b *testing.B) {
	c, s := connected(b, INET, STREAM, Inet(lo4, 0))
	buf := make([]byte, 256<<10)
	b.SetBytes(int64(len(buf)))
	done := make(chan struct{})
	go func() {
		io.Copy(io.Discard, struct{ io.Reader }{s})
		close(done)
	}()
	b.ResetTimer()
	for range b.N {
		if _, err := c.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	c.CloseWrite()
	<-done
}

// One datagram at a time over UDP loopback: SendTo, then RecvFromInto.
func BenchmarkUDPRoundTrip(b *testing.B) {
	srv, sa := listener(b, INET, DGRAM, Inet(lo4, 0))
	c, _ := listener(b, INET, DGRAM, Inet(lo4, 0))
	msg := make([]byte, 64)
	in := make([]byte, 2048)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := c.SendTo(bg, msg, 0, sa); err != nil {
			b.Fatal(err)
		}
		if _, _, err := srv.RecvFromInto(bg, in, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// 32 datagrams per system call each way: SendBatch, then RecvBatch.
func BenchmarkUDPBatch32(b *testing.B) {
	srv, sa := listener(b, INET, DGRAM, Inet(lo4, 0))
	c, _ := listener(b, INET, DGRAM, Inet(lo4, 0))
	srv.SetRecvBuffer(4 << 20)
	out := make([]Message, 32)
	in := make([]Message, 32)
	for i := range out {
		out[i] = Message{Data: make([]byte, 64), Addr: sa}
		in[i] = Message{Data: make([]byte, 2048)}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for sent := 0; sent < len(out); {
			n, err := c.SendBatch(bg, out[sent:], 0)
			if err != nil {
				b.Fatal(err)
			}
			sent += n
		}
		for got := 0; got < len(in); {
			n, err := srv.RecvBatch(bg, in[got:], 0)
			if err != nil {
				b.Fatal(err)
			}
			got += n
		}
	}
	b.ReportMetric(float64(b.N*32)/b.Elapsed().Seconds(), "msgs/s")
}
