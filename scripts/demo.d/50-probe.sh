# demo: ping and traceroute: across the router, TTL exceeded, all three probe kinds
#
# Sourced by scripts/demo.sh (RAWSOCK, DEMO_LAB, DEMO_CLIENT, DEMO_SERVER,
# in_ns). In the lab the client pings the server through the router (ttl 63)
# in both families, draws "Time to live exceeded" from the router with -t 1,
# and traces the route with UDP, ICMP and TCP probes. Every ping has a
# count, every trace ends at the server: the step ends by itself. Without
# the lab it pings this machine's own loopback, which needs no root when
# net.ipv4.ping_group_range allows it (and says what to change otherwise).

# pr_show CMD...: print a client command as typed there, then run it there.
pr_show() {
	printf '\nclient$ %s\n' "$*" | sed "s|$RAWSOCK|rawsock|g"
	in_ns "$DEMO_CLIENT" "$@" || true
}

if [ "$DEMO_LAB" = 1 ]; then
	# A first packet over IPv6 waits about a second for the new links'
	# neighbour discovery: send it before the show. Routers answer at most
	# six ICMP errors in a burst per destination, so the traces below keep
	# to a few probes each.
	in_ns "$DEMO_CLIENT" "$RAWSOCK" ping -q -c 1 -W 3 2001:db8:2::2 >/dev/null 2>&1 || true
	echo "Three replies from the server, one router away (ttl 63), and the same over IPv6:"
	pr_show "$RAWSOCK" ping -c 3 -i 0.2 203.0.113.2
	pr_show "$RAWSOCK" ping -c 2 -i 0.2 2001:db8:2::2
	echo
	echo "With a TTL of 1 the router answers instead: time exceeded, and exit status 1:"
	pr_show "$RAWSOCK" ping -c 2 -i 0.2 -t 1 203.0.113.2
	echo
	echo "The route, with UDP probes (the default), ICMP echo (-I) and TCP SYNs to port 80 (-T):"
	pr_show "$RAWSOCK" traceroute -n 203.0.113.2
	pr_show "$RAWSOCK" traceroute -n -I -q 1 2001:db8:2::2
	pr_show "$RAWSOCK" traceroute -n -T -p 80 -q 1 203.0.113.2
	echo
	echo "The same as JSON, one object per reply or hop and a summary, for scripts:"
	pr_show "$RAWSOCK" ping --json -c 1 203.0.113.2
	pr_show "$RAWSOCK" traceroute --json -n -q 1 2001:db8:2::2
else
	show "$RAWSOCK" ping -v -c 2 -i 0.2 127.0.0.1 || true
fi
