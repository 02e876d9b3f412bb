# boards/qemu-mps2-an385/board.mk - firmware for QEMU's mps2-an385 (Cortex-M3).
#
#   make firmware   build/qemu-mps2-an385/firmware.elf and .bin
#   make size       text/rodata/data/bss, flash and RAM, by component
#   make run        boot it in QEMU with the mail image build/run/qemu-mps2-an385.img
#
# Components are linked as one archive each so that the map file tells what
# every part costs: server (firmware/), store (storage/), lwIP, Mbed TLS; the
# board's own objects are linked directly (libc_fmt.o must win over newlib).

FW_DIR := $(BUILD)/$(BOARD)
FW_BOARD_DIR := boards/$(BOARD)
FW_CC := arm-none-eabi-gcc
FW_AR := arm-none-eabi-ar
FW_ARCH := -mcpu=cortex-m3 -mthumb
FW_OPT := -Os -g -ffunction-sections -fdata-sections
# The server's compile-time bounds for this board: the defaults of
# firmware/imapd_config.h and storage/store.h, trimmed so that 8 sessions (2
# of them TLS) and a 4,096-message index fit 160 KiB of RAM. What each trim
# costs:
#   IMAPD_OUT_BUF 1024        output staged per session: one step's worth
#                             (IMAPD_OUT_RESERVE); a step runs once it is sent
#   IMAPD_CMD_SMALL 512       longer command lines borrow the big buffer; input
#                             is read into it, at most 512 bytes at a time
#   IMAPD_BIG_BUFS 1          one command line > 512 bytes at a time; others wait
#   IMAPD_SEARCH_SLOTS 1      one SEARCH at a time; others wait for the slot
#   IMAPD_MSG_CHUNK 512       FETCH reads and decodes 512-byte chunks
#   STORE_MAX_APPENDS 2       two store appends in progress at once (APPEND, COPY)
#   IMAPD_APPEND_SLOTS 1      one APPEND uploads at a time; others wait for it
#   STORE_META_MAX 1024       MIME metadata per message (about 20 body parts);
#                             larger part trees are recomputed from the
#                             message when fetched
#   STORE_MAX_MAILBOXES 32    all users together
#   STORE_KW_POOL 32          distinct keyword names, all mailboxes together
#   STORE_MAX_CFG 192         config records: users, ACLs, subscriptions, keys
#   STORE_REC_CACHE 4         message record headers remembered (of 8)
FW_DEFS := -DIMAPD_OUT_BUF=1024 -DIMAPD_CMD_SMALL=512 -DIMAPD_BIG_BUFS=1 \
	-DIMAPD_SEARCH_SLOTS=1 -DIMAPD_APPEND_SLOTS=1 -DIMAPD_MSG_CHUNK=512 -DSTORE_MAX_APPENDS=2 \
	-DSTORE_META_MAX=1024 -DMIME_BLOB_MAX=1024 -DSTORE_MAX_MAILBOXES=32 -DSTORE_KW_POOL=32 \
	-DSTORE_MAX_CFG=192 -DSTORE_REC_CACHE=4
FW_CFLAGS = $(WARN) $(FW_ARCH) $(FW_OPT) $(FW_DEFS) -MMD -MP -I$(FW_BOARD_DIR) $(INCLUDES) \
	$(LWIP_INCLUDES) $(MBEDTLS_CFLAGS)
FW_LDFLAGS := $(FW_ARCH) --specs=nano.specs -nostartfiles -Wl,--gc-sections \
	-T $(FW_BOARD_DIR)/mps2_an385.ld -Wl,-Map=$(FW_DIR)/firmware.map
FW_MBEDTLS = $(MBEDTLS_LIBS_$(BOARD))

FW_BOARD_OBJS := $(patsubst %.c,$(FW_DIR)/obj/%.o,$(sort $(wildcard $(FW_BOARD_DIR)/*.c)))
FW_SERVER_OBJS := $(patsubst %.c,$(FW_DIR)/obj/%.o,$(sort $(wildcard firmware/*.c)))
FW_STORE_OBJS := $(patsubst %.c,$(FW_DIR)/obj/%.o,$(sort $(wildcard storage/*.c)))
FW_LWIP_OBJS := $(patsubst $(LWIPDIR)/%.c,$(FW_DIR)/lwip/%.o,$(LWIP_SRCS))
FW_LIBS := $(FW_DIR)/libserver.a $(FW_DIR)/libstore.a $(FW_DIR)/liblwip.a

.PHONY: firmware size run-qemu
firmware: $(FW_DIR)/firmware.elf $(FW_DIR)/firmware.bin
TEST_PREREQS += firmware
RUN := run-qemu

# Objects depend on this file too: FW_DEFS changes every struct layout.
$(FW_DIR)/obj/%.o: %.c $(FW_BOARD_DIR)/board.mk | pkgs-board
	@mkdir -p $(@D)
	$(FW_CC) $(FW_CFLAGS) -c $< -o $@

# Third-party code: our options, its own warnings are not ours to fix. lwIP
# sizes its pools from the server's bounds (lwipopts.h), hence FW_DEFS.
$(FW_DIR)/lwip/%.o: $(LWIPDIR)/%.c $(FW_BOARD_DIR)/board.mk | pkgs-board
	@mkdir -p $(@D)
	$(FW_CC) -std=c11 -w $(FW_ARCH) $(FW_OPT) $(FW_DEFS) -MMD -MP -I$(FW_BOARD_DIR) -Ifirmware \
		-Iport $(LWIP_INCLUDES) -c $< -o $@

$(FW_DIR)/libserver.a: $(FW_SERVER_OBJS)
$(FW_DIR)/libstore.a: $(FW_STORE_OBJS)
$(FW_DIR)/liblwip.a: $(FW_LWIP_OBJS)
$(FW_LIBS):
	@rm -f $@
	$(FW_AR) qcs $@ $^

# No heap: the link must not contain an allocator (newlib's or anyone's).
FW_HEAP_SYMS := malloc calloc realloc free _malloc_r _calloc_r _realloc_r _free_r _sbrk
$(FW_DIR)/firmware.elf: $(FW_BOARD_OBJS) $(FW_LIBS) $(FW_MBEDTLS) $(FW_BOARD_DIR)/mps2_an385.ld
	$(FW_CC) $(FW_LDFLAGS) -o $@ $(FW_BOARD_OBJS) -Wl,--start-group $(FW_LIBS) $(FW_MBEDTLS) \
		-Wl,--end-group
	@heap=$$(arm-none-eabi-nm $@ | awk '$$2 ~ /^[TtWw]$$/ {print $$3}' | \
		grep -Fx $(addprefix -e ,$(FW_HEAP_SYMS)) || true); \
	if [ -n "$$heap" ]; then \
		echo "firmware: heap functions linked: $$heap" | tr '\n' ' ' >&2; echo >&2; \
		rm -f $@; exit 1; fi

$(FW_DIR)/firmware.bin: $(FW_DIR)/firmware.elf
	arm-none-eabi-objcopy -O binary $< $@

size: $(FW_DIR)/firmware.elf
	@$(PYTHON) $(FW_BOARD_DIR)/size.py $(FW_DIR)/firmware.map

RUN_IMAGE_QEMU ?= $(BUILD)/run/$(BOARD).img
run-qemu: firmware | pkgs-board
	@IMAGE="$(or $(IMAGE),$(RUN_IMAGE_QEMU))" tools/run-qemu.sh $(FW_DIR)/firmware.elf

-include $(shell find $(FW_DIR) -name '*.d' 2>/dev/null)
