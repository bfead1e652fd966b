# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Shipping ttbpf. Included by the root Makefile.
#
#   make install / uninstall   the tools (built here, dynamically linked),
#                              man pages and bash completion under
#                              $(DESTDIR)$(PREFIX)
#   make dist                  statically linked tools from Debian's static
#                              archives: build/dist/ttbpf-VERSION-x86_64.tar.gz
#   make deb                   the same static tools as a Debian package
#
# Also the version every tool prints with --version: the release below, the
# git revision and the hash of the embedded BPF object, baked in at build
# time (tools/packaging/gen-version.sh).

TTBPF_VERSION := 0.1.0
DEB_REVISION := 1

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions

PKG_DIR := tools/packaging
MAN_PAGES := $(wildcard man/man8/*.8)
TOOL_NAMES := $(notdir $(TOOLS))
# What install-files installs; install and the packages pick the build.
INSTALL_TOOLS ?= $(TOOLS)

STATIC_OUT := $(OUTPUT)/static
DIST_DIR := $(OUTPUT)/dist
DIST_NAME := ttbpf-$(TTBPF_VERSION)-x86_64
DIST_TAR := $(DIST_DIR)/$(DIST_NAME).tar.gz
DEB_FILE := $(DIST_DIR)/ttbpf_$(TTBPF_VERSION)-$(DEB_REVISION)_amd64.deb
STATIC_TOOLS := $(addprefix $(STATIC_OUT)/,$(TOOL_NAMES))
STRIPPED_TOOLS := $(addprefix $(STATIC_OUT)/stripped/,$(TOOL_NAMES))

# Order matters for static archives: each library before the ones it uses.
# libdw needs bzip2, xz and zlib; Debian 12's elfutils is built without
# zstd, so libzstd.a is not needed. __cxa_demangle is pulled from
# libsupc++.a on purpose: the symbolizer's reference to it is weak, and
# with it linked in, its dlopen("libstdc++.so.6") fallback never runs
# (a static glibc cannot safely load the host's libstdc++).
STATIC_LDLIBS := -Wl,-u,__cxa_demangle -lbpf -ldw -lelf -lcapstone \
		 -lncursesw -ltinfo -lsupc++ -lbz2 -llzma -lz

.PHONY: install install-files uninstall dist deb static-tools \
	ttbpf-version-force

# --- --version -------------------------------------------------------------

$(OUT)/version_info.h: $(patsubst %.skel.h,%.bpf.o,$(BPF_SKELS)) \
		       ttbpf-version-force | $(OUT)
	$(Q)$(PKG_DIR)/gen-version.sh $@ $(TTBPF_VERSION) \
		$(patsubst %.skel.h,%.bpf.o,$(BPF_SKELS))

$(OUT)/lib/version.o: $(OUT)/version_info.h

# --- install ---------------------------------------------------------------

ifeq ($(SAN),1)
install dist deb static-tools:
	@echo "ttbpf: make $@ ships the release build; run it without SAN=1" >&2
	@exit 1
else
install: tools
	$(Q)$(MAKE) --no-print-directory install-files
endif

# Installs $(INSTALL_TOOLS) without building them: install, dist and deb
# all go through here, so the three install the same list of files.
install-files:
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(BASHCOMPDIR)
	$(Q)for t in $(INSTALL_TOOLS); do \
		install -m 0755 $$t $(DESTDIR)$(BINDIR)/$$(basename $$t) || exit 1; \
	done
	$(Q)install -m 0644 $(MAN_PAGES) $(DESTDIR)$(MANDIR)/man8/
	$(Q)for t in $(TOOL_NAMES); do \
		install -m 0644 $(PKG_DIR)/ttbpf.bash-completion \
			$(DESTDIR)$(BASHCOMPDIR)/$$t || exit 1; \
	done

# Exactly what install-files puts there; directories stay (they may be
# shared, like /usr/local/bin).
uninstall:
	$(call msg,UNINSTALL,$(DESTDIR)$(PREFIX))
	$(Q)rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(TOOL_NAMES)) \
		$(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(MAN_PAGES))) \
		$(addprefix $(DESTDIR)$(BASHCOMPDIR)/,$(TOOL_NAMES))

# --- static tools, tarball, Debian package ---------------------------------

ifneq ($(SAN),1)
static-tools: $(STATIC_TOOLS)

# SQLite's dlopen is only for load_extension, which the tools never call;
# libdw's is only for debuginfod, which native_unwind.c never asks.
$(STATIC_OUT)/ttbpf-trace $(STATIC_OUT)/ttbpf-report: STATIC_TOOL_LDLIBS := \
	-lsqlite3 -lm

$(STATIC_OUT) $(STATIC_OUT)/stripped:
	$(Q)mkdir -p $@

# The release objects, linked against static archives only.
$(STATIC_OUT)/ttbpf-%: $(OUT)/ttbpf-%.o $(LIBTTBPF) | $(STATIC_OUT)
	$(call msg,LINK-ST,$@)
	$(Q)$(CC) -static $(CFLAGS) $^ $(STATIC_TOOL_LDLIBS) $(STATIC_LDLIBS) \
		-o $@ 2>$@.log || { cat $@.log >&2; exit 1; }
	$(Q)if grep -v -e "symbolize.c:[0-9]*: warning: Using 'dlopen'" \
		-e 'in function .find_demangler' \
		-e "libsqlite3.a(os_unix.o): in function .unixDlOpen" \
		-e "libdw.a(debuginfod-client.o): in function .__libdwfl_debuginfod_init" \
		-e "^(.text+0x[0-9a-f]*): warning: Using 'dlopen'" $@.log >&2; then \
		echo "ttbpf: unexpected static link warnings (NSS or dlopen?)" >&2; \
		rm -f $@; exit 1; \
	fi

$(STATIC_OUT)/stripped/%: $(STATIC_OUT)/% | $(STATIC_OUT)/stripped
	$(call msg,STRIP,$@)
	$(Q)strip --strip-all -R .comment -o $@ $<

dist: $(DIST_TAR)

$(DIST_TAR): $(STRIPPED_TOOLS) $(MAN_PAGES) $(PKG_DIR)/copyright \
	     $(PKG_DIR)/ttbpf.bash-completion
	$(call msg,DIST,$@)
	$(Q)rm -rf $(DIST_DIR)/stage && mkdir -p $(DIST_DIR)/stage
	$(Q)$(MAKE) --no-print-directory -s install-files \
		DESTDIR=$(abspath $(DIST_DIR)/stage) PREFIX=/$(DIST_NAME) \
		INSTALL_TOOLS="$(STRIPPED_TOOLS)"
	$(Q)install -D -m 0644 $(PKG_DIR)/copyright \
		$(DIST_DIR)/stage/$(DIST_NAME)/share/doc/ttbpf/copyright
	$(Q)tar -C $(DIST_DIR)/stage --sort=name --owner=0 --group=0 \
		--numeric-owner -czf $@ $(DIST_NAME)
	$(Q)rm -rf $(DIST_DIR)/stage

deb: $(DEB_FILE)

$(DEB_FILE): $(STRIPPED_TOOLS) $(MAN_PAGES) $(wildcard $(PKG_DIR)/*) \
	     $(wildcard $(PKG_DIR)/debian/*) $(wildcard $(PKG_DIR)/systemd/*)
	$(call msg,DEB,$@)
	$(Q)rm -rf $(DIST_DIR)/deb-root && mkdir -p $(DIST_DIR)/deb-root
	$(Q)$(MAKE) --no-print-directory -s install-files \
		DESTDIR=$(abspath $(DIST_DIR)/deb-root) PREFIX=/usr \
		INSTALL_TOOLS="$(STRIPPED_TOOLS)"
	$(Q)$(PKG_DIR)/mkdeb.sh $(DIST_DIR)/deb-root \
		$(TTBPF_VERSION)-$(DEB_REVISION) $@
	$(Q)rm -rf $(DIST_DIR)/deb-root
endif
