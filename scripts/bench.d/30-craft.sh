# bench: send: crafting against scapy, --flood against hping3 --flood (loopback in a namespace)
#
# Sourced by scripts/bench.sh, which provides RAWSOCK, ROOT, bench_row and
# median. Each round measures rawsock and the anchor back to back, in
# alternating order; the rows are the medians. BENCH_ROUNDS sets the rounds
# (default 3), BENCH_FLOOD_SECONDS how long each flood lasts (default 3).
# Floods go only to 127.0.0.1 inside a network namespace made here and
# removed at the end, and every one stops by itself.

craft_rounds=${BENCH_ROUNDS:-3}
craft_secs=${BENCH_FLOOD_SECONDS:-3}
craft_tmp=$(mktemp -d)
craft_now() { date +%s.%N; }

# Crafting: ICMP echo requests with 56 bytes of payload, built from one
# parsed expression (Go benchmark, one core) and by scapy in a loop.
craft_go() {
	(cd "$ROOT" && CGO_ENABLED=0 go test -run '^$' -bench '^BenchmarkEchoRequest$' -benchtime 1s -cpu 1 ./craft) |
		awk '/pkts\/s/ {for (i = 1; i < NF; i++) if ($(i+1) == "pkts/s") printf "%.0f\n", $i}'
}
craft_scapy() {
	/usr/bin/python3 - <<'EOF' 2>/dev/null
import time
from scapy.all import IP, ICMP, Raw
n = 20000
t = time.perf_counter()
for i in range(n):
    bytes(IP(dst="203.0.113.2", id=i)/ICMP(seq=1)/Raw(b"\0" * 56))
print("%.0f" % (n / (time.perf_counter() - t)))
EOF
}
if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import scapy' 2>/dev/null; then
	: >"$craft_tmp/go"
	: >"$craft_tmp/scapy"
	for round in $(seq "$craft_rounds"); do
		if [ $((round % 2)) = 1 ]; then order="go scapy"; else order="scapy go"; fi
		for tool in $order; do "craft_$tool" >>"$craft_tmp/$tool"; done
	done
	bench_row "craft echo requests (1 core)" "$(median <"$craft_tmp/go")" scapy "$(median <"$craft_tmp/scapy")" pkts/s higher
else
	echo "scapy missing: skipping the crafting row (scripts/deps.sh bench installs it)"
fi

# Flooding 127.0.0.1 in a namespace of our own: rawsock send --flood
# (sendmmsg batches) against hping3 --flood, the same packets for both.
if [ "$(id -u)" != 0 ] || ! command -v hping3 >/dev/null 2>&1; then
	echo "not root or no hping3: skipping the flood rows (run 'sudo make bench')"
else
	craft_ns=rsbench$$
	ip netns add "$craft_ns"
	ip -n "$craft_ns" link set lo up
	# craft_flood TOOL WHAT -> packets/s over about craft_secs seconds.
	craft_flood() {
		case "$2" in
		syn) expr='ip(dst=127.0.0.1)/tcp(dport=9, flags=S)' hargs='-S -p 9' ;;
		reply) expr='ip(dst=127.0.0.1)/icmp(type=echo-reply)' hargs='--icmp -C 0' ;;
		esac
		t0=$(craft_now)
		if [ "$1" = rawsock ]; then
			n=$(ip netns exec "$craft_ns" "$RAWSOCK" send --flood --duration "${craft_secs}s" --json "$expr" |
				sed -n 's/.*"sent":\([0-9]*\).*/\1/p')
		else
			# shellcheck disable=SC2086
			n=$(ip netns exec "$craft_ns" timeout -s INT "$craft_secs" hping3 --flood $hargs 127.0.0.1 2>&1 |
				sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p')
		fi
		t1=$(craft_now)
		echo "${n:-0} $t0 $t1" | awk '{printf "%.0f\n", $1 / ($3 - $2)}'
	}
	for what in syn reply; do
		: >"$craft_tmp/$what.rawsock"
		: >"$craft_tmp/$what.hping3"
		for round in $(seq "$craft_rounds"); do
			if [ $((round % 2)) = 1 ]; then order="rawsock hping3"; else order="hping3 rawsock"; fi
			for tool in $order; do craft_flood "$tool" "$what" >>"$craft_tmp/$what.$tool"; done
		done
	done
	ip netns del "$craft_ns"
	bench_row "send --flood TCP SYN to a closed port" "$(median <"$craft_tmp/syn.rawsock")" "hping3 --flood" "$(median <"$craft_tmp/syn.hping3")" pkts/s higher
	bench_row "send --flood ICMP echo reply (no answer)" "$(median <"$craft_tmp/reply.rawsock")" "hping3 --flood" "$(median <"$craft_tmp/reply.hping3")" pkts/s higher
fi
rm -rf "$craft_tmp"
