# demo: scan: a SYN scan of the server finds its open, closed and filtered ports
#
# Sourced by scripts/demo.sh (RAWSOCK, DEMO_LAB, DEMO_CLIENT, DEMO_SERVER,
# in_ns). The server gets a listener on port 80 (rawsock listen, stopped
# at the end of the step) and an nftables rule that drops port 8080; the
# client scans four ports of it. Every probe stays inside the lab, and the
# scan ends by itself.

if [ "$DEMO_LAB" = 1 ]; then
	sc_tmp=$(mktemp -d)
	in_ns "$DEMO_SERVER" "$RAWSOCK" listen -k tcp 0.0.0.0:80 </dev/null >/dev/null 2>"$sc_tmp/listen.err" &
	sc_listener=$!
	for _ in $(seq 100); do
		grep -q 'listening on' "$sc_tmp/listen.err" 2>/dev/null && break
		sleep 0.05
	done
	in_ns "$DEMO_SERVER" nft -f - <<'NFT'
table inet demoscan {
	chain in {
		type filter hook input priority 0; policy accept;
		tcp dport 8080 drop
	}
}
NFT
	# sc_show CMD...: print a client command as typed there, then run it.
	sc_show() {
		printf '\nclient$ %s\n' "$*" | sed "s|$RAWSOCK|rawsock|g"
		in_ns "$DEMO_CLIENT" "$@"
	}

	echo "The server listens on 80, drops whatever comes to 8080, and has nothing on 22 and 443."
	echo "SYN-ACK means open (rawsock answers it with a RST), RST closed, silence filtered:"
	sc_show "$RAWSOCK" scan -r -p 22,80,443,8080 203.0.113.2
	echo
	echo "The same ports over JSON, one object per port and a summary, for scripts:"
	sc_show "$RAWSOCK" scan --json -r -p 80,8080 203.0.113.2

	kill "$sc_listener" 2>/dev/null || true
	wait "$sc_listener" 2>/dev/null || true
	in_ns "$DEMO_SERVER" nft delete table inet demoscan
	rm -rf "$sc_tmp"
else
	echo "(a scan sends packets: it runs in the lab, as root: sudo make demo)"
	echo "What it checks first, without root: a bad port range is one line and status 2:"
	printf '\n$ rawsock scan -p 90-80 203.0.113.2\n'
	"$RAWSOCK" scan -p 90-80 203.0.113.2 2>&1 || echo "(exit status $?)"
fi
