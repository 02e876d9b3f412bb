# mk/host.mk - the host builds. One template, three variants:
#   host       -O2: imapd, tools (make run, benchmarks)
#   host-asan  -O1 with ASan+UBSan: imapd, tools, unit tests (every test)
#   fuzz       clang with libFuzzer instrumentation: the library for tests/fuzz
#
# In each variant build/<v>/ holds:
#   obj/<path>.o         our sources (firmware/, storage/, port/posix/, tools/, tests/)
#   lwip/<path>.o        lwIP, with port/posix/lwipopts.h
#   libimapd.a           host library: firmware/ storage/ port/posix/ minus main.c
#   liblwip.a
#   imapd, <tool>        programs (not in fuzz)
# Everything links inside one --start-group so the libraries may call each
# other (lwIP needs sys_now() from port/posix, the server needs lwIP).

HOST_VARIANTS := host host-asan fuzz

CC_host := gcc
CC_host-asan := gcc
CC_fuzz := clang
OPT_host := -O2 -g
SAN_asan := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
OPT_host-asan := -O1 -g $(SAN_asan)
LD_host-asan := $(SAN_asan)
OPT_fuzz := -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
LD_fuzz := -fsanitize=fuzzer,address,undefined
PKGS_TARGET_host := pkgs-host
PKGS_TARGET_host-asan := pkgs-host
PKGS_TARGET_fuzz := pkgs-fuzz

# Only port/posix/, tools/ and tests/ may use POSIX; firmware/ and storage/
# are built as plain C11 so that the host build catches what a board would.
POSIX_DIRS := port/posix/% tools/% tests/%
POSIX_CFLAGS := -D_DEFAULT_SOURCE
# libslirp (mk/slirp.mk) links into host and host-asan; fuzz needs none.
# The host server is one static executable: shared libc and GLib text alone
# were 2.4 MB of its 4.5 MB resident set (docs/architecture.md, "Host memory").
# --gc-sections drops the libslirp API we never call.
# ASan cannot link statically, so host-asan stays dynamic.
IMAPD_LDFLAGS_host := -static -Wl,--gc-sections

HOST_LIB_SRCS := $(FIRMWARE_SRCS) $(filter-out port/posix/main.c,$(sort $(wildcard port/posix/*.c)))
HOST_TOOLS := $(sort $(notdir $(patsubst %/,%,$(dir $(wildcard tools/*/*.c)))))
UNIT_SRCS := $(sort $(wildcard tests/test_*.c))
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))

UNIT_BINS := $(patsubst tests/%.c,$(BUILD)/host-asan/tests/%,$(UNIT_SRCS))
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
HOST_PROGS_host := $(BUILD)/host/imapd $(addprefix $(BUILD)/host/,$(HOST_TOOLS))
HOST_PROGS_host-asan := $(BUILD)/host-asan/imapd $(addprefix $(BUILD)/host-asan/,$(HOST_TOOLS))
TEST_BUILD := $(HOST_PROGS_host) $(HOST_PROGS_host-asan) $(UNIT_BINS)

# host_variant,<v>: all rules of one variant (evaluated by the Makefile after
# every fragment is included, so MBEDTLS_* are known).
define host_variant
$(1)_DIR := $(BUILD)/$(1)
$(1)_CFLAGS = $(WARN) $(OPT_$(1)) -MMD -MP $(INCLUDES) -Iport/posix $(LWIP_INCLUDES) $(MBEDTLS_CFLAGS)
$(1)_LWIP_OBJS := $(patsubst $(LWIPDIR)/%.c,$(BUILD)/$(1)/lwip/%.o,$(LWIP_SRCS))
$(1)_LIB_OBJS := $(patsubst %.c,$(BUILD)/$(1)/obj/%.o,$(HOST_LIB_SRCS))
$(1)_MBEDTLS := $(or $(MBEDTLS_LIBS_$(1)),$(MBEDTLS_LIBS_host))
$(1)_SLIRP := $(if $(filter fuzz,$(1)),,$(BUILD)/$(1)/libslirp.a)
$(1)_LINK = $(CC_$(1)) $(LD_$(1)) -o $$@ $$(filter %.o,$$^) -Wl,--start-group \
	$(BUILD)/$(1)/libimapd.a $(BUILD)/$(1)/liblwip.a $$($(1)_MBEDTLS) $$($(1)_SLIRP) -Wl,--end-group

$(BUILD)/$(1)/obj/%.o: %.c | $(PKGS_TARGET_$(1)) $(SLIRP_GEN)/libslirp-version.h
	@mkdir -p $$(@D)
	$(msg) CC "$(1): $$<"
	$(Q)$(CC_$(1)) $$($(1)_CFLAGS) $$(if $$(filter $(POSIX_DIRS),$$<),$(POSIX_CFLAGS) $$(SLIRP_CFLAGS)) -c $$< -o $$@

# Third-party code: our options, its own warnings are not ours to fix.
$(BUILD)/$(1)/lwip/%.o: $(LWIPDIR)/%.c | $(PKGS_TARGET_$(1))
	@mkdir -p $$(@D)
	$(msg) CC "$(1): $$<"
	$(Q)$(CC_$(1)) -std=c11 -w $(OPT_$(1)) -MMD -MP $(INCLUDES) -Iport/posix $(LWIP_INCLUDES) -c $$< -o $$@

$(BUILD)/$(1)/liblwip.a: $$($(1)_LWIP_OBJS)
	$(msg) AR $$@
	$(Q)rm -f $$@ && ar qcs $$@ $$^

$(BUILD)/$(1)/libimapd.a: $$($(1)_LIB_OBJS)
	$(msg) AR $$@
	$(Q)rm -f $$@ && ar qcs $$@ $$^

$(1)_LINK_DEPS := $(BUILD)/$(1)/libimapd.a $(BUILD)/$(1)/liblwip.a $$($(1)_MBEDTLS) $$($(1)_SLIRP)

$(BUILD)/$(1)/imapd: $(BUILD)/$(1)/obj/port/posix/main.o $$($(1)_LINK_DEPS)
	$(msg) LD $$@
	$(Q)$$($(1)_LINK) $(IMAPD_LDFLAGS_$(1))

$(foreach t,$(HOST_TOOLS),
$(BUILD)/$(1)/$(t): $(patsubst %.c,$(BUILD)/$(1)/obj/%.o,$(wildcard tools/$(t)/*.c)) $$($(1)_LINK_DEPS)
	$(msg) LD $$@
	$(Q)$$($(1)_LINK)
)

$(BUILD)/$(1)/tests/%: $(BUILD)/$(1)/obj/tests/%.o $$($(1)_LINK_DEPS)
	@mkdir -p $$(@D)
	$(msg) LD $$@
	$(Q)$$($(1)_LINK)

$(BUILD)/$(1)/fuzz_%: $(BUILD)/$(1)/obj/tests/fuzz/fuzz_%.o $$($(1)_LINK_DEPS)
	$(msg) LD $$@
	$(Q)$$($(1)_LINK)

-include $(shell find $(BUILD)/$(1) -name '*.d' 2>/dev/null)
endef
