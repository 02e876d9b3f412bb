# mk/mbedtls.mk - Mbed TLS 3.6 built from $(MBEDTLS_DIR) with our own
# configuration (firmware/mbedtls_config_imapd.h), once for the host and once
# for the board.
#
#   build/host/mbedtls/libmbedtls.a      -O2; linked by host, host-asan, fuzz
#   build/$(BOARD)/mbedtls/libmbedtls.a  the board's compiler and flags
#
# Every library source is compiled: files the configuration leaves out come
# out empty, and the linker takes only the objects that are used.
#
# The host build adds IMAPD_TLS_HOST (a TLS client, for the unit tests) and
# IMAPD_TLS_MEASURE (each handshake logs its arena peak) to the library and to our own
# objects, since both must see the same configuration. The firmware has
# neither.
#
#   make bench-tls        handshake CPU time and arena use per session (host,
#                         in process), then connect-to-greeting time through
#                         slirp and lwIP (tools/bench-tls/net_bench.py)
#   make bench-tls-qemu   the same program on the board's CPU (Cortex-M3 under
#                         QEMU, newlib semihosting): the 32-bit arena figures

MBEDTLS_CFLAGS := -I$(MBEDTLS_DIR)/include -DMBEDTLS_CONFIG_FILE='"mbedtls_config_imapd.h"'
MBEDTLS_HOST_DEFS := -DIMAPD_TLS_HOST -DIMAPD_TLS_MEASURE
# x86-64 hosts take SHA-256 blocks from port/posix/sha256_hw.c (the CPU's SHA
# instructions when present): PBKDF2 at LOGIN is most of a login's cost.
# (Host CPU only: the board-CPU build of bench-tls below shares the rest.)
MBEDTLS_HOST_CPU_DEFS :=
ifeq ($(shell uname -m),x86_64)
MBEDTLS_HOST_CPU_DEFS := -DIMAPD_SHA256_ALT
endif

MBEDTLS_SRCS := $(sort $(wildcard $(MBEDTLS_DIR)/library/*.c))
MBEDTLS_HOST_DIR := $(BUILD)/host/mbedtls
MBEDTLS_BOARD_DIR := $(BUILD)/$(BOARD)/mbedtls
MBEDTLS_LIBS_host := $(MBEDTLS_HOST_DIR)/libmbedtls.a
MBEDTLS_LIBS_$(BOARD) := $(MBEDTLS_BOARD_DIR)/libmbedtls.a

# Our objects that include Mbed TLS headers must agree with the library.
$(foreach v,host host-asan fuzz,$(eval $(BUILD)/$(v)/obj/%.o: $(v)_CFLAGS += $(MBEDTLS_HOST_DEFS) \
	$(MBEDTLS_HOST_CPU_DEFS)))

# The library depends on the configuration header and the source tree.
MBEDTLS_CONFIG_DEP := firmware/mbedtls_config_imapd.h

# Third-party code: our options, its own warnings are not ours to fix.
$(MBEDTLS_HOST_DIR)/%.o: $(MBEDTLS_DIR)/library/%.c $(MBEDTLS_CONFIG_DEP) | pkgs-host
	@mkdir -p $(@D)
	$(CC_host) -std=c11 -w -O2 -g -Ifirmware $(MBEDTLS_CFLAGS) $(MBEDTLS_HOST_DEFS) \
		$(MBEDTLS_HOST_CPU_DEFS) -c $< -o $@

$(MBEDTLS_BOARD_DIR)/%.o: $(MBEDTLS_DIR)/library/%.c $(MBEDTLS_CONFIG_DEP) | pkgs-board
	@mkdir -p $(@D)
	$(FW_CC) -std=c11 -w $(FW_ARCH) $(FW_OPT) -Ifirmware $(MBEDTLS_CFLAGS) -c $< -o $@

MBEDTLS_CHECK = @test -n "$^" || { echo "make: no Mbed TLS sources in \
	$(MBEDTLS_DIR)/library (set MBEDTLS_DIR= to a 3.6 tree, or make deps)" >&2; exit 1; }

$(MBEDTLS_LIBS_host): $(patsubst $(MBEDTLS_DIR)/library/%.c,$(MBEDTLS_HOST_DIR)/%.o,$(MBEDTLS_SRCS))
	$(MBEDTLS_CHECK)
	@rm -f $@
	ar qcs $@ $^

$(MBEDTLS_LIBS_$(BOARD)): $(patsubst $(MBEDTLS_DIR)/library/%.c,$(MBEDTLS_BOARD_DIR)/%.o,$(MBEDTLS_SRCS))
	$(MBEDTLS_CHECK)
	@rm -f $@
	$(FW_AR) qcs $@ $^

.PHONY: bench-tls
BENCH_TARGETS += bench-tls
bench-tls: $(BUILD)/host/bench-tls $(BUILD)/host/imapd
	$(BUILD)/host/bench-tls
	$(PYTHON) tools/bench-tls/net_bench.py $(BUILD)/host/imapd

# bench-tls for the board's CPU: its own build directory, since it needs the
# host's extra configuration (client, counters) on the board's compiler.
BTQ_DIR := $(BUILD)/bench-tls-qemu
BTQ_CC := arm-none-eabi-gcc
BTQ_FLAGS := -std=c11 -mcpu=cortex-m3 -mthumb -Os -ffunction-sections -fdata-sections \
	-Ifirmware -Istorage -Iport $(MBEDTLS_CFLAGS) $(MBEDTLS_HOST_DEFS)
BTQ_SRCS := tools/bench-tls/bench_tls.c tools/bench-tls/qemu/start.c firmware/tls.c firmware/tls_heap.c \
	firmware/imap_date.c $(wildcard storage/*.c)
BTQ_MBEDTLS_OBJS := $(patsubst $(MBEDTLS_DIR)/library/%.c,$(BTQ_DIR)/mbedtls/%.o,$(MBEDTLS_SRCS))
BENCH_TLS_QEMU_ROUNDS ?= 20

$(BTQ_DIR)/mbedtls/%.o: $(MBEDTLS_DIR)/library/%.c $(MBEDTLS_CONFIG_DEP) | pkgs-board
	@mkdir -p $(@D)
	$(BTQ_CC) $(BTQ_FLAGS) -w -c $< -o $@

$(BTQ_DIR)/libmbedtls.a: $(BTQ_MBEDTLS_OBJS)
	$(MBEDTLS_CHECK)
	@rm -f $@
	arm-none-eabi-ar qcs $@ $^

$(BTQ_DIR)/bench-tls.elf: $(BTQ_SRCS) tools/bench-tls/qemu/bench.ld $(BTQ_DIR)/libmbedtls.a
	$(BTQ_CC) $(BTQ_FLAGS) $(WARN) -DBENCH_ROUNDS='"$(BENCH_TLS_QEMU_ROUNDS)"' \
		--specs=rdimon.specs -nostartfiles -Wl,--gc-sections \
		-T tools/bench-tls/qemu/bench.ld -o $@ $(BTQ_SRCS) $(BTQ_DIR)/libmbedtls.a

.PHONY: bench-tls-qemu
BENCH_TARGETS += bench-tls-qemu
bench-tls-qemu: $(BTQ_DIR)/bench-tls.elf | pkgs-board
	timeout 600 qemu-system-arm -M mps2-an385 -nographic -monitor none -semihosting \
		-kernel $< | grep -v '^tls: TLS'
