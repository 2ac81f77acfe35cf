#!/usr/bin/env bash
# Makes the sample captures in pcaps/ with rawsock itself: it builds a
# throwaway lab of three network namespaces,
#
#   client 198.51.100.2 ── 198.51.100.1 router 203.0.113.1 ── 203.0.113.2 server
#          2001:db8:1::2       2001:db8:1::1  2001:db8:2::1        2001:db8:2::2
#
# makes traffic with the kernel (ping, connect, multicast joins), Python's
# socket module and scapy, captures it with "rawsock sniff -w", and removes
# the lab however the script ends. Nothing leaves the namespaces. The files
# that no Linux interface produces (BSD loopback, big-endian, multi-interface
# pcapng) are then derived from the captures by derive.go, through rawsock's
# own writer. Each file is described in pcaps/README.md.
#
# Usage (as root): pcaps/make-fixtures.sh RAWSOCK_BINARY
set -eu
RAWSOCK=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
OUT=$(mktemp -d)
p=rsfix$$
C=$p-client R=$p-router S=$p-server

cleanup() {
	for ns in $C $R $S; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -rf "$OUT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

in_ns() { ns=$1; shift; ip netns exec "$ns" "$@"; }

# --- the lab ---
for ns in $C $R $S; do
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	in_ns "$ns" sysctl -q -w net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
ip link add eth0 netns $C type veth peer name eth0 netns $R
ip link add eth0 netns $S type veth peer name eth1 netns $R
# Fixed MAC addresses keep the files comparable from one run to the next.
ip -n $C link set eth0 address 02:00:00:00:00:02
ip -n $R link set eth0 address 02:00:00:00:00:01
ip -n $R link set eth1 address 02:00:00:00:01:01
ip -n $S link set eth0 address 02:00:00:00:01:02
ip -n $C addr add 198.51.100.2/24 dev eth0
ip -n $C addr add 2001:db8:1::2/64 dev eth0 nodad
ip -n $R addr add 198.51.100.1/24 dev eth0
ip -n $R addr add 2001:db8:1::1/64 dev eth0 nodad
ip -n $R addr add 203.0.113.1/24 dev eth1
ip -n $R addr add 2001:db8:2::1/64 dev eth1 nodad
ip -n $S addr add 203.0.113.2/24 dev eth0
ip -n $S addr add 2001:db8:2::2/64 dev eth0 nodad
# The router's far side has a small MTU, so that it answers "fragmentation
# needed" and "packet too big".
ip -n $R link set eth1 mtu 1280
ip -n $S link set eth0 mtu 1280
for l in "$C eth0" "$R eth0" "$R eth1" "$S eth0"; do
	set -- $l
	ip -n "$1" link set "$2" up
done
in_ns $R sysctl -q -w net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
ip -n $C route add default via 198.51.100.1
ip -n $C -6 route add default via 2001:db8:1::1
ip -n $S route add default via 203.0.113.1
ip -n $S -6 route add default via 2001:db8:2::1
# IPv6 link-local addresses need a moment after the links come up.
sleep 2

# cap_start NS IFACE FILE [SNIFF FLAGS]: capture in the background.
cap_start() {
	local ns=$1 iface=$2 file=$3
	shift 3
	if [ "${CAPTURE:-rawsock}" = tcpdump ]; then
		# Only to bootstrap the decoders before rawsock could capture.
		ip netns exec "$ns" tcpdump -i "$iface" -U -w "$OUT/$file" "$@" 2>/dev/null &
	else
		ip netns exec "$ns" "$RAWSOCK" sniff -i "$iface" -U -w "$OUT/$file" "$@" 2>/dev/null &
	fi
	CAP_PID=$!
	sleep 1
}
cap_stop() {
	sleep 1
	kill -TERM "$CAP_PID"
	wait "$CAP_PID" || true
	echo "made $(basename "$1"): $(tcpdump -r "$OUT/$1" 2>/dev/null | wc -l) packets"
}
flush_neigh() { for ns in $C $R $S; do ip -n "$ns" neigh flush all; done; }

# --- icmp.pcap: ARP and ICMP, as the kernel sends and answers them ---
flush_neigh
cap_start $C eth0 icmp.pcap
in_ns $C ping -c 2 -i 0.2 198.51.100.1 >/dev/null
in_ns $C ping -c 2 -i 0.2 203.0.113.2 >/dev/null
in_ns $C ping -c 1 -t 1 -W 1 203.0.113.2 >/dev/null || true                 # time exceeded
in_ns $C $PY -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x" * 12, ("203.0.113.2", 33434))'
in_ns $C ping -c 1 -s 1400 -M do -W 1 203.0.113.2 >/dev/null || true        # fragmentation needed
in_ns $C ping -c 1 -s 1300 -M dont -W 1 203.0.113.2 >/dev/null || true      # fragmented by the router
in_ns $C ping -c 1 -s 3000 -W 1 203.0.113.2 >/dev/null || true              # fragmented by the client
in_ns $C ping -c 1 -W 5 203.0.113.99 >/dev/null || true                     # host unreachable
cap_stop icmp.pcap

# --- ipopts.pcap: IPv4 options the kernel fills in ---
cap_start $C eth0 ipopts.pcap
in_ns $C ping -c 1 -R 203.0.113.2 >/dev/null
in_ns $C ping -c 1 -T tsonly 203.0.113.2 >/dev/null
in_ns $C ping -c 1 -T tsandaddr 203.0.113.2 >/dev/null
cap_stop ipopts.pcap

# --- tcp.pcap: TCP sessions over IPv4 and IPv6, and a refused connect ---
in_ns $S $PY -c '
import socket, threading
def serve(family, addr):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, 7777)); s.listen(); s.settimeout(15)
    c, _ = s.accept()
    data = c.recv(100)
    c.sendall(data.upper())
    c.shutdown(socket.SHUT_WR)
    c.recv(100)
    c.close()
