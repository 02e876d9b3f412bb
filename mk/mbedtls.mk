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
# IMAPD_TLS_MEASURE (the arena's usage counters) to the library and to our own
# objects, since both must see the same configuration. The firmware has
# neither; `make firmware FW_TLS_MEASURE=1` builds a measuring firmware.
#
#   make bench-tls   handshake time and arena use per session (tools/bench-tls)

MBEDTLS_CFLAGS := -I$(MBEDTLS_DIR)/include -DMBEDTLS_CONFIG_FILE='"mbedtls_config_imapd.h"'
MBEDTLS_HOST_DEFS := -DIMAPD_TLS_HOST -DIMAPD_TLS_MEASURE
MBEDTLS_BOARD_DEFS := $(if $(FW_TLS_MEASURE),-DIMAPD_TLS_MEASURE)

MBEDTLS_SRCS := $(sort $(wildcard $(MBEDTLS_DIR)/library/*.c))
MBEDTLS_HOST_DIR := $(BUILD)/host/mbedtls
MBEDTLS_BOARD_DIR := $(BUILD)/$(BOARD)/mbedtls
MBEDTLS_LIBS_host := $(MBEDTLS_HOST_DIR)/libmbedtls.a
MBEDTLS_LIBS_$(BOARD) := $(MBEDTLS_BOARD_DIR)/libmbedtls.a

# Our objects that include Mbed TLS headers must agree with the library.
$(foreach v,host host-asan fuzz,$(eval $(BUILD)/$(v)/obj/%.o: $(v)_CFLAGS += $(MBEDTLS_HOST_DEFS)))
$(BUILD)/$(BOARD)/obj/%.o: FW_CFLAGS += $(MBEDTLS_BOARD_DEFS)

# The library depends on the configuration header and the source tree.
MBEDTLS_CONFIG_DEP := firmware/mbedtls_config_imapd.h

# Third-party code: our options, its own warnings are not ours to fix.
$(MBEDTLS_HOST_DIR)/%.o: $(MBEDTLS_DIR)/library/%.c $(MBEDTLS_CONFIG_DEP) | pkgs-host
	@mkdir -p $(@D)
	$(CC_host) -std=c11 -w -O2 -g -Ifirmware $(MBEDTLS_CFLAGS) $(MBEDTLS_HOST_DEFS) -c $< -o $@

$(MBEDTLS_BOARD_DIR)/%.o: $(MBEDTLS_DIR)/library/%.c $(MBEDTLS_CONFIG_DEP) | pkgs-board
	@mkdir -p $(@D)
	$(FW_CC) -std=c11 -w $(FW_ARCH) $(FW_OPT) -Ifirmware $(MBEDTLS_CFLAGS) \
		$(MBEDTLS_BOARD_DEFS) -c $< -o $@

$(MBEDTLS_LIBS_host): $(patsubst $(MBEDTLS_DIR)/library/%.c,$(MBEDTLS_HOST_DIR)/%.o,$(MBEDTLS_SRCS))
	@rm -f $@
	ar qcs $@ $^

$(MBEDTLS_LIBS_$(BOARD)): $(patsubst $(MBEDTLS_DIR)/library/%.c,$(MBEDTLS_BOARD_DIR)/%.o,$(MBEDTLS_SRCS))
	@rm -f $@
	$(FW_AR) qcs $@ $^

.PHONY: bench-tls
BENCH_TARGETS += bench-tls
bench-tls: $(BUILD)/host/bench-tls
	$(BUILD)/host/bench-tls
