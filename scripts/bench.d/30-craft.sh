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
# (sendmmsg batches, one sender per CPU) against hping3 --flood (one
# sender), the same packets through the same kind of socket (raw, with
# IP_HDRINCL) to the same address. Neither tool's own count is trusted:
# the rate is what the namespace's kernel says it received — the RSTs it
# sent in answer to SYNs at a closed port (Tcp OutRsts), the echo replies
# it took in (Icmp InEchoReps) — over the wall-clock time of the whole
# command. The CPU time both used (user + system, all threads) per
# received packet shows how much of the gap is one sender per CPU and
# how much is the cost of each packet.
if [ "$(id -u)" != 0 ] || ! command -v hping3 >/dev/null 2>&1 || [ ! -x /usr/bin/time ]; then
	echo "not root, or no hping3 or /usr/bin/time: skipping the flood rows (run 'sudo make bench')"
else
	craft_ns=rsbench$$
	ip netns add "$craft_ns"
	ip -n "$craft_ns" link set lo up
	# craft_counter WHAT: the namespace's kernel counter for WHAT.
	craft_counter() {
		case "$1" in
		syn) proto=Tcp: field=OutRsts ;;
		reply) proto=Icmp: field=InEchoReps ;;
		esac
		ip netns exec "$craft_ns" awk -v p="$proto" -v f="$field" '
			$1 == p && !h { for (i = 2; i <= NF; i++) if ($i == f) c = i; h = 1; next }
			$1 == p && h { print $c; exit }' /proc/net/snmp
	}
	# craft_flood TOOL WHAT -> "pps cpu-us-per-packet claimed received"
	# over about craft_secs seconds.
	craft_flood() {
		case "$2" in
		syn) expr='ip(dst=127.0.0.1)/tcp(dport=9, flags=S)' hargs='-S -p 9' ;;
		reply) expr='ip(dst=127.0.0.1)/icmp(type=echo-reply)' hargs='--icmp -C 0' ;;
		esac
		c0=$(craft_counter "$2")
		t0=$(craft_now)
		if [ "$1" = rawsock ]; then
			out=$(ip netns exec "$craft_ns" /usr/bin/time -f 'cpu %U %S' "$RAWSOCK" send --flood --duration "${craft_secs}s" --json "$expr" 2>&1)
			claimed=$(echo "$out" | sed -n 's/.*"sent":\([0-9]*\).*/\1/p')
		else
			# shellcheck disable=SC2086
			out=$(ip netns exec "$craft_ns" /usr/bin/time -f 'cpu %U %S' timeout -s INT "$craft_secs" hping3 --flood $hargs 127.0.0.1 2>&1)
			claimed=$(echo "$out" | sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p')
		fi
		t1=$(craft_now)
		c1=$(craft_counter "$2")
		cpu=$(echo "$out" | sed -n 's/^cpu //p')
		echo "$c0 $c1 $t0 $t1 ${cpu:-0 0} ${claimed:-0}" |
			awk '{n = $2 - $1; printf "%.0f %.2f %d %d\n", n / ($4 - $3), (n > 0 ? ($5 + $6) * 1e6 / n : 0), $7, n}'
	}
	for what in syn reply; do
		: >"$craft_tmp/$what.rawsock"
		: >"$craft_tmp/$what.hping3"
		for round in $(seq "$craft_rounds"); do
			if [ $((round % 2)) = 1 ]; then order="rawsock hping3"; else order="hping3 rawsock"; fi
			for tool in $order; do
				r=$(craft_flood "$tool" "$what")
				echo "$r" >>"$craft_tmp/$what.$tool"
				echo "$r" | awk -v t="$tool" -v w="$what" '{printf "flood %s %s: %d pkts/s received, %.2f us CPU per packet; claimed %d sent, kernel received %d\n", w, t, $1, $2, $3, $4}'
			done
		done
	done
	ip netns del "$craft_ns"
	craft_col() { awk -v c="$1" '{print $c}' "$2" | median; }
	bench_row "send --flood TCP SYN, closed port (received)" "$(craft_col 1 "$craft_tmp/syn.rawsock")" "hping3 --flood" "$(craft_col 1 "$craft_tmp/syn.hping3")" pkts/s higher
	bench_row "send --flood ICMP echo reply (received)" "$(craft_col 1 "$craft_tmp/reply.rawsock")" "hping3 --flood" "$(craft_col 1 "$craft_tmp/reply.hping3")" pkts/s higher
	bench_row "send --flood TCP SYN, CPU per packet" "$(craft_col 2 "$craft_tmp/syn.rawsock")" "hping3 --flood" "$(craft_col 2 "$craft_tmp/syn.hping3")" us lower
	bench_row "send --flood echo reply, CPU per packet" "$(craft_col 2 "$craft_tmp/reply.rawsock")" "hping3 --flood" "$(craft_col 2 "$craft_tmp/reply.hping3")" us lower
fi
rm -rf "$craft_tmp"
