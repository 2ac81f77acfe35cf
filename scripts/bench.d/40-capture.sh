# bench: read, filter and capture against tcpdump and tshark (1 million packets)
#
# Sourced by scripts/bench.sh, which provides RAWSOCK, ROOT, bench_row and
# median. It writes a pcap of one million packets (the sample captures'
# packets over and over) into a temporary directory, then in alternating
# rounds (BENCH_ROUNDS, default 3) times rawsock and tcpdump reading it to
# /dev/null, with and without a filter, and notes their peak memory
# (/usr/bin/time -f %M); tshark reads it once for its memory. As root it
# also floods loopback inside a throwaway network namespace with
# "rawsock send --flood" while rawsock and then tcpdump capture it, and
# compares what each dropped.

cap_py=$(command -v /usr/bin/python3 || command -v python3 || true)
if ! command -v tcpdump >/dev/null 2>&1 || [ -z "$cap_py" ] || [ ! -x /usr/bin/time ]; then
	echo "tcpdump, python3 or /usr/bin/time missing: skipping (scripts/deps.sh bench installs them)"
else
	cap_rounds=${BENCH_ROUNDS:-3}
	cap_n=1000000
	cap_tmp=$(mktemp -d)
	cap_file=$cap_tmp/1m.pcap
	"$cap_py" - "$cap_file" "$cap_n" "$ROOT"/pcaps/tcp.pcap "$ROOT"/pcaps/udp.pcap "$ROOT"/pcaps/icmp.pcap \
		"$ROOT"/pcaps/dns.pcap "$ROOT"/pcaps/ipv6.pcap <<'PY'
import struct, sys
# The packets of the given little-endian microsecond pcaps, cycled to N
# records one microsecond apart.
out, n, files = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
pkts, link = [], None
for name in files:
    b = open(name, "rb").read()
    magic, _, _, _, _, _, lt = struct.unpack("<IHHiIII", b[:24])
    if magic != 0xa1b2c3d4:
        sys.exit(name + ": not a little-endian microsecond pcap")
    link = link or lt
    off = 24
    while off + 16 <= len(b):
        cap, ln = struct.unpack("<II", b[off + 8:off + 16])
        pkts.append((b[off + 16:off + 16 + cap], ln))
        off += 16 + cap
with open(out, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, link))
    recs = []
    for i in range(n):
        data, ln = pkts[i % len(pkts)]
        recs.append(struct.pack("<IIII", 1700000000 + i // 1000000, i % 1000000, len(data), ln) + data)
        if len(recs) == 10000:
            f.write(b"".join(recs))
            recs = []
    f.write(b"".join(recs))
PY
	echo "made $cap_file: $cap_n packets, $(du -m "$cap_file" | cut -f1) MB"
	cap_filter='tcp port 7777'

	# cap_run TOOL [FILTER] -> "seconds peakKiB"
	cap_run() {
		if [ "$1" = rawsock ]; then
			set -- "$RAWSOCK" read -n "$cap_file" ${2:+"$2"}
		else
			set -- tcpdump -n -r "$cap_file" ${2:+"$2"}
		fi
		/usr/bin/time -f "%e %M" -o "$cap_tmp/time" "$@" >/dev/null 2>/dev/null
		cat "$cap_tmp/time"
	}
	: >"$cap_tmp/r" ; : >"$cap_tmp/t" ; : >"$cap_tmp/rf" ; : >"$cap_tmp/tf"
	for i in $(seq "$cap_rounds"); do
		if [ $((i % 2)) = 1 ]; then order="rawsock tcpdump"; else order="tcpdump rawsock"; fi
		for tool in $order; do
			short=r; [ "$tool" = tcpdump ] && short=t
			cap_run "$tool" >>"$cap_tmp/$short"
			cap_run "$tool" "$cap_filter" >>"$cap_tmp/${short}f"
		done
	done
	rate() { awk -v n="$cap_n" '{ if ($1 > 0) print n / $1; else print n / 0.01 }' "$1" | median; }
	mem() { awk '{ printf "%.1f\n", $2 / 1024 }' "$1" | median; }
	bench_row "read+print 1M packets" "$(rate "$cap_tmp/r")" tcpdump "$(rate "$cap_tmp/t")" pkts/s higher
	bench_row "read '$cap_filter' over 1M packets" "$(rate "$cap_tmp/rf")" tcpdump "$(rate "$cap_tmp/tf")" pkts/s higher
	bench_row "peak RSS reading 1M packets" "$(mem "$cap_tmp/r")" tcpdump "$(mem "$cap_tmp/t")" MiB lower
	if command -v tshark >/dev/null 2>&1; then
		/usr/bin/time -f "%e %M" -o "$cap_tmp/time" tshark -n -r "$cap_file" >/dev/null 2>&1 || true
		bench_row "peak RSS reading 1M packets" "$(mem "$cap_tmp/r")" tshark "$(awk '{ printf "%.1f\n", $2 / 1024 }' "$cap_tmp/time")" MiB lower
	fi

	# Live: loopback flooded in a namespace of our own, captured to /dev/null.
	if [ "$(id -u)" = 0 ] && command -v ip >/dev/null 2>&1; then
		cap_ns=rsbench$$
		ip netns add "$cap_ns" && ip -n "$cap_ns" link set lo up
		cap_flood=${BENCH_FLOOD:-500000}
		# cap_live TOOL -> "dropped received"
		cap_live() {
			if [ "$1" = rawsock ]; then
				ip netns exec "$cap_ns" "$RAWSOCK" sniff -i lo -w /dev/null udp port 9 2>"$cap_tmp/live" &
			else
				ip netns exec "$cap_ns" tcpdump -i lo -w /dev/null udp port 9 2>"$cap_tmp/live" &
			fi
			pid=$!
			for _ in $(seq 50); do grep -q "listening on" "$cap_tmp/live" && break; sleep 0.1; done
			ip netns exec "$cap_ns" "$RAWSOCK" send --flood -c "$cap_flood" 'ip(dst=127.0.0.1)/udp(dport=9)' >/dev/null 2>&1
			sleep 0.5
			kill -INT "$pid" 2>/dev/null || true
			wait "$pid" || true
			awk '/received by filter/ {r = $1} /dropped by kernel/ {d = $1} END {printf "%d %d\n", d, r}' "$cap_tmp/live"
		}
		: >"$cap_tmp/lr" ; : >"$cap_tmp/lt"
		for i in $(seq "$cap_rounds"); do
			cap_live rawsock >>"$cap_tmp/lr"
			cap_live tcpdump >>"$cap_tmp/lt"
		done
		ip netns del "$cap_ns"
		drop() { awk '{ if ($2 > 0) printf "%.3f\n", 100 * $1 / $2; else print 0 }' "$1" | median; }
		bench_row "live lo capture of send --flood: drops" "$(drop "$cap_tmp/lr")" tcpdump "$(drop "$cap_tmp/lt")" % lower
	fi
	rm -rf "$cap_tmp"
fi
