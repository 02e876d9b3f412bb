#!/bin/sh
# tests/suites/fuzz.sh - make test's fuzzing pass: every libFuzzer target
# (tests/fuzz/fuzz_<name>.c, built into build/fuzz/ by make) first over its
# committed seed corpus, then fuzzing for FUZZ_TEST_SECONDS (default 20)
# from the fixed FUZZ_SEED.
# One test per target and pass; the last line is "N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 2
secs=${FUZZ_TEST_SECONDS:-20}
# A fixed seed: the same tree explores the same inputs on every run, so a
# failure here is a finding anyone can reproduce (make fuzz explores anew).
FUZZ_SEED=${FUZZ_SEED:-20261125}
export FUZZ_SEED
pass=0 fail=0
count() { if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); fi; }

for src in tests/fuzz/fuzz_*.c; do
	[ -e "$src" ] || continue
	name=$(basename "$src" .c)
	bin=build/fuzz/$name
	if [ ! -x "$bin" ]; then
		echo "fuzz suite: $bin not built" >&2
		fail=$((fail + 2))
		continue
	fi
	count tools/fuzz.sh regress "$bin"
	count tools/fuzz.sh run "$secs" "$bin"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
