# bench: ping: round-trip time and flood speed on loopback, against iputils ping (a namespace of its own)
#
# Sourced by scripts/bench.sh, which provides RAWSOCK, bench_row and median.
# It makes one network namespace with only its loopback up and, in paired
# rounds that alternate which tool goes first:
#   - pings 127.0.0.1 500 times, 2 ms apart (so that the CPU stays awake
#     and the times measure the tools, not its idle states), with each
#     tool; the row is the median of every reply's time, in microseconds;
#   - floods 127.0.0.1 with "ping -f -q -c 100000"; the row is the median
#     wall-clock time of the whole command, in seconds. Beside it, where the
#     time goes: the flood itself as each tool reports it ("time N ms" of
#     its statistics, first request to last) and what starting up costs
#     (the median wall-clock time of "ping -q -c 1").
# BENCH_ROUNDS sets the rounds (default 5). Every run is bounded by its
# count; "timeout 120" is only a guard. The namespace goes at the end.

if [ "$(id -u)" != 0 ] || ! command -v ping >/dev/null 2>&1; then
	echo "not root, or no iputils ping: skipping the ping rows (run 'sudo make bench')"
else
	pb_rounds=${BENCH_ROUNDS:-5}
	pb_tmp=$(mktemp -d)
	pb_ns=rsbprobe$$
	ip netns add "$pb_ns"
	ip -n "$pb_ns" link set lo up

	# pb_ping TOOL ARGS...: run iputils ping or rawsock ping in the namespace.
	pb_ping() {
		tool=$1
		shift
		case "$tool" in
		rawsock) timeout 120 ip netns exec "$pb_ns" "$RAWSOCK" ping "$@" ;;
		iputils) timeout 120 ip netns exec "$pb_ns" ping "$@" ;;
		esac
	}
	pb_now() { date +%s.%N; }

	: >"$pb_tmp/rtt.rawsock"
	: >"$pb_tmp/rtt.iputils"
	: >"$pb_tmp/flood.rawsock"
	: >"$pb_tmp/flood.iputils"
	: >"$pb_tmp/loop.rawsock"
	: >"$pb_tmp/loop.iputils"
	: >"$pb_tmp/start.rawsock"
	: >"$pb_tmp/start.iputils"
	for round in $(seq "$pb_rounds"); do
		if [ $((round % 2)) = 1 ]; then order="rawsock iputils"; else order="iputils rawsock"; fi
		for tool in $order; do
			# Every reply's time, in microseconds.
			pb_ping "$tool" -n -c 500 -i 0.002 127.0.0.1 |
				sed -n 's/.* time=\([0-9.]*\) ms.*/\1/p' | awk '{printf "%.0f\n", $1 * 1000}' >>"$pb_tmp/rtt.$tool"
		done
		for tool in $order; do
			t0=$(pb_now)
			pb_ping "$tool" -f -q -c 100000 127.0.0.1 >"$pb_tmp/flood.out" || echo "ping: $tool's flood failed" >&2
			grep -q '100000 packets transmitted, 100000 received' "$pb_tmp/flood.out" ||
				echo "ping: $tool's flood lost packets: $(grep transmitted "$pb_tmp/flood.out")" >&2
			echo "$(pb_now) $t0" | awk '{printf "%.3f\n", $1 - $2}' >>"$pb_tmp/flood.$tool"
			sed -n 's/.*, time \([0-9]*\)ms.*/\1/p' "$pb_tmp/flood.out" >>"$pb_tmp/loop.$tool"
		done
		for tool in $order; do
			t0=$(pb_now)
			pb_ping "$tool" -q -c 1 127.0.0.1 >/dev/null || echo "ping: $tool's single ping failed" >&2
			echo "$(pb_now) $t0" | awk '{printf "%.1f\n", ($1 - $2) * 1000}' >>"$pb_tmp/start.$tool"
		done
	done
	bench_row "ping RTT on loopback, median" "$(median <"$pb_tmp/rtt.rawsock")" "iputils ping" "$(median <"$pb_tmp/rtt.iputils")" us lower
	bench_row "ping -f -q -c 100000 on loopback" "$(median <"$pb_tmp/flood.rawsock")" "iputils ping -f" "$(median <"$pb_tmp/flood.iputils")" s lower
	printf 'ping: %s replies timed per tool; flood times (s) rawsock: %s; iputils: %s\n' \
		"$(wc -l <"$pb_tmp/rtt.rawsock")" "$(tr '\n' ' ' <"$pb_tmp/flood.rawsock")" "$(tr '\n' ' ' <"$pb_tmp/flood.iputils")"
	printf 'ping -f, where the time goes (medians): the flood as each tool times it, rawsock %s ms, iputils %s ms; starting up and one reply (ping -q -c 1), rawsock %s ms, iputils %s ms\n' \
		"$(median <"$pb_tmp/loop.rawsock")" "$(median <"$pb_tmp/loop.iputils")" \
		"$(median <"$pb_tmp/start.rawsock")" "$(median <"$pb_tmp/start.iputils")"

	ip netns del "$pb_ns"
	rm -rf "$pb_tmp"
fi
