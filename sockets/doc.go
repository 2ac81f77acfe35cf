// Package sockets is the BSD socket API of Linux, as Python's socket module
// teaches it, in Go's idiom: every socket is a non-blocking, close-on-exec
// descriptor driven by Go's runtime poller, so timeouts, deadlines and
// context cancellation work without blocking an OS thread.
//
// # Map of the API
//
// Opening and closing (socket(2), socketpair(2), close(2)):
//
//	Open(family, typ, proto, cfg)       socket.socket(family, type, proto)
//	Pair(family, typ, proto)            socket.socketpair
//	OpenPacket(ifname, typ, proto, cfg) AF_PACKET bound to one interface, filter attached first
//	(*Socket).Close, Fileno, Family, Type, Protocol
//
// Addresses: Addr is one of InetAddr (netip.AddrPort, for INET and INET6),
// UnixAddr (a path, or "@name" in the abstract namespace), PacketAddr
// (interface index, EtherType, hardware address) and TIPCAddr. Build them
// with Inet, Unix, Packet and TIPCService, or parse them from strings with ParseAddr
// ("127.0.0.1:80", "[::1]:80", "/run/x.sock", "@name", "eth0", "tipc:1000:1").
//
// Connections (bind(2), listen(2), accept4(2), connect(2), shutdown(2)):
//
//	Bind(addr)  Listen(backlog)  Accept(ctx) → (*Socket, Addr)  Connect(ctx, addr)
//	Shutdown(how), CloseRead, CloseWrite   SockName, PeerName
//
// Data (send(2), recv(2), sendmsg(2), recvmsg(2), sendmmsg(2), recvmmsg(2)):
//
//	Send(ctx, b, flags) → n (may be short)   SendAll(ctx, b, flags)
//	SendTo(ctx, b, flags, addr)              Recv(ctx, bufsize, flags) → []byte
//	RecvInto(ctx, b, flags)                  RecvFrom(ctx, bufsize, flags) → ([]byte, Addr)
//	RecvFromInto(ctx, b, flags)              SendMsg / RecvMsg(ctx, *Message, flags)
//	SendBatch / RecvBatch(ctx, []Message, flags)
//	Read, Write, ReadFrom, WriteTo           (net.Conn and net.PacketConn)
//	MakeFile(size) → *bufio.ReadWriter       (socket.makefile; line reads work)
//
// A Message received with timestamps on (SetTimestamps) carries the kernel's
// receive time (SO_TIMESTAMPNS) in Message.Time, along with the sender.
//
// Hot paths: once a socket has made a call of each kind, SendTo,
// RecvFromInto, SendMsg, RecvMsg, SendBatch and RecvBatch allocate nothing
// (a sender seen lately is returned as the same Addr, not a new one). A
// Flow (NewFlow) is one goroutine's lighter path for a loop of datagrams
// to and from one peer, with the socket address and the receive msghdr
// built once. Config.LazyPoller keeps a socket out of the runtime poller
// (epoll) except while a call waits, which spares a flood the kernel's
// epoll wakeup for every packet sent or queued.
//
// Timeouts (Python's meaning): SetTimeout(NoTimeout) blocks, SetTimeout(0)
// makes each call one attempt that fails with ErrWouldBlock, and
// SetTimeout(d) makes every call fail with os.ErrDeadlineExceeded after d.
// SetBlocking(bool) is the short form. Every blocking call also takes a
// context whose cancellation or deadline ends it, and the net.Conn deadline
// methods (SetDeadline, SetReadDeadline, SetWriteDeadline) are honoured too.
//
// Options (setsockopt(2), getsockopt(2)): SetOption / GetOption take a level
// and a name from golang.org/x/sys/unix with an int value, SetOptionBytes /
// GetOptionBytes any other value; typed helpers cover the common ones:
// SetReuseAddr, SetReusePort, SetBroadcast, SetKeepAlive, SetRecvBuffer,
// SetSendBuffer, BindToDevice, SetNoDelay, SetTTL, SetTOS,
// SetHeaderIncluded (IP_HDRINCL / IPV6_HDRINCL), SetV6Only, JoinGroup,
// LeaveGroup, SetMulticastTTL, SetMulticastLoop, SetTimestamps.
//
// Packet filters and AF_PACKET (socket(7), packet(7)): AttachFilter takes
// a classic BPF program ([]bpf.RawInstruction, or []bpf.Instruction through
// AttachBPF), DetachFilter removes it; PacketStats reads and resets
// PACKET_STATISTICS; SetPromiscuous adds or drops PACKET_MR_PROMISC;
// InterfaceIndex and InterfaceName look interfaces up.
//
// Raw IP (raw(7)): Open(INET, RAW, proto) receives every packet of that
// protocol with its IPv4 header; with SetHeaderIncluded(true) or proto
// IPPROTO_RAW, SendTo sends a complete user-built IPv4 packet. INET6 raw
// sockets receive without the IPv6 header, as the kernel defines.
//
// RDM: Linux offers SOCK_RDM only in AF_TIPC; Open(TIPC, RDM, 0) says so
// plainly when the kernel lacks TIPC.
//
// Errors are *net.OpError values wrapping an *os.SyscallError, so errors.Is
// works with the errno (unix.ECONNREFUSED, unix.EADDRINUSE, …). Poller errors
// come back unwrapped: os.ErrDeadlineExceeded for a timeout, net.ErrClosed
// after Close, ErrWouldBlock in non-blocking mode, and the context's error
// when the context ended the call.
package sockets
