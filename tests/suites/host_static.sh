#!/bin/sh
# host_static.sh - the -O2 host server, as `make bench` measures it and
# `make run-host` serves it: one static executable with libslirp linked in
# and port/posix/slirp_glib.c in place of GLib (docs/architecture.md, "Host
# memory"). The integration tests drive the ASan build, which links
# dynamically; this runs a representative part of them against the binary
# that ships: core commands and literals, STARTTLS and IMAPS, FETCH with
# MIME structure, SEARCH, and updates across sessions (IDLE, EXPUNGE).
# Last line: "N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
bin=build/host/imapd
if [ ! -x "$bin" ]; then
	echo "host_static: $bin missing (make host)"
	echo "0 passed, 1 failed"
	exit 1
fi
IMAPD_BIN=$bin exec python3 tests/run_integration.py test_core1.py test_tls.py \
	test_fetch.py test_search.py test_updates.py