ts = [threading.Thread(target=serve, args=a) for a in ((socket.AF_INET, "203.0.113.2"), (socket.AF_INET6, "2001:db8:2::2"))]
[t.start() for t in ts]; [t.join() for t in ts]' &
SRV=$!
sleep 0.5
cap_start $C eth0 tcp.pcap
in_ns $C $PY -c '
import socket
for family, addr in ((socket.AF_INET, "203.0.113.2"), (socket.AF_INET6, "2001:db8:2::2")):
    c = socket.create_connection((addr, 7777), timeout=5)
    c.sendall(b"hello, rawsock\n")
    while c.recv(100):
        pass
    c.close()
try:
    socket.create_connection(("203.0.113.2", 7778), timeout=5)
except ConnectionRefusedError:
    pass'
wait $SRV
cap_stop tcp.pcap

# --- udp.pcap: UDP both ways, and protocols rawsock only names ---
in_ns $S $PY -c '
import socket, threading
def echo(family, addr):
    s = socket.socket(family, socket.SOCK_DGRAM); s.bind((addr, 7777)); s.settimeout(10)
    for _ in range(2):
        d, peer = s.recvfrom(2000); s.sendto(d[::-1], peer)
ts = [threading.Thread(target=echo, args=a) for a in ((socket.AF_INET, "203.0.113.2"), (socket.AF_INET6, "2001:db8:2::2"))]
[t.start() for t in ts]; [t.join() for t in ts]' &
SRV=$!
sleep 0.5
cap_start $C eth0 udp.pcap
in_ns $C $PY -c '
import socket
for family, addr in ((socket.AF_INET, "203.0.113.2"), (socket.AF_INET6, "2001:db8:2::2")):
    s = socket.socket(family, socket.SOCK_DGRAM); s.settimeout(5)
    for msg in (b"ping over udp", b"x" * 600):
        s.sendto(msg, (addr, 7777)); s.recvfrom(2000)
# An IP protocol (253, for experiments) that nothing decodes, over IPv4 and IPv6.
r = socket.socket(socket.AF_INET, socket.SOCK_RAW, 253); r.sendto(b"experimental payload", ("203.0.113.2", 0))
r6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW, 253); r6.sendto(b"experimental payload", ("2001:db8:2::2", 0))'
# An EtherType for local experiments (0x88b5) that nothing decodes.
in_ns $C $PY -c '
import socket
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
s.send(bytes.fromhex("020000000001 020000000002 88b5") + b"local experimental ethertype".ljust(46, b"\0"))'
wait $SRV
cap_stop udp.pcap

