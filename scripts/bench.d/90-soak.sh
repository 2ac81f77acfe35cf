# bench: soak: sniff -w under a 50,000 packets/s flood for SOAK_SECONDS (default 60), memory and drops against tcpdump
#
# Sourced by scripts/bench.sh, which provides RAWSOCK, bench_row and median.
# Issue 6 asks that a capture of a long flood keep its memory flat. Two
# throwaway namespaces joined by a veth pair: a sender, 198.51.100.1, runs
# "rawsock send --rate 50000 --duration SOAK_SECONDS" of small UDP packets;
# the receiver, 198.51.100.2, captures them with "rawsock sniff -w", and
# then, under the same flood, with "tcpdump -w", each writing a ring of
# files (-C 10 -W 5: at most 50 MB on disk). Every SOAK_EVERY seconds
# (default 2) the script samples the capturing process's resident memory
# (VmRSS). It prints first, last and peak RSS and the kernel's drop count
# of each, and rows comparing peak RSS and drops with tcpdump's. Rounds
# (SOAK_ROUNDS, default 1) alternate which tool goes first; rows are
# medians. Everything stops by itself: the flood ends after SOAK_SECONDS,
# the capture one second later. The namespaces and files go at the end.

if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null 2>&1 || ! command -v tcpdump >/dev/null 2>&1; then
	echo "not root, or no ip or tcpdump: skipping the soak (run 'sudo make bench')"
else
	soak_seconds=${SOAK_SECONDS:-60}
	soak_every=${SOAK_EVERY:-2}
	soak_rounds=${SOAK_ROUNDS:-1}
	soak_tmp=$(mktemp -d)
	soak_a=rssoak$$a
	soak_b=rssoak$$b
	ip netns add "$soak_a"
	ip netns add "$soak_b"
	ip -n "$soak_a" link set lo up
	ip -n "$soak_b" link set lo up
	ip link add eth0 netns "$soak_a" type veth peer name eth0 netns "$soak_b"
	ip -n "$soak_a" addr add 198.51.100.1/24 dev eth0
	ip -n "$soak_b" addr add 198.51.100.2/24 dev eth0
	ip -n "$soak_a" link set eth0 up
	ip -n "$soak_b" link set eth0 up
	ip netns exec "$soak_a" ping -c 1 -W 2 -q 198.51.100.2 >/dev/null 2>&1 || true

	# soak_child PID: the capturing process itself, which "ip netns exec"
	# (PID) either became or runs as its child.
	soak_child() {
		soak_p=$1
		if [ "$(cat "/proc/$soak_p/comm" 2>/dev/null)" = ip ]; then
			soak_c=$(awk '{print $1}' "/proc/$soak_p/task/$soak_p/children" 2>/dev/null || true)
			[ -z "$soak_c" ] || soak_p=$soak_c
		fi
		echo "$soak_p"
	}

	# soak_run TOOL: one soak; appends "firstKiB lastKiB peakKiB dropped received" to $soak_tmp/TOOL.
	soak_run() {
		soak_dir=$soak_tmp/$1
		rm -rf "$soak_dir"
		mkdir -p "$soak_dir"
		if [ "$1" = rawsock ]; then
			ip netns exec "$soak_b" "$RAWSOCK" sniff -i eth0 -w "$soak_dir/soak.pcap" -C 10 -W 5 udp port 9 \
				2>"$soak_dir/stderr" &
		else
			# -Z root: Debian's tcpdump otherwise becomes user tcpdump,
			# who may not write the next file of the ring here.
			ip netns exec "$soak_b" tcpdump -i eth0 -w "$soak_dir/soak.pcap" -C 10 -W 5 -Z root udp port 9 \
				2>"$soak_dir/stderr" &
		fi
		soak_job=$!
		for _ in $(seq 50); do grep -q "listening on" "$soak_dir/stderr" && break; sleep 0.1; done
		soak_pid=$(soak_child "$soak_job")
		: >"$soak_dir/rss"
		(
			while kill -0 "$soak_pid" 2>/dev/null; do
				awk '/^VmRSS:/ {print $2}' "/proc/$soak_pid/status" 2>/dev/null >>"$soak_dir/rss" || true
				sleep "$soak_every"
			done
		) &
		soak_sampler=$!
		ip netns exec "$soak_a" "$RAWSOCK" send --rate 50000 --duration "${soak_seconds}s" \
			'ip(dst=198.51.100.2)/udp(sport=4000, dport=9)/raw(size=18)' >"$soak_dir/sent" 2>&1 || true
		sleep 1
		kill -INT "$soak_pid" 2>/dev/null || true
		wait "$soak_job" || true
		wait "$soak_sampler" || true
		soak_first=$(head -1 "$soak_dir/rss")
		soak_last=$(tail -1 "$soak_dir/rss")
		soak_peak=$(sort -n "$soak_dir/rss" | tail -1)
		soak_recv=$(awk '/received by filter/ {print $1}' "$soak_dir/stderr")
		soak_drop=$(awk '/dropped by kernel/ {print $1}' "$soak_dir/stderr")
		printf '%-8s %s; RSS first %s KiB, last %s KiB, peak %s KiB (%s samples); %s received, %s dropped by the kernel; %s MB on disk\n' \
			"$1" "$(cat "$soak_dir/sent")" "${soak_first:-?}" "${soak_last:-?}" "${soak_peak:-?}" "$(wc -l <"$soak_dir/rss")" \
			"${soak_recv:-?}" "${soak_drop:-?}" "$(du -sm "$soak_dir" | cut -f1)"
		echo "         RSS every ${soak_every}s, MiB: $(awk '{ printf "%.1f ", $1 / 1024 }' "$soak_dir/rss")"
		echo "${soak_first:-0} ${soak_last:-0} ${soak_peak:-0} ${soak_drop:-0} ${soak_recv:-0}" >>"$soak_tmp/$1.rows"
		rm -rf "$soak_dir"
	}
	: >"$soak_tmp/rawsock.rows"
	: >"$soak_tmp/tcpdump.rows"
	for soak_round in $(seq "$soak_rounds"); do
		if [ $((soak_round % 2)) = 1 ]; then soak_order="rawsock tcpdump"; else soak_order="tcpdump rawsock"; fi
		for soak_tool in $soak_order; do soak_run "$soak_tool"; done
	done
	ip netns del "$soak_a"
	ip netns del "$soak_b"
	soak_col() { awk -v c="$2" '{ printf "%.1f\n", $c / 1024 }' "$soak_tmp/$1.rows" | median; }
	# "received by filter" counts the packets dropped too, as the kernel's
	# PACKET_STATISTICS do.
	soak_drops() { awk '{ if ($5 > 0) printf "%.3f\n", 100 * $4 / $5; else print 0 }' "$soak_tmp/$1.rows" | median; }
	for soak_tool in rawsock tcpdump; do
		printf '%-8s RSS first -> last (median): %s -> %s MiB\n' "$soak_tool" "$(soak_col "$soak_tool" 1)" "$(soak_col "$soak_tool" 2)"
	done
	bench_row "soak ${soak_seconds}s 50k pps: sniff -w peak RSS" "$(soak_col rawsock 3)" tcpdump "$(soak_col tcpdump 3)" MiB lower
	bench_row "soak ${soak_seconds}s 50k pps: kernel drops" "$(soak_drops rawsock)" tcpdump "$(soak_drops tcpdump)" % lower
	rm -rf "$soak_tmp"
fi
