# mk/slirp.mk - libslirp 4.8.0 from its pinned Debian source package
# (tools/fetch-deps.sh), built into each host variant as one relocatable
# object with only the library's API left global.
#
# Why from source: the host server links it statically (docs/architecture.md,
# "Host memory"), and Debian ships no libslirp.a; its GLib calls are served
# by port/posix/slirp_glib.c. Why localised: libslirp's
# internal globals (tcp_input, ip_output, if_start, ...) share names with
# lwIP's; the shared library hides them with a version script, so must we.
# The API list is the version script's own (src/libslirp.map).

SLIRP_NAMES := arp_table bootp cksum dhcpv6 dnssearch if ip6_icmp ip6_input \
	ip6_output ip_icmp ip_input ip_output mbuf misc ncsi ndp_table sbuf slirp \
	socket state stream tcp_input tcp_output tcp_subr tcp_timer tftp udp udp6 \
	util version vmstate
SLIRP_GEN := $(BUILD)/slirp-gen
GLIB_CFLAGS = $(shell pkg-config --cflags glib-2.0)
# Our code includes <libslirp.h> from the pinned tree, never the system's
# (every host object waits for its generated version header, order-only).
# GLib's headers only: port/posix/slirp_glib.c implements the few functions
# libslirp calls, so no GLib library is linked.
SLIRP_CFLAGS = -I$(SLIRP_GEN) -I$(SLIRP_DIR)/src $(GLIB_CFLAGS)

# A tree fetched before libslirp was pinned lacks it: fetch it then.
$(SLIRP_DIR)/src/%.c $(SLIRP_DIR)/src/%.in $(SLIRP_DIR)/src/%.map:
	@tools/need-pkgs.sh $(PKGS_DEPS)
	@BUILD=$(BUILD) tools/fetch-deps.sh
	@test -f $@ || { echo "make: $@ missing: is SLIRP_DIR=$(SLIRP_DIR) a libslirp 4.8.0 tree?" >&2; exit 1; }

# What meson's configure_file would write.
$(SLIRP_GEN)/libslirp-version.h: $(SLIRP_DIR)/src/libslirp-version.h.in
	@mkdir -p $(@D)
	$(Q)sed -e 's/@SLIRP_MAJOR_VERSION@/4/' -e 's/@SLIRP_MINOR_VERSION@/8/' \
		-e 's/@SLIRP_MICRO_VERSION@/0/' -e 's/@SLIRP_VERSION_STRING@/"4.8.0"/' $< >$@

$(SLIRP_GEN)/api.syms: $(SLIRP_DIR)/src/libslirp.map
	@mkdir -p $(@D)
	$(Q)sed -n 's/^[[:space:]]*\(slirp_[a-z0-9_]*\);.*/\1/p' $< >$@

# slirp_variant,<v>: build/<v>/libslirp.a. Compiled with the variant's
# optimisation but without sanitizers: it is not our code to fix, and the
# test under ASan is of ours.
SLIRP_OPT_host := -O2 -g
SLIRP_OPT_host-asan := -O1 -g
define slirp_variant
$(1)_SLIRP_OBJS := $(patsubst %,$(BUILD)/$(1)/slirp/%.o,$(SLIRP_NAMES))

$(BUILD)/$(1)/slirp/%.o: $(SLIRP_DIR)/src/%.c $(SLIRP_GEN)/libslirp-version.h | $(PKGS_TARGET_$(1))
	@mkdir -p $$(@D)
	$(msg) CC "$(1): $$<"
	$(Q)$(CC_$(1)) -std=gnu99 -w $(SLIRP_OPT_$(1)) -ffunction-sections -fdata-sections -MMD -MP -DG_LOG_DOMAIN='"Slirp"' \
		-DBUILDING_LIBSLIRP $$(SLIRP_CFLAGS) -c $$< -o $$@

$(BUILD)/$(1)/libslirp.a: $$($(1)_SLIRP_OBJS) $(SLIRP_GEN)/api.syms
	$(msg) AR $$@
	$(Q)ld -r -o $(BUILD)/$(1)/slirp/all.o $$($(1)_SLIRP_OBJS)
	$(Q)objcopy --keep-global-symbols=$(SLIRP_GEN)/api.syms $(BUILD)/$(1)/slirp/all.o $(BUILD)/$(1)/slirp/slirp.o
	$(Q)rm -f $$@ && ar qcs $$@ $(BUILD)/$(1)/slirp/slirp.o
endef
$(foreach v,host host-asan,$(eval $(call slirp_variant,$(v))))
