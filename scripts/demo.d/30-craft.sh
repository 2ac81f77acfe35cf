# demo: send: craft packets from layer expressions, see the kernel answer
#
# Sourced by scripts/demo.sh (RAWSOCK, show, in_ns, DEMO_*). Without a lab
# only --dry-run runs: it needs no privilege and sends nothing.

craft_demo_tmp=$(mktemp -d)
show "$RAWSOCK" send --dry-run 'ip(src=198.51.100.2, dst=203.0.113.2, ttl=3)/icmp(type=echo-request, id=7, seq=1)/raw(load="hello")'
show "$RAWSOCK" send --dry-run -w "$craft_demo_tmp/syn.pcap" 'ip(src=198.51.100.2, dst=203.0.113.2)/tcp(dport=20-25, flags=S, options=[mss(1460), sackok])' >/dev/null
if command -v tcpdump >/dev/null 2>&1; then
	show env TZ=UTC tcpdump -nr "$craft_demo_tmp/syn.pcap" 2>/dev/null
fi
show "$RAWSOCK" send --dry-run 'ip(tll=3)/icmp()' || true

if [ "$DEMO_LAB" = 1 ]; then
	# Echo requests through the router, answered by the server's kernel.
	show in_ns "$DEMO_CLIENT" "$RAWSOCK" send --reply 'ip(dst=203.0.113.2)/icmp(seq=[1,2,3])/raw(load="hello")'
	# A SYN to a closed port: the server's kernel resets it.
	show in_ns "$DEMO_CLIENT" "$RAWSOCK" send --reply 'ip(dst=203.0.113.2)/tcp(dport=80, flags=S)'
	# TTL 1: the router says time exceeded, quoting our datagram.
	show in_ns "$DEMO_CLIENT" "$RAWSOCK" send --reply 'ip(dst=203.0.113.2, ttl=1)/udp(dport=33434)'
	# 3000 bytes in three fragments, reassembled by the server and answered.
	show in_ns "$DEMO_CLIENT" "$RAWSOCK" send --reply --frag 1480 'ip(dst=203.0.113.2)/icmp()/raw(size=2972)'
	# An IGMPv3 report on the client's link, as the kernel would write it.
	show in_ns "$DEMO_CLIENT" "$RAWSOCK" send -v -I eth0 'ip()/igmp(type=v3-report, records=[{rtype=change-to-exclude, maddr=239.1.2.3}])'
	# A short flood (100000 packets, then it stops) towards the server.
	show in_ns "$DEMO_CLIENT" "$RAWSOCK" send --flood -c 100000 'ip(dst=203.0.113.2)/icmp(type=echo-reply)'
fi
rm -rf "$craft_demo_tmp"
