// Package probe runs the active measurements of rawsock: ping (ICMP and
// ICMPv6 echo) and traceroute (UDP, ICMP echo or TCP SYN probes with
// growing TTLs), with the output of the tools users know, iputils ping and
// traceroute(8), or one JSON object per line.
//
// Each measurement is an engine behind a small interface, so that its
// logic — matching replies by identifier, sequence and source, duplicates,
// ICMP errors quoting a probe, the statistics, the -c/-w/-W rules — runs
// in tests against scripted fakes and virtual time:
//
//	EchoConn      sends echo requests and yields what comes back (Ping)
//	TraceConn     sends one probe at a given TTL and yields answers (Trace)
//	Clock         the time, real or virtual
//
// The Linux implementations open their sockets through package sockets:
// a raw ICMP socket when the process may (CAP_NET_RAW), with the kernel's
// ICMP type filter and, from the first echo reply of another process on,
// a classic BPF filter that passes only echo replies carrying its
// identifier (as iputils attaches it), and
// otherwise the unprivileged ICMP datagram socket that
// net.ipv4.ping_group_range allows. Round-trip times come from the
// kernel's receive timestamps (SO_TIMESTAMPNS), and ICMP errors from the
// socket's error queue (IP_RECVERR), as iputils reads them.
package probe
