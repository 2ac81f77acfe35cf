# bench: listen/connect on loopback against socat (TCP stream throughput, UDP messages/s)
#
# Sourced by scripts/bench.sh, which provides RAWSOCK, bench_row and median.
# Each round runs rawsock and socat back to back, in alternating order, on
# 127.0.0.1 only; the rows are the medians. Both tools run with their
# default buffers, the way users run them. BENCH_ROUNDS sets the rounds
# (default 5), BENCH_TCP_MB the size of each TCP transfer (default 1024).

if ! command -v socat >/dev/null 2>&1 || ! command -v ss >/dev/null 2>&1; then
	echo "socat or ss missing: skipping (scripts/deps.sh bench installs them)"
else
	sock_rounds=${BENCH_ROUNDS:-5}
	sock_mb=${BENCH_TCP_MB:-1024}
	sock_msgs=100000
	sock_tmp=$(mktemp -d)

	# sock_port: a free-looking high port, different each call.
	sock_port() { echo $((20000 + (RANDOM % 20000))); }
	# sock_wait PROTO PORT: until something listens there (at most 5s).
	sock_wait() {
		for _ in $(seq 100); do
			ss -H -l"$1"n "sport = :$2" | grep -q . && return 0
			sleep 0.05
		done
		echo "nothing listens on $2" >&2
		return 1
	}
	sock_now() { date +%s.%N; }

	# TCP: SIZE MiB of zeros from stdin, through listen -> connect, to /dev/null.
	sock_tcp() { # TOOL -> MiB/s
		port=$(sock_port)
		if [ "$1" = rawsock ]; then
			"$RAWSOCK" listen tcp "127.0.0.1:$port" </dev/null >/dev/null &
		else
			socat -u "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr" - >/dev/null &
		fi
		srv=$!
		sock_wait t "$port" || { kill "$srv" || true; return 0; }
		t0=$(sock_now)
		if [ "$1" = rawsock ]; then
			head -c "${sock_mb}M" /dev/zero | "$RAWSOCK" connect tcp "127.0.0.1:$port" >/dev/null
		else
			head -c "${sock_mb}M" /dev/zero | socat -u - "TCP:127.0.0.1:$port"
		fi
		wait "$srv" || true
		t1=$(sock_now)
		echo "$sock_mb $t0 $t1" | awk '{printf "%.1f\n", $1 / ($3 - $2)}'
	}

	# UDP: 100000 messages of 64 bytes read from a file, one per datagram,
	# to a receiver of the same tool. What counts is what the receiver got
	# (its output, counted in bytes), not what the sender handed to the
	# kernel: a sender that outruns its receiver only fills the receive
	# buffer, whose overflow the kernel drops. The rate is messages
	# received over the sender's run.
	head -c $((sock_msgs * 64)) /dev/urandom >"$sock_tmp/msgs"
	sock_udp() { # TOOL -> "messages/s received, messages received"
		port=$(sock_port)
		if [ "$1" = rawsock ]; then
			"$RAWSOCK" listen -k udp "127.0.0.1:$port" </dev/null >"$sock_tmp/got" &
		else
			socat -u "UDP-RECV:$port,bind=127.0.0.1" - >"$sock_tmp/got" &
		fi
		srv=$!
		sock_wait u "$port" || { kill "$srv" || true; return 0; }
		t0=$(sock_now)
		if [ "$1" = rawsock ]; then
			"$RAWSOCK" connect -b 64 -q 0s udp "127.0.0.1:$port" <"$sock_tmp/msgs" >/dev/null
		else
			socat -u -b 64 -t 0 - "UDP:127.0.0.1:$port" <"$sock_tmp/msgs"
		fi
		t1=$(sock_now)
		sleep 0.3 # what is still queued reaches the receiver
		kill "$srv" 2>/dev/null || true
		wait "$srv" 2>/dev/null || true
		echo "$(wc -c <"$sock_tmp/got") $t0 $t1" | awk '{n = int($1 / 64); printf "%.0f %d\n", n / ($3 - $2), n}'
	}

	: >"$sock_tmp/tcp.rawsock"
	: >"$sock_tmp/tcp.socat"
	: >"$sock_tmp/udp.rawsock"
	: >"$sock_tmp/udp.socat"
	for round in $(seq "$sock_rounds"); do
		if [ $((round % 2)) = 1 ]; then order="rawsock socat"; else order="socat rawsock"; fi
		for tool in $order; do
			sock_tcp "$tool" >>"$sock_tmp/tcp.$tool"
			sock_udp "$tool" >>"$sock_tmp/udp.$tool"
		done
		printf 'round %d: tcp rawsock %s socat %s MiB/s; udp rawsock %s socat %s msgs/s (received of %d: rawsock %s, socat %s)\n' "$round" \
			"$(tail -1 "$sock_tmp/tcp.rawsock")" "$(tail -1 "$sock_tmp/tcp.socat")" \
			"$(tail -1 "$sock_tmp/udp.rawsock" | cut -d' ' -f1)" "$(tail -1 "$sock_tmp/udp.socat" | cut -d' ' -f1)" \
			"$sock_msgs" "$(tail -1 "$sock_tmp/udp.rawsock" | cut -d' ' -f2)" "$(tail -1 "$sock_tmp/udp.socat" | cut -d' ' -f2)"
	done
	bench_row "TCP stream listen->connect (${sock_mb} MiB)" "$(median <"$sock_tmp/tcp.rawsock")" socat "$(median <"$sock_tmp/tcp.socat")" MiB/s higher
	bench_row "UDP 64-byte messages received" "$(cut -d' ' -f1 "$sock_tmp/udp.rawsock" | median)" socat "$(cut -d' ' -f1 "$sock_tmp/udp.socat" | median)" msgs/s higher
	rm -rf "$sock_tmp"
fi
