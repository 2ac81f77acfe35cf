# demo: sockets: echo over TCP, UDP and a unix SEQPACKET socket (rawsock listen / connect)
#
# Sourced by scripts/demo.sh (RAWSOCK, show). Everything runs on loopback
# and needs no root; every server takes one client or quits on a timer.

sk_tmp=$(mktemp -d)

# sk_server NAME ARGS...: start "rawsock listen -v ARGS" in the background,
# wait for it to listen, and set sk_addr to where it listens.
sk_server() {
	sk_name=$1
	shift
	"$RAWSOCK" listen -v "$@" </dev/null >"$sk_tmp/$sk_name.out" 2>"$sk_tmp/$sk_name.err" &
	sk_pid=$!
	for _ in $(seq 100); do
		sk_addr=$(sed -n 's/.*listening on \([^ ]*\) (.*/\1/p' "$sk_tmp/$sk_name.err" 2>/dev/null || true)
		[ -n "$sk_addr" ] && break
		sleep 0.05
	done
	printf '\n$ rawsock listen -v %s   # in the background\n' "$*"
}

# sk_pipe TEXT CMD...: show and run "printf TEXT | CMD".
sk_pipe() {
	text=$1
	shift
	printf "\n$ printf '%s' | %s\n" "$text" "$*" | sed "s|$RAWSOCK|rawsock|g"
	printf '%b' "$text" | "$@" 2>&1
}

# sk_log: what the server printed on stderr once it has finished.
sk_log() {
	wait "$sk_pid" 2>/dev/null || true
	printf '(server said:)\n'
	cat "$sk_tmp/$sk_name.err"
}

echo "A TCP echo server; the client shows both names (-v) and an option it set (--nodelay):"
sk_server tcp --echo --timeout 5s tcp 127.0.0.1:0
sk_pipe 'hello over tcp\n' "$RAWSOCK" connect -v --nodelay tcp "$sk_addr"
sk_log

echo
echo "UDP over IPv6; the server prints each datagram as a hex dump (-x) and quits 1s after it is done (-q):"
sk_server udp --echo -x -q 1s udp '[::1]:0'
sk_pipe 'hello over udp\n' "$RAWSOCK" connect -v -q 500ms udp "$sk_addr"
sk_log
cat "$sk_tmp/udp.out"

echo
echo "A unix SEQPACKET socket keeps message boundaries: -b 6 sends stdin as 6-byte messages, each echoed on its own:"
sk_server seqpacket --echo unixpacket "@rawsock-demo-$$"
sk_pipe 'first second' "$RAWSOCK" connect -x -b 6 unixpacket "@rawsock-demo-$$"
sk_log

echo
echo "A timeout firing: the server stays silent, the client gives up after 1s (exit status 1):"
sk_server quiet --echo --timeout 5s tcp 127.0.0.1:0
printf '\n$ rawsock connect -v --echo --timeout 1s tcp %s </dev/null\n' "$sk_addr"
"$RAWSOCK" connect -v --echo --timeout 1s tcp "$sk_addr" </dev/null 2>&1 || echo "(exit status $?)"
sk_log

rm -rf "$sk_tmp"
