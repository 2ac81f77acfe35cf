#!/usr/bin/env bash
# make bench: the one place where rawsock's speed is measured.
#
# It runs the Go benchmarks, then each script in scripts/bench.d, which
# measures rawsock and its anchor tool side by side in the same run (paired
# runs, alternating, median of each) and reports rows through bench_row.
# At the end it prints every row with the ratio rawsock/anchor, oriented so
# that a ratio above 1 means rawsock did better.
#
# Usage: scripts/bench.sh BINARY
set -eu
RAWSOCK=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export RAWSOCK ROOT
ROWS=$(mktemp)
trap 'rm -f "$ROWS"' EXIT

# bench_row WHAT RAWSOCK_VALUE ANCHOR ANCHOR_VALUE UNIT higher|lower
# records one comparison; "higher" when a bigger value is better.
bench_row() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$ROWS"; }

# median reads numbers, one per line, and prints their median.
median() { sort -g | awk '{v[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

echo "== Go benchmarks =="
(cd "$ROOT" && CGO_ENABLED=0 go test -run '^$' -bench . -benchmem ./... 2>&1 | grep -E '^(Benchmark|ok|FAIL|---)' )

for script in "$ROOT"/scripts/bench.d/*.sh; do
	[ -e "$script" ] || continue
	printf '\n== %s ==\n' "$(sed -n 's/^# bench: //p' "$script" | head -1)"
	. "$script"
done

printf '\n== rawsock against the anchor tools (same run) ==\n'
awk -F'\t' '
function show(v) { return (v + 0 >= 1000) ? sprintf("%d", v + 0.5) : v }
BEGIN {printf "%-46s %12s %-18s %12s %-7s %7s\n", "measure", "rawsock", "anchor", "anchor", "unit", "ratio"}
{
	if ($2 + 0 == $4 + 0) ratio = "1.00x"
	else if ($6 == "lower") ratio = ($2 > 0) ? sprintf("%.2fx", $4 / $2) : "best"
	else ratio = ($4 > 0) ? sprintf("%.2fx", $2 / $4) : "best"
	printf "%-46s %12s %-18s %12s %-7s %7s\n", $1, show($2), $3, show($4), $5, ratio
}' "$ROWS"
echo "(ratio > 1: rawsock better)"
