#!/bin/sh
# Installs the programs rawsock's tests and benchmarks use, when they are
# missing and we are root: tcpdump, tshark and Python's socket module read and
# answer what rawsock does; iproute2 and nftables build the namespace labs;
# iputils ping, traceroute, socat, hping3, nmap and tcpreplay are the anchor
# tools rawsock is compared with.
#
# Usage: scripts/deps.sh test|bench
set -eu

# command-or-file  Debian package
test_needs='
ip iproute2
nft nftables
tcpdump tcpdump
tshark tshark
/usr/bin/python3 python3
/usr/lib/python3/dist-packages/scapy python3-scapy
ping iputils-ping
traceroute traceroute
setpriv util-linux
capsh libcap2-bin
socat socat
/etc/services netbase
nmap nmap
tcpreplay tcpreplay
'
bench_needs='
hping3 hping3
nmap nmap
hyperfine hyperfine
/usr/bin/time time
'

case "${1:-test}" in
test) needs=$test_needs ;;
bench) needs="$test_needs$bench_needs" ;;
*) echo "usage: $0 test|bench" >&2; exit 2 ;;
esac

missing=
have() {
	case "$1" in
	/*) [ -e "$1" ] ;;
	*) command -v "$1" >/dev/null 2>&1 ;;
	esac
}
echo "$needs" | while read -r what pkg; do
	[ -n "$what" ] || continue
	have "$what" || echo "$pkg"
done >/tmp/rawsock-missing.$$
missing=$(sort -u /tmp/rawsock-missing.$$ | tr '\n' ' ')
rm -f /tmp/rawsock-missing.$$

[ -n "$missing" ] || exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages: $missing(run as root to install them; tests that need them will skip)" >&2
	exit 0
fi
echo "deps: installing $missing"
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null ||
	{ apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $missing >/dev/null; }
