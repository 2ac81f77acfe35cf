# demo: replay: a capture sent again across the router, its addresses rewritten, and at layer 2
#
# Sourced by scripts/demo.sh (RAWSOCK, ROOT, DEMO_LAB, DEMO_CLIENT,
# DEMO_SERVER, in_ns). The client replays pcaps/any-sll.pcap (pings a
# router captured in Linux cooked frames) through a raw socket, its
# addresses rewritten to the client's and the server's, so the router
# forwards it; the server's capture (rawsock sniff, which stops after -c
# packets) shows it arrive. Then the client puts pcaps/tcp.pcap on its link
# as it was, through AF_PACKET. Every replay ends with its file.

if [ "$DEMO_LAB" = 1 ]; then
	rp_tmp=$(mktemp -d)
	# rp_show WHERE CMD...: print a command as typed in the lab, then run it from ROOT.
	rp_show() {
		where=$1
		shift
		printf '\n%s$ %s\n' "$where" "$*" | sed "s|$RAWSOCK|rawsock|g"
		(cd "$ROOT" && in_ns "$DEMO_CLIENT" "$@") || echo "(exit status $?)"
	}

	echo "The server listens for what comes from the client; the capture replayed holds pings"
	echo "between two other hosts, which --src and --dst turn into the client's and the server's:"
	printf '\nserver$ rawsock sniff -i eth0 -nv -c 8 '\''icmp and src host 198.51.100.2'\''\n'
	in_ns "$DEMO_SERVER" "$RAWSOCK" sniff -i eth0 -nv -c 8 'icmp and src host 198.51.100.2' >"$rp_tmp/sniff.out" 2>"$rp_tmp/sniff.err" &
	rp_sniff=$!
	for _ in $(seq 100); do
		grep -q 'listening on' "$rp_tmp/sniff.err" 2>/dev/null && break
		sleep 0.05
	done
	rp_show client "$RAWSOCK" replay --l3 --pps 20 --src 198.51.100.2 --dst 203.0.113.2 pcaps/any-sll.pcap
	for _ in $(seq 40); do
		kill -0 "$rp_sniff" 2>/dev/null || break
		sleep 0.05
	done
	kill "$rp_sniff" 2>/dev/null || true
	wait "$rp_sniff" 2>/dev/null || true
	echo
	echo "At the server, one hop later: each TTL one less than in the capture (which held each ping"
	echo "twice, into and out of its router), and no bad checksum, which -v would point out:"
	cat "$rp_tmp/sniff.out"

	echo
	echo "At layer 2, Ethernet frames go on the link as captured, at twice their recorded pace:"
	rp_show client "$RAWSOCK" replay -I eth0 -x 2 --json pcaps/tcp.pcap
	rm -rf "$rp_tmp"
else
	echo "(a replay sends packets: it runs in the lab, as root: sudo make demo)"
	echo "What it checks first, without root: where the packets go must be given:"
	printf '\n$ rawsock replay pcaps/tcp.pcap\n'
	(cd "$ROOT" && "$RAWSOCK" replay pcaps/tcp.pcap 2>&1) || echo "(exit status $?)"
fi
