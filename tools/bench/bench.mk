# Bench helpers, included from the root Makefile.
BENCH_OUT := $(OUTPUT)/bench

$(BENCH_OUT)/sockcost: tools/bench/sockcost.c
	$(Q)mkdir -p $(BENCH_OUT)
	$(Q)$(CC) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -o $@ $<

bench-helpers: $(BENCH_OUT)/sockcost

$(BENCH_OUT)/empty.bpf.o: tools/bench/empty.bpf.c
	$(Q)mkdir -p $(BENCH_OUT)
	$(Q)clang -g -O2 -target bpf -I/usr/include/x86_64-linux-gnu -c $< -o $@

$(BENCH_OUT)/emptyprobe: tools/bench/emptyprobe.c $(BENCH_OUT)/empty.bpf.o
	$(Q)$(CC) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -I$(OUT) \
		-Ibpf -Iuser/lib -o $@ $< $(OUT)/libttbpf.a \
		-lbpf -lelf -ldw -lcapstone -lz

bench-helpers: $(BENCH_OUT)/emptyprobe
