#!/usr/bin/env bash
# make demo: rawsock's main job, end to end.
#
# As root it builds a throwaway lab of three network namespaces,
#
#   client 198.51.100.2 ── 198.51.100.1 router 203.0.113.1 ── 203.0.113.2 server
#          2001:db8:1::2        2001:db8:1::1   2001:db8:2::1       2001:db8:2::2
#
# runs each step in scripts/demo.d in order, and removes the lab however the
# steps end. Every address is inside those namespaces: nothing leaves the
# machine. Without root, the steps that need no privilege run alone.
#
# Usage: scripts/demo.sh BINARY
set -eu
RAWSOCK=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export RAWSOCK ROOT

if [ "$(id -u)" = 0 ] && command -v ip >/dev/null 2>&1; then
	DEMO_LAB=1
	p=rsdemo$$
	DEMO_CLIENT=$p-client DEMO_ROUTER=$p-router DEMO_SERVER=$p-server
	export DEMO_LAB DEMO_CLIENT DEMO_ROUTER DEMO_SERVER
	cleanup() {
		for ns in "$DEMO_CLIENT" "$DEMO_ROUTER" "$DEMO_SERVER"; do
			for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
			ip netns del "$ns" 2>/dev/null || true
		done
	}
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	for ns in "$DEMO_CLIENT" "$DEMO_ROUTER" "$DEMO_SERVER"; do
		ip netns add "$ns"
		ip -n "$ns" link set lo up
		ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
	done
	ip link add eth0 netns "$DEMO_CLIENT" type veth peer name eth0 netns "$DEMO_ROUTER"
	ip link add eth0 netns "$DEMO_SERVER" type veth peer name eth1 netns "$DEMO_ROUTER"
	ip -n "$DEMO_CLIENT" addr add 198.51.100.2/24 dev eth0
	ip -n "$DEMO_CLIENT" addr add 2001:db8:1::2/64 dev eth0 nodad
	ip -n "$DEMO_ROUTER" addr add 198.51.100.1/24 dev eth0
	ip -n "$DEMO_ROUTER" addr add 2001:db8:1::1/64 dev eth0 nodad
	ip -n "$DEMO_ROUTER" addr add 203.0.113.1/24 dev eth1
	ip -n "$DEMO_ROUTER" addr add 2001:db8:2::1/64 dev eth1 nodad
	ip -n "$DEMO_SERVER" addr add 203.0.113.2/24 dev eth0
	ip -n "$DEMO_SERVER" addr add 2001:db8:2::2/64 dev eth0 nodad
	for l in "$DEMO_CLIENT eth0" "$DEMO_ROUTER eth0" "$DEMO_ROUTER eth1" "$DEMO_SERVER eth0"; do
		set -- $l
		ip -n "$1" link set "$2" up
	done
	ip netns exec "$DEMO_ROUTER" sysctl -q -w net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	ip -n "$DEMO_CLIENT" route add default via 198.51.100.1
	ip -n "$DEMO_CLIENT" -6 route add default via 2001:db8:1::1
	ip -n "$DEMO_SERVER" route add default via 203.0.113.1
	ip -n "$DEMO_SERVER" -6 route add default via 2001:db8:2::1
	echo "lab: client 198.51.100.2 -- router -- server 203.0.113.2 (namespaces $p-*, removed at exit)"
else
	DEMO_LAB=0
	export DEMO_LAB
	echo "not root: running only the steps that need no privilege (run 'sudo make demo' for the lab)"
fi

# in_ns NS CMD...: run a command inside one of the lab's namespaces.
in_ns() { ns=$1; shift; ip netns exec "$ns" "$@"; }

# quote_args ARGS...: the arguments as a shell line a user could paste, with
# the binary's path shown as "rawsock".
quote_args() {
	local out='' a
	for a in "$@"; do
		[ "$a" = "$RAWSOCK" ] && a=rawsock
		if [[ $a =~ ^[A-Za-z0-9_./:=@,+%-]+$ ]]; then
			out+=" $a"
		else
			out+=" '${a//\'/\'\\\'\'}'"
		fi
	done
	printf '%s' "${out# }"
}

# show [in_ns NS] CMD...: print the command line as the user would type it,
# prefixed by the lab host it runs on ("client$"), then run it.
show() {
	local prompt='$'
	if [ "$1" = in_ns ]; then
		case $2 in
		"${DEMO_CLIENT:-}") prompt='client$' ;;
		"${DEMO_ROUTER:-}") prompt='router$' ;;
		"${DEMO_SERVER:-}") prompt='server$' ;;
		esac
		printf '\n%s %s\n' "$prompt" "$(quote_args "${@:3}")"
	else
		printf '\n%s %s\n' "$prompt" "$(quote_args "$@")"
	fi
	"$@"
}
# show_quiet CMD...: show, with the command's standard output discarded.
show_quiet() { printf '\n$ %s >/dev/null\n' "$(quote_args "$@")"; "$@" >/dev/null; }
# say TEXT: one line of explanation between commands.
say() { printf '\n%s\n' "$*"; }

for step in "$ROOT"/scripts/demo.d/*.sh; do
	[ -e "$step" ] || continue
	printf '\n== %s ==\n' "$(sed -n 's/^# demo: //p' "$step" | head -1)"
	. "$step"
done
printf '\ndemo finished\n'
