# demo: send: craft packets from layer expressions, see the kernel answer
#
# Sourced by scripts/demo.sh (RAWSOCK, show, show_quiet, say, in_ns, DEMO_*). Without a
# lab only --dry-run runs: it needs no privilege and sends nothing.

craft_demo_tmp=$(mktemp -d)
say "Crafting needs no privilege with --dry-run: each packet decoded, then its bytes."
show "$RAWSOCK" send --dry-run 'ip(src=198.51.100.2, dst=203.0.113.2, ttl=3)/icmp(type=echo-request, id=7, seq=1)/raw(load="hello")'
say "A range gives one packet per value; -w keeps them in a pcap that tcpdump reads:"
(
	cd "$craft_demo_tmp"
	show_quiet "$RAWSOCK" send --dry-run -w syn.pcap 'ip(src=198.51.100.2, dst=203.0.113.2)/tcp(dport=20-25, flags=S, options=[mss(1460), sackok])'
	if command -v tcpdump >/dev/null 2>&1; then
		show env TZ=UTC tcpdump -nr syn.pcap 2>/dev/null
	fi
)
say "A mistake is one line that says where it is, and nothing is sent:"
show "$RAWSOCK" send --dry-run 'ip(tll=3)/icmp()' || true

if [ "$DEMO_LAB" = 1 ]; then
	say "Echo requests through the router, answered by the server's kernel (--reply matches each answer):"
	show in_ns "$DEMO_CLIENT" "$RAWSOCK" send --reply 'ip(dst=203.0.113.2)/icmp(seq=[1,2,3])/raw(load="hello")'
	say "A SYN to a port nobody listens on: the server's kernel resets it."
	show in_ns "$DEMO_CLIENT" "$RAWSOCK" send --reply 'ip(dst=203.0.113.2)/tcp(dport=80, flags=S)'
	say "TTL 1: the router answers time exceeded, quoting our datagram."
	show in_ns "$DEMO_CLIENT" "$RAWSOCK" send --reply 'ip(dst=203.0.113.2, ttl=1)/udp(dport=33434)'
	say "3000 bytes sent as three fragments, reassembled by the server and answered (its reply comes fragmented too):"
	show in_ns "$DEMO_CLIENT" "$RAWSOCK" send --reply --frag 1480 'ip(dst=203.0.113.2)/icmp()/raw(size=2972)'
	say "An IGMPv3 report on the client's link, with the header the kernel would give it:"
	show in_ns "$DEMO_CLIENT" "$RAWSOCK" send -v -I eth0 'ip()/igmp(type=v3-report, records=[{rtype=change-to-exclude, maddr=239.1.2.3}])'
	say "A bounded flood: 100000 packets in sendmmsg batches, then it stops."
	show in_ns "$DEMO_CLIENT" "$RAWSOCK" send --flood -c 100000 'ip(dst=203.0.113.2)/icmp(type=echo-reply)'
fi
rm -rf "$craft_demo_tmp"
