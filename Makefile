# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# One pipeline: BPF object (clang -target bpf) -> bpftool gen object ->
# skeleton header -> loader library -> tools -> tests. Everything generated
# lands under $(OUTPUT). `make V=1` prints the full commands.
#
# SAN=1 builds the user tools and unit tests with ASan+UBSan into a separate
# output folder (what `make test` runs); the stand-in TT-Metal is always
# built without sanitizers because it is the traced program, not ours.

OUTPUT ?= build
SAN ?= 0
ifeq ($(SAN),1)
OUT := $(OUTPUT)/san
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	     -fno-omit-frame-pointer
else
OUT := $(OUTPUT)/release
SAN_FLAGS :=
endif
TTSIM_OUT := $(OUTPUT)/ttsim

CLANG ?= clang
BPFTOOL ?= bpftool
CC ?= cc
CXX ?= c++
ARCH := x86
VMLINUX_H ?= vmlinux/vmlinux.h

CFLAGS_COMMON := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -O2 -MMD -MP
CFLAGS := $(CFLAGS_COMMON) $(SAN_FLAGS) -I$(OUT) -Ibpf -Iuser/lib
LDLIBS := -lbpf -lelf -ldw -lcapstone -lz
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	      -I$(dir $(VMLINUX_H)) -Ibpf -MMD -MP

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_SKELS := $(patsubst bpf/%.bpf.c,$(OUT)/%.skel.h,$(BPF_SRCS))
LIB_SRCS := $(wildcard user/lib/*.c)
LIB_OBJS := $(patsubst user/lib/%.c,$(OUT)/lib/%.o,$(LIB_SRCS))
LIBTTBPF := $(OUT)/libttbpf.a
TOOL_SRCS := $(wildcard user/ttbpf-*.c)
TOOLS := $(patsubst user/%.c,$(OUT)/%,$(TOOL_SRCS))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_TESTS := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(UNIT_SRCS))

.DELETE_ON_ERROR:
# Objects made through pattern chains are kept: incremental rebuilds need
# them, and make would otherwise delete them after every fresh build.
.SECONDARY:
.PHONY: all tools ttsim unit-tests test test-real demo bench clean format \
	format-check deps

all: tools ttsim unit-tests

tools: $(TOOLS)
unit-tests: $(UNIT_TESTS)

$(OUT) $(OUT)/lib $(OUT)/tests:
	$(Q)mkdir -p $@

# BPF: compile, link with bpftool (drops DWARF-only sections, checks BTF),
# then generate the skeleton the loader includes.
$(OUT)/%.tmp.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) $(VMLINUX_H) | $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/%.bpf.o: $(OUT)/%.tmp.bpf.o
	$(call msg,GEN-OBJ,$@)
	$(Q)$(BPFTOOL) gen object $@ $<

$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*) > $@

# Loader library: every object may include a skeleton.
$(OUT)/lib/%.o: user/lib/%.c $(BPF_SKELS) | $(OUT)/lib
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(LIBTTBPF): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUT)/ttbpf-%.o: user/ttbpf-%.c $(BPF_SKELS) | $(OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(OUT)/ttbpf-%: $(OUT)/ttbpf-%.o $(LIBTTBPF)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -lncursesw $(TOOL_LDLIBS) -o $@

# Libraries only one tool needs.
$(OUT)/ttbpf-trace $(OUT)/ttbpf-report: TOOL_LDLIBS := -lsqlite3

$(OUT)/tests/%.o: tests/unit/%.c $(BPF_SKELS) | $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(OUT)/tests/test_%: $(OUT)/tests/test_%.o $(LIBTTBPF)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -lcmocka -lncursesw -o $@

include tools/ttsim/ttsim.mk
include tests/fuzz/fuzz.mk
include tools/bench/bench.mk
include tools/packaging/packaging.mk

# --- the two commands of the README -------------------------------------

deps:
	$(Q)tools/install-deps.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tools/demo.sh $(OUT) $(TTSIM_OUT)

test: deps
	$(Q)$(MAKE) --no-print-directory SAN=1 all
	$(Q)$(MAKE) --no-print-directory SAN=0 ttsim dist deb
	$(Q)tests/run-all.sh $(OUTPUT)/san $(TTSIM_OUT)

# Only the real-TT-Metal suites (make test runs them too): they fetch the
# ttnn wheels into a cache outside git, skipping only when the package
# index cannot be reached.
test-real: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)for t in tests/real/test_*.sh; do echo "== $$t"; $$t $(OUT) || exit 1; done

bench: deps
	$(Q)$(MAKE) --no-print-directory all ttsim-client bench-helpers
	$(Q)tools/bench.sh $(OUT) $(TTSIM_OUT)

format:
	$(Q)clang-format -i $(shell git ls-files '*.c' '*.h' '*.cpp' '*.hpp' | grep -v '^vmlinux/')

format-check:
	$(Q)clang-format --dry-run --Werror $(shell git ls-files '*.c' '*.h' '*.cpp' '*.hpp' | grep -v '^vmlinux/')

clean:
	$(call msg,CLEAN,$(OUTPUT))
	$(Q)rm -rf $(OUTPUT)

-include $(wildcard $(OUT)/*.d $(OUT)/lib/*.d $(OUT)/tests/*.d)
