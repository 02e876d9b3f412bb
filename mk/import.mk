# mk/import.mk - `make bench-import`: imapctl import speed into an image file.
.PHONY: bench-import
BENCH_TARGETS += bench-import
bench-import: $(BUILD)/host/imapctl
	@$(PYTHON) tools/bench/import.py
