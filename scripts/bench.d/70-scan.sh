# bench: scan: a 1000-port SYN scan against nmap -sS -T4 (two namespaces of its own)
#
# Sourced by scripts/bench.sh, which provides RAWSOCK, bench_row and median.
# It makes two namespaces joined by a veth pair: a scanner, 198.51.100.1, and
# a target, 198.51.100.2, with listeners on 22, 80 and 443 and, for the
# second row, an nftables rule dropping ten ports. Each round scans ports
# 1-1000 with rawsock and with nmap -sS -T4 -n -Pn, in alternating order;
# the rows are the medians of the wall-clock times, in seconds, of the whole
# command. BENCH_ROUNDS sets the rounds (default 5). Every scan ends by
# itself; "timeout 120" is only a guard. The namespaces go at the end.

if [ "$(id -u)" != 0 ] || ! command -v nmap >/dev/null 2>&1 || ! command -v nft >/dev/null 2>&1; then
	echo "not root, or no nmap or nft: skipping the scan rows (run 'sudo make bench')"
else
	sc_rounds=${BENCH_ROUNDS:-5}
	sc_tmp=$(mktemp -d)
	sc_a=rsbscan$$a
	sc_b=rsbscan$$b
	ip netns add "$sc_a"
	ip netns add "$sc_b"
	ip -n "$sc_a" link set lo up
	ip -n "$sc_b" link set lo up
	ip link add eth0 netns "$sc_a" type veth peer name eth0 netns "$sc_b"
	ip -n "$sc_a" addr add 198.51.100.1/24 dev eth0
	ip -n "$sc_b" addr add 198.51.100.2/24 dev eth0
	ip -n "$sc_a" link set eth0 up
	ip -n "$sc_b" link set eth0 up
	for port in 22 80 443; do
		ip netns exec "$sc_b" "$RAWSOCK" listen -k tcp "0.0.0.0:$port" </dev/null >/dev/null 2>&1 &
	done
	ip netns exec "$sc_a" ping -c 1 -W 2 -q 198.51.100.2 >/dev/null || true

	sc_now() { date +%s.%N; }
	# sc_time TOOL: seconds the tool takes to scan ports 1-1000 of the target.
	sc_time() {
		t0=$(sc_now)
		case "$1" in
		rawsock) timeout 120 ip netns exec "$sc_a" "$RAWSOCK" scan -p 1-1000 198.51.100.2 >"$sc_tmp/out.rawsock" ||
			echo "scan: rawsock failed" >&2 ;;
		nmap) timeout 120 ip netns exec "$sc_a" nmap -sS -T4 -n -Pn -p 1-1000 198.51.100.2 >"$sc_tmp/out.nmap" ||
			echo "scan: nmap failed" >&2 ;;
		esac
		echo "$(sc_now) $t0" | awk '{printf "%.3f\n", $1 - $2}'
	}
	# sc_rows WHAT: paired rounds, then the row.
	sc_rows() {
		: >"$sc_tmp/rawsock"
		: >"$sc_tmp/nmap"
		for round in $(seq "$sc_rounds"); do
			if [ $((round % 2)) = 1 ]; then order="rawsock nmap"; else order="nmap rawsock"; fi
			for tool in $order; do sc_time "$tool" >>"$sc_tmp/$tool"; done
		done
		# Both must have found the same open ports, or the times mean nothing.
		ours=$(grep -o '^[0-9]*/tcp *open ' "$sc_tmp/out.rawsock" | cut -d/ -f1 | tr '\n' ' ')
		theirs=$(grep -o '^[0-9]*/tcp *open ' "$sc_tmp/out.nmap" | cut -d/ -f1 | tr '\n' ' ')
		if [ "$ours" != "$theirs" ]; then
			echo "scan: rawsock found open ports '$ours', nmap '$theirs': not comparable"
		fi
		bench_row "$1" "$(median <"$sc_tmp/rawsock")" "nmap -sS -T4" "$(median <"$sc_tmp/nmap")" s lower
	}

	sc_rows "SYN scan of 1000 ports (3 open, 997 closed)"
	ip netns exec "$sc_b" nft -f - <<'NFT'
table inet benchscan {
	chain in {
		type filter hook input priority 0; policy accept;
		tcp dport { 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000 } drop
	}
}
NFT
	sc_rows "SYN scan of 1000 ports, 10 of them dropped"

	for ns in "$sc_a" "$sc_b"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -rf "$sc_tmp"
fi
