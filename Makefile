# imapd - an IMAP server for small devices (lwIP raw API, Mbed TLS, NOR flash).
#
#   make run        serve on 127.0.0.1:1143 (imap) and :1993 (imaps)
#   make test       install what is missing, build everything, run every test
#   make host       build/host/imapd and the host tools
#   make firmware   build/$(BOARD)/firmware.elf (BOARD=qemu-mps2-an385)
#   make size | fuzz | bench | deps | clean | distclean
#
# Layout of the build (see mk/host.mk for the details):
#   build/deps/        lwIP, Mbed TLS and libslirp sources (tools/fetch-deps.sh)
#   build/host/        -O2 host build: imapd, tools
#   build/host-asan/   ASan+UBSan host build: imapd, tools, tests/ (used by all tests)
#   build/fuzz/        clang libFuzzer build
#   build/$(BOARD)/    firmware (boards/$(BOARD)/board.mk)
#   build/run/         mail images of `make run` (kept by `make clean`)
#
# Fragments: every mk/*.mk and boards/$(BOARD)/board.mk is included. They may
# use the variables defined here and in mk/host.mk, and may set:
#   MBEDTLS_CFLAGS             -I/-D flags to compile against Mbed TLS
#   MBEDTLS_LIBS_<variant>     static libraries to link (variant: host,
#                              host-asan, fuzz, $(BOARD)); each needs a rule.
#                              host-asan and fuzz fall back to MBEDTLS_LIBS_host.
#   TEST_PREREQS               extra targets `make test` builds first
#   BENCH_TARGETS              extra targets `make bench` runs
#   RUN                        the target `make run` runs (default run-host)
#   CLEAN_DIRS                 extra directories `make clean` removes
# Recipes may print one short line with $(msg) TAG "what" and hide the
# command with $(Q) (shown with V=1).

# Parallel by default (JOBS=1 for a serial build); V=1 shows every command.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
MAKEFLAGS += -j$(JOBS)
ifeq ($(V),1)
Q :=
msg = @:
else
Q := @
msg = @printf '  %-6s %s\n'
endif

BOARD ?= qemu-mps2-an385
BUILD := build
DEPS_DIR := $(BUILD)/deps
# LWIP_DIR= / MBEDTLS_DIR= / SLIRP_DIR= on the command line use existing source trees.
LWIP_DIR ?= $(DEPS_DIR)/lwip
MBEDTLS_DIR ?= $(DEPS_DIR)/mbedtls
SLIRP_DIR ?= $(DEPS_DIR)/libslirp
PYTHON ?= python3

# Debian packages, installed by tools/need-pkgs.sh when missing.
PKGS_DEPS := dpkg-dev debian-archive-keyring patch bzip2 xz-utils
PKGS_HOST := gcc make pkg-config libglib2.0-dev python3 $(PKGS_DEPS)
PKGS_FUZZ := clang libclang-rt-14-dev
PKGS_CLIENTS := openssl curl isync offlineimap3 fetchmail interimap imapfilter mutt alpine aerc fdm
PKGS_BOARD := gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm
PKGS_TEST := $(PKGS_HOST) $(PKGS_CLIENTS) $(PKGS_BOARD)

# Compile-time rules shared by every build of our own code.
WARN := -std=c11 -Wall -Wextra -Werror
INCLUDES := -Ifirmware -Istorage -Iport
FIRMWARE_SRCS := $(sort $(wildcard firmware/*.c) $(wildcard storage/*.c))

TEST_PREREQS :=
BENCH_TARGETS :=
RUN := run-host
CLEAN_DIRS :=

.DEFAULT_GOAL := host
.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all host test run run-host firmware size fuzz bench clean distclean help

all: host

include mk/deps.mk
include mk/host.mk
include $(filter-out mk/deps.mk mk/host.mk,$(sort $(wildcard mk/*.mk)))
-include boards/$(BOARD)/board.mk

# Rules that consume what the fragments defined come after all includes.
$(foreach v,$(HOST_VARIANTS),$(eval $(call host_variant,$(v))))

host: $(HOST_PROGS_host)

test: $(TEST_BUILD) $(TEST_PREREQS) | pkgs-test
	@$(PYTHON) tests/run_all.py \
		$(addprefix --unit ,$(UNIT_BINS)) \
		$(addprefix --suite ,$(SUITES)) \
		--integration tests/run_integration.py

# Until a board provides its own run target, serve from the host build.
RUN_USER ?= demo
RUN_PASSWORD ?= demo
RUN_IMAGE ?= $(BUILD)/run/host.img
run: $(RUN)
run-host: $(BUILD)/host/imapd
	@mkdir -p $(dir $(RUN_IMAGE))
	@echo "user: $(RUN_USER)"
	@echo "password: $(RUN_PASSWORD)"
	$(BUILD)/host/imapd --image $(RUN_IMAGE) --port 1143 --tls-port 1993 \
		--user $(RUN_USER):$(RUN_PASSWORD) --allow-plaintext -v

ifeq ($(wildcard boards/$(BOARD)/board.mk),)
firmware size:
	@echo "make: boards/$(BOARD)/board.mk does not exist (BOARD=$(BOARD))" >&2; exit 1
endif

# Fuzzing itself is mk/fuzz.mk's (FUZZ_SECONDS per target).
fuzz: fuzz-run

# One benchmark at a time: in parallel they would measure each other.
bench: $(BUILD)/host/imapd
	@for t in $(BENCH_TARGETS); do $(MAKE) --no-print-directory JOBS=1 $$t || exit 1; done

clean:
	rm -rf $(filter-out $(BUILD)/deps $(BUILD)/apt $(BUILD)/run,$(wildcard $(BUILD)/*)) $(CLEAN_DIRS)

distclean:
	rm -rf $(BUILD)

help:
	@sed -n '3,7p' Makefile | sed 's/^# *//'
