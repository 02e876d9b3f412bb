# mk/core2.mk - IMAP core II (FETCH, SEARCH, STORE, COPY/MOVE, EXPUNGE).
#
# The host server is sized for a 10,000-message mailbox
# (tests/integration/test_bigmailbox.py): a PC has the RAM for the larger
# index (16 bytes a slot). Boards keep the default STORE_MAX_MESSAGES of
# their RAM budget. Every object of a variant gets the same value, as the
# store's layout requires.
HOST_STORE_MAX_MESSAGES ?= 16384
$(foreach v,host host-asan,$(eval $(BUILD)/$(v)/obj/%.o: $(v)_CFLAGS += -DSTORE_MAX_MESSAGES=$(HOST_STORE_MAX_MESSAGES)))
# Objects built before this value changed must not be mixed with new ones.
CORE2_HOST_SRCS := $(wildcard firmware/*.c storage/*.c port/posix/*.c tools/*/*.c tests/*.c)
$(foreach v,host host-asan,$(eval $(patsubst %.c,$(BUILD)/$(v)/obj/%.o,$(CORE2_HOST_SRCS)): mk/core2.mk))
