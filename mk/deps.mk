# mk/deps.mk - Debian packages the build needs, and the pinned lwIP, Mbed TLS
# and libslirp sources (tools/fetch-deps.sh). Package lists are in the Makefile.
#
# Targets that need packages depend on pkgs-<set> order-only: the check is a
# quick dpkg query every run and never forces a rebuild.

.PHONY: deps pkgs-host pkgs-fuzz pkgs-board pkgs-test

pkgs-host:
	@tools/need-pkgs.sh $(PKGS_HOST)
pkgs-fuzz:
	@tools/need-pkgs.sh $(PKGS_HOST) $(PKGS_FUZZ)
pkgs-board:
	@tools/need-pkgs.sh $(PKGS_BOARD)
pkgs-test:
	@tools/need-pkgs.sh $(PKGS_TEST) $(PKGS_FUZZ)

# LWIP_DIR / MBEDTLS_DIR / SLIRP_DIR reach the script only when the user set them (make
# exports command-line and environment variables, not the defaults above).
deps:
	@tools/need-pkgs.sh $(PKGS_DEPS)
	@BUILD=$(BUILD) tools/fetch-deps.sh

# lwIP's own file lists. Including it makes make fetch the sources first on a
# fresh tree (a missing included makefile is remade, then make restarts), so
# every fragment can use $(wildcard) on the dependency trees.
LWIPDIR := $(LWIP_DIR)/src
ifeq ($(filter clean distclean help,$(MAKECMDGOALS)),)
include $(LWIP_DIR)/src/Filelists.mk
endif
$(LWIP_DIR)/src/Filelists.mk:
	@tools/need-pkgs.sh $(PKGS_DEPS)
	@BUILD=$(BUILD) tools/fetch-deps.sh
	@test -f $@ || { echo "make: $@ missing: is LWIP_DIR=$(LWIP_DIR) an lwIP 2.2.1 tree?" >&2; exit 1; }

# core, IPv4 and Ethernet; DHCP is part of the IPv4 core files.
LWIP_SRCS := $(COREFILES) $(CORE4FILES) $(LWIPDIR)/netif/ethernet.c
LWIP_INCLUDES := -I$(LWIPDIR)/include
