# mk/tests.mk - test suites and fuzzing (`make test` itself is in the Makefile).
#
# make test runs, through tests/run_all.py: every unit test binary
# (tests/test_*.c, ASan+UBSan), every tests/suites/*.sh, then the integration
# tests (tests/run_integration.py against build/host-asan/imapd).

SUITES := $(sort $(wildcard tests/suites/*.sh))

.PHONY: unit fuzz fuzz-build
# Unit tests only: quick, and no board or client packages needed.
unit: $(UNIT_BINS)
	@$(PYTHON) tests/run_all.py $(addprefix --unit ,$(UNIT_BINS))

# Each fuzzer runs FUZZ_SECONDS on its seed corpus (tests/fuzz/corpus/<name>/,
# read only) and a working corpus under build/fuzz/corpus/<name>/.
FUZZ_SECONDS ?= 60
fuzz-build: $(FUZZ_BINS)
fuzz: $(FUZZ_BINS)
	@set -e; for bin in $(FUZZ_BINS); do \
		name=$${bin##*/fuzz_}; \
		work=$(BUILD)/fuzz/corpus/$$name; seeds=tests/fuzz/corpus/$$name; \
		mkdir -p $$work; \
		dict=; [ -f tests/fuzz/$$name.dict ] && dict=-dict=tests/fuzz/$$name.dict; \
		echo "fuzz $$name: $(FUZZ_SECONDS) s"; \
		$$bin -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 $$dict $$work \
			$$( [ -d $$seeds ] && echo $$seeds) 2>$(BUILD)/fuzz/$$name.log || \
			{ tail -n 40 $(BUILD)/fuzz/$$name.log; exit 1; }; \
		grep -E '^stat::number_of_executed_units|^Done' $(BUILD)/fuzz/$$name.log | tr '\n' ' '; echo; \
	done
