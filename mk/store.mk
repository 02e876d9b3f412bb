# mk/store.mk - the mail store's own targets.
#
#   make powerloss [CUTS=N]   power-loss runner (tools/powerloss): N cuts
#                             (default 20000); last line
#                             "powerloss: N cuts, 0 lost, 0 corrupt, 0 unmountable"
#   make bench-store          store benchmark (tools/bench-store): write
#                             amplification, erase spread, mount cost for
#                             10k messages, append rate, static RAM
# make test runs the power-loss runner through tests/suites/powerloss.sh.
#
# The benchmark needs more index slots than the default build has, so it is
# linked here with its own copy of the store (STORE_MAX_MESSAGES=12288);
# build/host/bench-store (the generic tool build) runs the same workload
# scaled to the default slot count.

.PHONY: powerloss bench-store
CUTS ?= 20000
BENCH_TARGETS += bench-store

powerloss: $(BUILD)/host/powerloss
	@$(BUILD)/host/powerloss --cuts $(CUTS)

STORE_BENCH_BIN := $(BUILD)/store-bench/bench-store
STORE_BENCH_SRCS := $(wildcard tools/bench-store/*.c) $(wildcard storage/*.c)

$(STORE_BENCH_BIN): $(STORE_BENCH_SRCS) $(wildcard storage/*.h) | pkgs-host
	@mkdir -p $(@D)
	$(CC_host) $(WARN) -O2 -g -D_DEFAULT_SOURCE -DSTORE_MAX_MESSAGES=12288 -Istorage \
		-o $@ $(STORE_BENCH_SRCS)

bench-store: $(STORE_BENCH_BIN)
	@$(STORE_BENCH_BIN)
