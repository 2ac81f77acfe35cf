package sockets

import (
	"testing"

	"golang.org/x/sys/unix"
)

// What the package adds to a system call: a receive that finds nothing
// (EAGAIN) on a non-blocking socket, through RecvFromInto and directly.
func BenchmarkEmptyReceive(b *testing.B) {
	_, rx, _ := udpPair(b, false)
	rx.SetTimeout(0)
	buf := make([]byte, 64)
	b.Run("sockets", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, _, err := rx.RecvFromInto(bg, buf, 0); err != ErrWouldBlock {
				b.Fatal(err)
			}
		}
	})
	b.Run("flow", func(b *testing.B) {
		f, err := rx.NewFlow(nil, 64, 64)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for range b.N {
			if _, err := f.Recv(bg, 0); err != ErrWouldBlock {
				b.Fatal(err)
			}
		}
	})
	b.Run("recvfrom", func(b *testing.B) {
		var sa sockaddr
		for range b.N {
			if _, err := sysRecvfrom(rx.fd, buf, unix.MSG_DONTWAIT, &sa, true); err != unix.EAGAIN {
				b.Fatal(err)
			}
		}
	})
	b.Run("recvmsg", func(b *testing.B) {
		var sa sockaddr
		oob := make([]byte, 64)
		iov := unix.Iovec{Base: &buf[0]}
		iov.SetLen(len(buf))
		for range b.N {
			h := unix.Msghdr{Name: &sa.b[0], Namelen: uint32(len(sa.b)), Iov: &iov, Iovlen: 1, Control: &oob[0]}
			h.SetControllen(len(oob))
			if _, err := sysMsg(unix.SYS_RECVMSG, rx.fd, &h, unix.MSG_DONTWAIT, true); err != unix.EAGAIN {
				b.Fatal(err)
			}
		}
	})
}

// A datagram out and back in on loopback, through SendTo and RecvMsg and
// through bare system calls on the same sockets: the difference is what
// the package costs a request-reply loop such as ping -f.
func BenchmarkSendRecvMsg(b *testing.B) {
	tx, rx, to := udpPair(b, true)
	rx.SetTimeout(0)
	rx.SetTimestamps(true)
	msg := make([]byte, 64)
	b.Run("sockets", func(b *testing.B) {
		m := Message{Data: make([]byte, 65536), OOB: make([]byte, 512)}
		b.ReportAllocs()
		for range b.N {
			if _, err := tx.SendTo(bg, msg, 0, to); err != nil {
				b.Fatal(err)
			}
			if err := rx.RecvMsg(bg, &m, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("syscall", func(b *testing.B) {
		var sa, from sockaddr
		if err := sa.encode(INET, to); err != nil {
			b.Fatal(err)
		}
		buf, oob := make([]byte, 65536), make([]byte, 512)
		var iov unix.Iovec
		iov.Base = &buf[0]
		iov.SetLen(len(buf))
		for range b.N {
			if _, err := sysSendto(tx.fd, msg, 0, &sa, true); err != nil {
				b.Fatal(err)
			}
			h := unix.Msghdr{Name: &from.b[0], Namelen: uint32(len(from.b)), Iov: &iov, Iovlen: 1, Control: &oob[0]}
			h.SetControllen(len(oob))
			if _, err := sysMsg(unix.SYS_RECVMSG, rx.fd, &h, 0, true); err != nil {
				b.Fatal(err)
			}
		}
	})
}
