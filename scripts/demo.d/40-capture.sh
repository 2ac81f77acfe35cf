# demo: sniff and read: a live capture on the router, the same packets from a file, JSON and damage
#
# Sourced by scripts/demo.sh (RAWSOCK, ROOT, DEMO_LAB, DEMO_CLIENT,
# DEMO_ROUTER, in_ns). In the lab the router captures, with a filter run in
# the kernel, the pings the client sends the server, on both of its
# interfaces at once (-i any), then writes them to a file that read filters
# and prints as JSON. Every capture stops by itself (-c) or is stopped with
# SIGTERM. Without the lab it reads the sample captures only.

cap_tmp=$(mktemp -d)
# cap_say WHERE COMMAND: print a command line as typed there.
cap_say() { printf '\n%s$ %s\n' "$1" "$2"; }
# cap_read DIR ARGS...: rawsock read, from DIR, so that paths print short.
cap_read() { (cd "$1" && shift && "$RAWSOCK" read "$@" 2>&1) || echo "(exit status $?)"; }

if [ "$DEMO_LAB" = 1 ]; then
	echo "The router sees each ping twice, in on eth0 and out on eth1, and the reply the other way;"
	echo "the filter runs in the kernel, so the IPv6 and ARP traffic never reaches rawsock:"
	cap_say router "rawsock sniff -i any -n -c 8 icmp"
	ip netns exec "$DEMO_ROUTER" "$RAWSOCK" sniff -i any -n -c 8 icmp 2>&1 &
	cap_pid=$!
	sleep 0.5
	in_ns "$DEMO_CLIENT" ping -c 2 -i 0.2 203.0.113.2 >/dev/null || true
	wait "$cap_pid" || true

	echo
	echo "Written to a pcapng file that keeps the interface's name, then stopped (SIGTERM):"
	cap_say router "rawsock sniff -i eth1 -w router.pcapng -U"
	ip netns exec "$DEMO_ROUTER" "$RAWSOCK" sniff -i eth1 -w "$cap_tmp/router.pcapng" -U 2>&1 &
	cap_pid=$!
	sleep 0.5
	in_ns "$DEMO_CLIENT" ping -c 3 -i 0.2 203.0.113.2 >/dev/null || true
	in_ns "$DEMO_CLIENT" ping -c 1 -t 1 203.0.113.2 >/dev/null 2>&1 || true
	sleep 0.3
	kill -TERM "$cap_pid" 2>/dev/null || true
	wait "$cap_pid" || true
	cap_say host "rawsock read -n -e router.pcapng 'icmp[icmptype] = icmp-echo'"
	cap_read "$cap_tmp" -n -e router.pcapng 'icmp[icmptype] = icmp-echo'
	cap_say host "rawsock read --json -c 1 router.pcapng icmp"
	cap_read "$cap_tmp" --json -c 1 router.pcapng icmp
fi

echo
echo "The sample captures in pcaps/ were made the same way; read prints them as tcpdump does:"
cap_say host "rawsock read -nv -c 2 pcaps/ipopts.pcap icmp"
cap_read "$ROOT" -nv -c 2 pcaps/ipopts.pcap icmp
cap_say host "rawsock read -n -c 4 pcaps/igmp.pcap igmp"
cap_read "$ROOT" -n -c 4 pcaps/igmp.pcap igmp
echo
echo "A damaged file: the packets before the damage, then what and where, and exit status 1:"
cap_say host "rawsock read -n pcaps/malformed/pcapng-length-lies.pcapng"
cap_read "$ROOT" -n pcaps/malformed/pcapng-length-lies.pcapng
rm -rf "$cap_tmp"
