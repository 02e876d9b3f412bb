#!/bin/sh
# tools/fuzz.sh - run libFuzzer targets (built by make into build/fuzz/).
#
#   tools/fuzz.sh run SECONDS BIN...   fuzz each BIN for SECONDS
#   tools/fuzz.sh regress BIN...       run each BIN once over its seed corpus
#
# For BIN = .../fuzz_<name>: seeds are tests/fuzz/corpus/<name>/ (never
# written: each run fuzzes a fresh copy under build/fuzz/work/), the
# dictionary tests/fuzz/<name>.dict if present. Per target it prints
#   fuzz: <name> <execs> execs, <n> crashes
# and keeps crashing inputs in build/fuzz/artifacts/<name>/ (add each one to
# the seed corpus once the bug is fixed). Exits 1 if any target crashed.
set -u

OUT=${FUZZ_OUT:-build/fuzz}
# libFuzzer's defaults are 1200 s and 2 GB per input: a parser that needs a
# second for one input is a bug here, and the limits keep make test bounded.
LIMITS="-timeout=10 -rss_limit_mb=1024 -malloc_limit_mb=256"

# FUZZ_SEED=N makes a run repeatable (make test's short runs use one; a
# crash there reproduces with the same seed): unset, libFuzzer picks one.
SEED=${FUZZ_SEED:+-seed=$FUZZ_SEED}

# UBSan findings must stop the run, however the target was compiled.
UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export UBSAN_OPTIONS

die() { echo "fuzz.sh: $*" >&2; exit 2; }

name_of() { n=${1##*/}; echo "${n#fuzz_}"; }

# files DIR: how many entries DIR holds
files() { find "$1" -mindepth 1 -maxdepth 1 | wc -l; }

# args_of NAME: the dictionary option, if there is a dictionary.
dict_of() {
	if [ -f "tests/fuzz/$1.dict" ]; then echo "-dict=tests/fuzz/$1.dict"; fi
}

# run_one SECONDS BIN: fuzz; print the summary line; 0 if no crash.
run_one() {
	secs=$1 bin=$2 name=$(name_of "$2")
	seeds=tests/fuzz/corpus/$name
	work=$OUT/work/$name art=$OUT/artifacts/$name log=$OUT/$name.log
	rm -rf "$work"
	mkdir -p "$work" "$art" || die "cannot create $work"
	if [ -d "$seeds" ]; then cp -R "$seeds"/. "$work"/; fi
	before=$(files "$art")
	# shellcheck disable=SC2046,SC2086  # word splitting of options wanted
	"$bin" -max_total_time="$secs" -print_final_stats=1 $LIMITS $SEED \
		-artifact_prefix="$art/" $(dict_of "$name") "$work" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	crashes=$(( $(files "$art") - before ))
	# a non-zero exit with no artifact (e.g. a sanitizer abort during the
	# initial corpus load, or a broken binary) still counts as a failure
	if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then crashes=1; fi
	echo "fuzz: $name ${execs:-0} execs, $crashes crashes"
	if [ "$crashes" -ne 0 ]; then
		grep -E 'ERROR|SUMMARY|^==|Test unit written' "$log" | head -n 20 >&2
		echo "fuzz: $name: full log $log, inputs in $art/" >&2
		return 1
	fi
	rm -rf "$work"
	return 0
}

# regress_one BIN: every seed once (libFuzzer runs the files given and exits).
regress_one() {
	bin=$1 name=$(name_of "$1")
	seeds=tests/fuzz/corpus/$name log=$OUT/$name.regress.log
	mkdir -p "$OUT"
	if [ ! -d "$seeds" ] || [ "$(files "$seeds")" -eq 0 ]; then
		echo "fuzz-regress: $name: no seed corpus in $seeds" >&2
		return 1
	fi
	count=$(files "$seeds")
	# shellcheck disable=SC2086
	if "$bin" $LIMITS "$seeds"/* >"$log" 2>&1; then
		echo "fuzz-regress: $name $count inputs ok"
		return 0
	fi
	echo "fuzz-regress: $name FAILED" >&2
	grep -E 'ERROR|SUMMARY|^==|Running: ' "$log" | tail -n 20 >&2
	return 1
}

[ $# -ge 1 ] || die "usage: $0 run SECONDS BIN... | regress BIN..."
mode=$1; shift
fail=0
case $mode in
run)
	[ $# -ge 1 ] || die "run: SECONDS missing"
	secs=$1; shift
	for bin in "$@"; do run_one "$secs" "$bin" || fail=1; done ;;
regress)
	for bin in "$@"; do regress_one "$bin" || fail=1; done ;;
*)
	die "unknown mode $mode" ;;
esac
exit $fail
