#!/bin/sh
# tests/suites/powerloss.sh - make test's power-loss pass: the runner cuts
# the power at POWERLOSS_CUTS points (default 20000, the floor make test
# promises) of random store workloads and checks every recovery.
# Each cut is one test; the last line is "N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 2
cuts=${POWERLOSS_CUTS:-20000}
[ "$cuts" -ge 20000 ] || cuts=20000
bin=build/host/powerloss
if [ ! -x "$bin" ]; then
	echo "powerloss suite: $bin not built" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
out=$("$bin" --cuts "$cuts")
rc=$?
echo "$out" | tail -n 12
last=$(echo "$out" | tail -n 1)
# powerloss: N cuts, L lost, C corrupt, U unmountable
set -- $(echo "$last" | sed -n 's/^powerloss: \([0-9]*\) cuts, \([0-9]*\) lost, \([0-9]*\) corrupt, \([0-9]*\) unmountable$/\1 \2 \3 \4/p')
if [ $# -ne 4 ]; then
	echo "0 passed, 1 failed"
	exit 1
fi
bad=$(($2 + $3 + $4))
echo "$(($1 - bad)) passed, $bad failed"
[ "$rc" -eq 0 ] && [ "$bad" -eq 0 ]