# --- dns.pcap: DNS queries and answers of several record types ---
in_ns $S $PY "$HERE/lab/dns_server.py" 203.0.113.2 9 &
SRV=$!
sleep 1
cap_start $C eth0 dns.pcap
in_ns $C $PY "$HERE/lab/dns_client.py" 203.0.113.2
wait $SRV
cap_stop dns.pcap

# --- ipv6.pcap: neighbour discovery, MLD, extension headers, ICMPv6 errors ---
in_ns $C sysctl -q -w net.ipv6.conf.eth0.accept_dad=1 net.ipv6.conf.eth0.router_solicitation_interval=1 \
	net.ipv6.conf.eth0.router_solicitations=1
ip -n $C link set eth0 down
flush_neigh
# The router side: the client's link goes down and up, which would end a
# capture on the client's own interface.
cap_start $R eth0 ipv6.pcap
ip -n $C link set eth0 up
# Link down took the IPv6 addresses away: adding one back runs duplicate
# address detection.
ip -n $C addr replace 2001:db8:1::2/64 dev eth0
sleep 3
ip -n $C -6 route replace default via 2001:db8:1::1
ip -n $C route replace default via 198.51.100.1
in_ns $C ping -6 -c 2 -i 0.2 2001:db8:1::1 >/dev/null
in_ns $C ping -6 -c 1 2001:db8:2::2 >/dev/null
in_ns $C ping -6 -c 1 -t 1 -W 1 2001:db8:2::2 >/dev/null || true            # hop limit exceeded
in_ns $C ping -6 -c 1 -s 1400 -M do -W 1 2001:db8:2::2 >/dev/null || true   # packet too big
in_ns $C ping -6 -c 1 -s 3000 -W 1 2001:db8:2::2 >/dev/null || true         # fragmented
in_ns $C $PY -c '
import socket
socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).sendto(b"to a closed port", ("2001:db8:2::2", 33434))'
in_ns $C $PY -c '
import logging; logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import *
src, dst = "2001:db8:1::2", "2001:db8:1::1"
eth = Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01")
sendp(eth/IPv6(src=src, dst=dst)/IPv6ExtHdrHopByHop(options=[RouterAlert()])/ICMPv6EchoRequest(id=7, seq=1, data=b"hop-by-hop"), iface="eth0", verbose=0)
sendp(eth/IPv6(src=src, dst=dst)/IPv6ExtHdrDestOpt()/ICMPv6EchoRequest(id=7, seq=2, data=b"destination options"), iface="eth0", verbose=0)
sendp(eth/IPv6(src=src, dst=dst)/IPv6ExtHdrRouting(addresses=[], segleft=0)/ICMPv6EchoRequest(id=7, seq=3, data=b"routing"), iface="eth0", verbose=0)
sendp(eth/IPv6(src=src, dst=dst)/IPv6ExtHdrHopByHop()/IPv6ExtHdrDestOpt()/UDP(sport=40000, dport=7777)/b"two headers", iface="eth0", verbose=0)'
in_ns $R $PY -c '
import logging; logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import *
ra = (Ether(src="02:00:00:00:00:01", dst="33:33:00:00:00:01")/IPv6(src="fe80::ff:fe00:1", dst="ff02::1", hlim=255)
      /ICMPv6ND_RA(chlim=64, routerlifetime=1800, M=0, O=1)/ICMPv6NDOptSrcLLAddr(lladdr="02:00:00:00:00:01")
      /ICMPv6NDOptMTU(mtu=1500)/ICMPv6NDOptPrefixInfo(prefix="2001:db8:1::", prefixlen=64, validlifetime=86400, preferredlifetime=14400))
sendp(ra, iface="eth0", verbose=0)'
cap_stop ipv6.pcap
in_ns $C sysctl -q -w net.ipv6.conf.eth0.accept_dad=0

