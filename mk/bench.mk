# mk/bench.mk - ours against Dovecot (make bench) and the host build's static
# memory (part of make size); each writes its section of docs/benchmarks.md.
#
#   make bench       tools/bench.sh: a private Dovecot and build/host/imapd
#                    under tools/loadgen; results in build/bench/,
#                    docs/benchmarks.md and docs/benchmarks.svg
#   make size-host   .data/.bss of build/host/imapd by component (make size
#                    runs it, with the board's own report)

.PHONY: bench-dovecot size-host
BENCH_TARGETS += bench-dovecot

bench-dovecot: $(BUILD)/host/imapd $(BUILD)/host/loadgen
	@tools/bench.sh $(BUILD)/host/imapd $(BUILD)/host/loadgen

# With a board, its size report (boards/$(BOARD)/size.py over the map) goes
# into the same section; the firmware is built first so the map is current.
BENCH_BOARD_MAP := $(BUILD)/$(BOARD)/firmware.map
size: size-host
size-host: $(BUILD)/host/imapd $(if $(wildcard boards/$(BOARD)/board.mk),$(BUILD)/$(BOARD)/firmware.elf)
	@$(PYTHON) tools/bench/size_host.py $(BUILD)/host/imapd $(BUILD)/host \
		--board $(BOARD) --board-map $(BENCH_BOARD_MAP) \
		--board-script boards/$(BOARD)/size.py --doc docs/benchmarks.md
