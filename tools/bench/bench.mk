# Bench helpers, included from the root Makefile (its CC, CFLAGS, LDLIBS,
# CLANG, BPF_CFLAGS and LIBTTBPF; not usable with `make -f` alone).
BENCH_OUT := $(OUTPUT)/bench
# empty.bpf.c includes <linux/bpf.h>, whose <asm/types.h> lives under the
# host's multiarch directory, not in the BPF target's search path.
BENCH_BPF_INC := -I/usr/include/$(shell $(CC) -dumpmachine)

.PHONY: bench-helpers
bench-helpers: $(BENCH_OUT)/emptyprobe $(BENCH_OUT)/alloc_server

$(BENCH_OUT):
	$(Q)mkdir -p $@

# The message layout is the stand-in reporter's own header.
$(BENCH_OUT)/alloc_server: tools/bench/alloc_server.c \
			   tools/ttsim/include/tt_alloc_message.h | $(BENCH_OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itools/ttsim/include -o $@ $<

$(BENCH_OUT)/empty.bpf.o: tools/bench/empty.bpf.c | $(BENCH_OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(BENCH_BPF_INC) -c $< -o $@

$(BENCH_OUT)/emptyprobe: tools/bench/emptyprobe.c $(BENCH_OUT)/empty.bpf.o \
			 $(LIBTTBPF) | $(BENCH_OUT)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(LIBTTBPF) $(LDLIBS)

-include $(wildcard $(BENCH_OUT)/*.d)
