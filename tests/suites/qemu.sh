#!/bin/sh
# qemu.sh - the firmware in QEMU (mps2-an385): boot, IMAP and IMAPS through
# the emulated NIC, device mail, a 1 MiB message, IDLE across sessions,
# CONDSTORE/QRESYNC resync (also after a reboot), 8 sessions (2 TLS) busy at
# once with the 9th refused, and
# a power cut (QEMU killed) in the middle of an APPEND. See qemu_test.py.
# Last line: "N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
fw=${FIRMWARE:-build/qemu-mps2-an385/firmware.elf}
if [ ! -f "$fw" ] || ! command -v qemu-system-arm >/dev/null; then
	echo "qemu: $fw or qemu-system-arm missing (make firmware BOARD=qemu-mps2-an385)"
	echo "0 passed, 1 failed"
	exit 1
fi
exec python3 tests/suites/qemu_test.py "$fw"