# --- igmp.pcap: IGMP v1, v2 and v3 reports, leaves and queries ---
in_ns $C sysctl -q -w net.ipv4.conf.eth0.igmpv2_unsolicited_report_interval=200 \
	net.ipv4.conf.eth0.igmpv3_unsolicited_report_interval=200
JOIN='
import socket, struct, sys, time
group, source = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else ""
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
if source:
    mreq = socket.inet_aton(group) + socket.inet_aton("198.51.100.2") + socket.inet_aton(source)
    s.setsockopt(socket.IPPROTO_IP, 39, mreq)   # IP_ADD_SOURCE_MEMBERSHIP
else:
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton(group) + socket.inet_aton("198.51.100.2"))
time.sleep(1.5)
s.close()
time.sleep(0.5)'
QUERY='
import logging, sys; logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import *
from scapy.contrib.igmp import IGMP
from scapy.contrib.igmpv3 import IGMPv3, IGMPv3mq
eth = Ether(src="02:00:00:00:00:01", dst="01:00:5e:00:00:01")
ip = IP(src="198.51.100.1", dst="224.0.0.1", ttl=1, options=[IPOption_Router_Alert()])
kind = sys.argv[1]
if kind == "v1":
    p = eth/IP(src="198.51.100.1", dst="224.0.0.1", ttl=1)/IGMP(type=0x11, mrcode=0)
elif kind == "v2":
    p = eth/ip/IGMP(type=0x11, mrcode=10)
elif kind == "v2group":
    p = Ether(src="02:00:00:00:00:01", dst="01:00:5e:01:01:02")/IP(src="198.51.100.1", dst="239.1.1.2", ttl=1, options=[IPOption_Router_Alert()])/IGMP(type=0x11, mrcode=10, gaddr="239.1.1.2")
else:
    p = eth/ip/IGMPv3(type=0x11, mrcode=10)/IGMPv3mq(gaddr="0.0.0.0", qrv=2, qqic=125)
    sendp(p, iface="eth0", verbose=0)
    p = (Ether(src="02:00:00:00:00:01", dst="01:00:5e:01:01:03")/IP(src="198.51.100.1", dst="232.1.1.3", ttl=1, options=[IPOption_Router_Alert()])
         /IGMPv3(type=0x11, mrcode=10)/IGMPv3mq(gaddr="232.1.1.3", srcaddrs=["203.0.113.2", "203.0.113.3"], numsrc=2))
sendp(p, iface="eth0", verbose=0)'
# Newest version first: after a v1 or v2 query the kernel keeps answering
# in that version for minutes.
cap_start $C eth0 igmp.pcap
in_ns $C $PY -c "$JOIN" 232.1.1.3 203.0.113.2 &
J=$!; sleep 0.5; in_ns $R $PY -c "$QUERY" v3; wait $J
in_ns $C $PY -c "$JOIN" 239.1.1.4 &
J=$!; sleep 0.3; in_ns $R $PY -c "$QUERY" v3; wait $J
in_ns $C sysctl -q -w net.ipv4.conf.eth0.force_igmp_version=2
in_ns $C $PY -c "$JOIN" 239.1.1.2 &
J=$!; sleep 0.5; in_ns $R $PY -c "$QUERY" v2group; wait $J
in_ns $C sysctl -q -w net.ipv4.conf.eth0.force_igmp_version=1
in_ns $C $PY -c "$JOIN" 239.1.1.1 &
J=$!; sleep 0.5; in_ns $R $PY -c "$QUERY" v1; wait $J
cap_stop igmp.pcap

# --- vlan.pcap: 802.1Q-tagged frames, as a trunk port carries them ---
# Sent with scapy on the client's link (this kernel may lack VLAN devices),
# captured on the sending side, where the tags are still in the frames.
cap_start $C eth0 vlan.pcap
in_ns $C $PY -c '
import logging; logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import *
eth = Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01")
for seq in (1, 2):
    sendp(eth/Dot1Q(vlan=100, prio=0)/IP(src="192.0.2.2", dst="192.0.2.1")/ICMP(id=0x42, seq=seq)/(b"vlan" * 8), iface="eth0", verbose=0)
