# mk/tests.mk - test suites (`make test` itself is in the Makefile).
#
# make test runs, through tests/run_all.py: every unit test binary
# (tests/test_*.c, ASan+UBSan), every tests/suites/*.sh, then the integration
# tests (tests/run_integration.py against build/host-asan/imapd).

SUITES := $(sort $(wildcard tests/suites/*.sh))

.PHONY: unit integration
# Unit tests only: quick, and no board or client packages needed.
unit: $(UNIT_BINS)
	@$(PYTHON) tests/run_all.py $(addprefix --unit ,$(UNIT_BINS))

# Integration tests only (PATTERN: which files, e.g. PATTERN=test_tls.py).
integration: $(HOST_PROGS_host) $(HOST_PROGS_host-asan)
	@$(PYTHON) tests/run_integration.py $(PATTERN)
