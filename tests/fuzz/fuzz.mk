# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# libFuzzer targets for the parsers of outside input. Built with clang and
# ASan+UBSan from the user/lib sources (never the gcc objects), into
# $(OUTPUT)/fuzz. `make fuzz-build` builds, `make fuzz FUZZ_SECONDS=N` runs
# every target N seconds (tests/fuzz/run.sh).

OUTPUT ?= build
CLANG ?= clang
FUZZ_SECONDS ?= 30
FUZZ_OUT := $(OUTPUT)/fuzz

ifneq ($(V),1)
Q ?= @
endif
msg ?= @printf '  %-8s %s\n' "$(1)" "$(2)";

FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all \
	    -fno-omit-frame-pointer
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 $(FUZZ_SAN) -Ibpf -Iuser/lib \
	       -MMD -MP
FUZZ_LDLIBS := -lbpf -lelf -ldw -lcapstone -lz

# The user/lib files the targets reach (tt_lib.c pulls in the analysis).
FUZZ_LIB_NAMES := tt_lib elf_image eras entry_insn accessor_decode \
		  dwarf_layout layout_field layout_override layout_profiles errmsg \
		  capacity format event_format text_escape file_open state maps \
		  shm_record mesh_decode pin_dir buffer_address json_writer \
		  stat_notes chip_ids proc_env release_rows owner_gens
FUZZ_LIB_OBJS := $(patsubst %,$(FUZZ_OUT)/lib/%.o,$(FUZZ_LIB_NAMES))
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,$(FUZZ_OUT)/%,$(FUZZ_SRCS))

.PHONY: fuzz-build fuzz
# The objects are kept by the root Makefile's .SECONDARY (every target):
# a list here would narrow that to the list.

fuzz-build: $(FUZZ_TARGETS)

fuzz: fuzz-build
	$(Q)tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_OUT)

$(FUZZ_OUT)/lib:
	$(Q)mkdir -p $@

# Not ours to make warning-free under clang: no -Werror for user/lib here.
$(FUZZ_OUT)/lib/%.o: user/lib/%.c | $(FUZZ_OUT)/lib
	$(call msg,FUZZ-CC,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_OUT)/fuzz_%.o: tests/fuzz/fuzz_%.c | $(FUZZ_OUT)/lib
	$(call msg,FUZZ-CC,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -Wall -Wextra -Werror \
		-fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_OUT)/fuzz_%: $(FUZZ_OUT)/fuzz_%.o $(FUZZ_LIB_OBJS)
	$(call msg,FUZZ-LD,$@)
	$(Q)$(CLANG) $(FUZZ_SAN) -fsanitize=fuzzer $^ $(FUZZ_LDLIBS) -o $@

-include $(wildcard $(FUZZ_OUT)/*.d $(FUZZ_OUT)/lib/*.d)