sendp(Ether(src="02:00:00:00:00:02", dst="ff:ff:ff:ff:ff:ff")/Dot1Q(vlan=100)/ARP(psrc="192.0.2.2", hwsrc="02:00:00:00:00:02", pdst="192.0.2.1"), iface="eth0", verbose=0)
sendp(eth/Dot1Q(vlan=200, prio=5)/IPv6(src="2001:db8:c8::2", dst="2001:db8:c8::1")/UDP(sport=40000, dport=7777)/b"vlan 200, priority 5", iface="eth0", verbose=0)
sendp(Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01", type=0x88a8)/Dot1Q(vlan=300, type=0x8100)/Dot1Q(vlan=100)/IP(src="192.0.2.2", dst="192.0.2.1")/ICMP(id=0x43, seq=1), iface="eth0", verbose=0)'
cap_stop vlan.pcap

# --- vlan-sll.pcap: tagged frames received, in Linux cooked v1 frames ---
# The router's kernel takes each tag off into PACKET_AUXDATA; the capture
# writes it back after the cooked header, as libpcap does for v1. (No QinQ
# frame: with two tags the kernel keeps one and libpcap's layout loses the
# other's type, so the frame would be malformed in tshark's eyes.)
cap_start $R any vlan-sll.pcap -y LINUX_SLL
in_ns $C $PY -c '
import logging; logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import *
eth = Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01")
for seq in (1, 2):
    sendp(eth/Dot1Q(vlan=100, prio=0)/IP(src="192.0.2.2", dst="192.0.2.1")/ICMP(id=0x42, seq=seq)/(b"vlan" * 8), iface="eth0", verbose=0)
sendp(eth/Dot1Q(vlan=100, prio=3, id=1)/IP(src="192.0.2.2", dst="192.0.2.1")/UDP(sport=40000, dport=7777)/b"drop eligible", iface="eth0", verbose=0)
sendp(Ether(src="02:00:00:00:00:02", dst="ff:ff:ff:ff:ff:ff")/Dot1Q(vlan=100)/ARP(psrc="192.0.2.2", hwsrc="02:00:00:00:00:02", pdst="192.0.2.1"), iface="eth0", verbose=0)
sendp(eth/Dot1Q(vlan=200, prio=5)/IPv6(src="2001:db8:c8::2", dst="2001:db8:c8::1")/UDP(sport=40000, dport=7777)/b"vlan 200, priority 5", iface="eth0", verbose=0)'
cap_stop vlan-sll.pcap

# --- any.pcap, any-sll.pcap: the router's view of every interface at once ---
cap_start $R any any.pcap
in_ns $C ping -c 2 -i 0.2 203.0.113.2 >/dev/null
in_ns $C ping -6 -c 1 2001:db8:2::2 >/dev/null
cap_stop any.pcap
cap_start $R any any-sll.pcap -y LINUX_SLL
in_ns $C ping -c 2 -i 0.2 203.0.113.2 >/dev/null
cap_stop any-sll.pcap

# --- lo.pcap: loopback traffic inside one namespace ---
cap_start $S lo lo.pcap
in_ns $S ping -c 1 127.0.0.1 >/dev/null
in_ns $S ping -6 -c 1 ::1 >/dev/null
in_ns $S $PY -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM); s.bind(("127.0.0.1", 9999)); s.listen()
c = socket.create_connection(("127.0.0.1", 9999)); a, _ = s.accept()
c.sendall(b"over loopback"); a.recv(100); c.close(); a.close()'
cap_stop lo.pcap

# --- raw.pcap: what a raw IPv4 socket sees (link type RAW) ---
if [ "${CAPTURE:-rawsock}" != tcpdump ]; then
	cap_start $S any raw.pcap --l3 icmp
	in_ns $C ping -c 2 -i 0.2 203.0.113.2 >/dev/null
	cap_stop raw.pcap
fi

# --- derived files, then into place ---
(cd "$HERE/.." && go run ./pcaps/derive.go "$OUT")
for f in "$OUT"/*.pcap "$OUT"/*.pcapng; do
	cp "$f" "$HERE/"
done
ls -l "$HERE"/*.pcap*
