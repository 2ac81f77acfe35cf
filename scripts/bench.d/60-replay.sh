# bench: replay: top-speed packets per second against tcpreplay --topspeed (two namespaces of its own)
#
# Sourced by scripts/bench.sh, which provides RAWSOCK, ROOT, bench_row and
# median. It makes two namespaces joined by a veth pair and replays, from
# the first into the link, with rawsock replay --topspeed and with
# tcpreplay --topspeed, in alternating order: a capture of 100,000 UDP
# frames that rawsock send --dry-run writes (read once), and the 24-packet
# pcaps/tcp.pcap looped 4000 times. The rows are the medians of the rates
# each tool reports itself ("Rated: … pps"), higher is better. BENCH_ROUNDS
# sets the rounds (default 5). Every replay ends with its file; "timeout 120"
# is only a guard. The namespaces and the file go at the end.

if [ "$(id -u)" != 0 ] || ! command -v tcpreplay >/dev/null 2>&1; then
	echo "not root, or no tcpreplay: skipping the replay rows (run 'sudo make bench')"
else
	rp_rounds=${BENCH_ROUNDS:-5}
	rp_tmp=$(mktemp -d)
	rp_a=rsbreplay$$a
	rp_b=rsbreplay$$b
	ip netns add "$rp_a"
	ip netns add "$rp_b"
	ip -n "$rp_a" link set lo up
	ip -n "$rp_b" link set lo up
	ip link add eth0 netns "$rp_a" type veth peer name eth0 netns "$rp_b"
	ip -n "$rp_a" addr add 198.51.100.1/24 dev eth0
	ip -n "$rp_b" addr add 198.51.100.2/24 dev eth0
	ip -n "$rp_a" link set eth0 up
	ip -n "$rp_b" link set eth0 up

	# 2 source ports × 50,000 destination ports: 100,000 frames of 106 bytes.
	"$RAWSOCK" send --dry-run -w "$rp_tmp/udp.pcap" \
		'ether(src=02:00:00:00:00:01, dst=02:00:00:00:00:02)/ip(src=198.51.100.1, dst=198.51.100.2)/udp(sport=[1000,2000], dport=1-50000)/raw(size=64)' >/dev/null

	# rp_pps TOOL FILE LOOPS: the rate the tool reports, one number; the
	# packet count it reports goes to $rp_tmp/count.TOOL.
	rp_pps() {
		case "$1" in
		rawsock) timeout 120 ip netns exec "$rp_a" "$RAWSOCK" replay -I eth0 --topspeed --loop "$3" "$2" >"$rp_tmp/out" 2>&1 ;;
		tcpreplay) timeout 120 ip netns exec "$rp_a" tcpreplay -i eth0 --topspeed --loop "$3" "$2" >"$rp_tmp/out" 2>&1 ;;
		esac || echo "replay: $1 failed: $(head -3 "$rp_tmp/out")" >&2
		sed -n 's/^Actual: \([0-9]*\) packets.*/\1/p' "$rp_tmp/out" >"$rp_tmp/count.$1"
		sed -n 's/^Rated: .*, \([0-9.]*\) pps$/\1/p' "$rp_tmp/out"
	}
	# rp_rows WHAT FILE LOOPS: paired rounds, then the row.
	rp_rows() {
		: >"$rp_tmp/rawsock"
		: >"$rp_tmp/tcpreplay"
		for round in $(seq "$rp_rounds"); do
			if [ $((round % 2)) = 1 ]; then order="rawsock tcpreplay"; else order="tcpreplay rawsock"; fi
			for tool in $order; do rp_pps "$tool" "$2" "$3" >>"$rp_tmp/$tool"; done
		done
		if [ "$(cat "$rp_tmp/count.rawsock")" != "$(cat "$rp_tmp/count.tcpreplay")" ]; then
			echo "replay: rawsock sent $(cat "$rp_tmp/count.rawsock") packets, tcpreplay $(cat "$rp_tmp/count.tcpreplay"): not comparable"
		fi
		bench_row "$1" "$(median <"$rp_tmp/rawsock")" "tcpreplay -t" "$(median <"$rp_tmp/tcpreplay")" pps higher
	}

	rp_rows "replay --topspeed, 100k UDP frames, -I" "$rp_tmp/udp.pcap" 1
	rp_rows "replay --topspeed, tcp.pcap x4000, -I" "$ROOT/pcaps/tcp.pcap" 4000

	for ns in "$rp_a" "$rp_b"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -rf "$rp_tmp"
fi
