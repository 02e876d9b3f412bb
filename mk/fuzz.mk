# mk/fuzz.mk - running the libFuzzer targets (tests/fuzz/fuzz_<name>.c, built
# by the fuzz variant of mk/host.mk into build/fuzz/) through tools/fuzz.sh.
#
#   make fuzz-run FUZZ_SECONDS=N   fuzz each target N s; one line per target:
#                                  "fuzz: <name> <execs> execs, <n> crashes"
#   make fuzz-regress              each target once over its seed corpus
# make test runs both (briefly) through tests/suites/fuzz.sh.

.PHONY: fuzz-run fuzz-regress
FUZZ_SECONDS ?= 60
TEST_PREREQS += $(FUZZ_BINS)

fuzz-run: $(FUZZ_BINS)
	@tools/fuzz.sh run $(FUZZ_SECONDS) $(FUZZ_BINS)

fuzz-regress: $(FUZZ_BINS)
	@tools/fuzz.sh regress $(FUZZ_BINS)

# Fuzzing wants executions, not password-hashing strength: one PBKDF2
# iteration in the fuzz build (the count is stored per user record, so the
# format is unchanged). fuzz_session logs in on most inputs.
$(BUILD)/fuzz/obj/firmware/auth.o: fuzz_CFLAGS += -DAUTH_PBKDF2_ITERATIONS=1
$(BUILD)/fuzz/obj/firmware/auth.o: mk/fuzz.mk
