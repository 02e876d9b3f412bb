#!/bin/sh
# tools/bench.sh IMAPD LOADGEN - ours against Dovecot under the same load
# (make bench). Installs what is missing (dovecot-imapd, gnuplot-nox), then
# runs tools/bench/bench.py, which starts a private Dovecot on a loopback
# port (its own configuration, base_dir and mail under build/bench/) and our
# host build, drives both with tools/loadgen, and rewrites the benchmark
# section of docs/benchmarks.md with a plot (docs/benchmarks.svg).
#
# A Dovecot this script installs comes with Debian's system service, which
# the package starts: it is stopped and disabled at once (we never use it,
# and never touch a Dovecot that was installed before).
set -eu
[ $# -eq 2 ] || { echo "usage: $0 IMAPD LOADGEN" >&2; exit 2; }
cd "$(dirname "$0")/.."

had_dovecot=$(dpkg-query -W -f='${db:Status-Status}' dovecot-core 2>/dev/null || true)
tools/need-pkgs.sh dovecot-imapd gnuplot-nox python3
if [ "$had_dovecot" != installed ]; then
	if [ -d /run/systemd/system ]; then
		systemctl disable --now dovecot.service dovecot.socket >/dev/null 2>&1 || true
	else
		invoke-rc.d dovecot stop >/dev/null 2>&1 || true
		update-rc.d dovecot disable >/dev/null 2>&1 || true
	fi
fi

exec python3 tools/bench/bench.py --imapd "$1" --loadgen "$2" \
	--out "${BENCH_OUT:-build/bench}" --doc docs/benchmarks.md
