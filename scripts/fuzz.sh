#!/bin/sh
# Runs every native fuzz target in the module for the given time each
# (default 30s) and stops at the first crasher, which go test writes under
# the package's testdata/fuzz for committing.
#
# Minimizing is capped at 2s an input: with go's default of a minute, a
# worker that meets a large new input spends most of a short run shrinking
# it, and the target's executions stall.
#
# Usage: scripts/fuzz.sh [DURATION]
set -eu
time=${1:-30s}
found=0
for pkg in $(go list ./...); do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
		found=$((found + 1))
		printf '%-60s ' "$pkg $target"
		out=$(go test -run '^$' -fuzz "^$target\$" -fuzztime "$time" -fuzzminimizetime 2s "$pkg" 2>&1) || { echo FAIL; echo "$out"; exit 1; }
		echo "$out" | grep -o 'fuzz: elapsed: [^,]*, execs: [0-9]*' | tail -1 | sed 's/fuzz: //'
	done
done
echo "$found fuzz targets, no crashers"
