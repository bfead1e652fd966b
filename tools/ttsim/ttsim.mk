# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# The stand-in TT-Metal: libtt_metal.so in three ABI eras (e2, e3, e4), each
# built as `debug` (-O2 -g, like RelWithDebInfo) and `release` (-O3, no -g,
# .symtab stripped, .dynsym kept, like the wheels), plus the ttsim-run
# workload driver. Included by the root Makefile.
#
# Both the library and the driver keep frame pointers
# (-fno-omit-frame-pointer): ttbpf's leak report walks them from the
# allocator up to the workload's own functions. Leaf functions (the Buffer
# accessors) omit them, so their code reads like a frame-pointer-less -O3
# build: a tracer decodes offsets from it. tt-metal builds with Clang, which
# adds no endbr64 unless asked; -fcf-protection=none keeps it so with any
# compiler default.

TTSIM_CXX ?= $(shell command -v clang++ 2>/dev/null || echo $(CXX))
TTSIM_ERAS := e2 e3 e4
TTSIM_CFGS := debug release
TTSIM_VARIANTS := $(foreach e,$(TTSIM_ERAS),$(foreach c,$(TTSIM_CFGS),$(e)-$(c)))
TTSIM_LIBS := $(foreach v,$(TTSIM_VARIANTS),$(TTSIM_OUT)/$(v)/libtt_metal.so)
TTSIM_RUN := $(TTSIM_OUT)/ttsim-run

TTSIM_SRCS := $(wildcard tools/ttsim/src/*.cpp)
# The reporter's object only in the client build: the six variants link
# exactly the objects they always did (even an empty one moves padding).
TTSIM_SRCS_debug := $(filter-out %/alloc_client.cpp,$(TTSIM_SRCS))
TTSIM_SRCS_release := $(TTSIM_SRCS_debug)
TTSIM_SRCS_client := $(TTSIM_SRCS)
TTSIM_RUN_SRCS := $(wildcard tools/ttsim/run/*.cpp)

TTSIM_CXXFLAGS := -std=c++17 -fPIC -fno-omit-frame-pointer -momit-leaf-frame-pointer \
		  -fvisibility-inlines-hidden -fcf-protection=none \
		  -Wall -Wextra -Werror -MMD -MP \
		  -Itools/ttsim/include -Itools/ttsim/src
TTSIM_debug_FLAGS := -O2 -g
TTSIM_release_FLAGS := -O3
# Not a variant (the test suites loop over TTSIM_VARIANTS): e4 release with
# the allocation-server reporter patched in, for the overhead bench only.
TTSIM_client_FLAGS := $(TTSIM_release_FLAGS) -DTTSIM_ALLOC_CLIENT
TTSIM_CLIENT_LIB := $(TTSIM_OUT)/e4-client/libtt_metal.so
# Not a variant either: e4 built like the ttnn wheels since 0.66, without
# frame pointers (symbols kept), for the --native-unwind test. The
# frame-pointer walk sees the allocator and its caller only.
TTSIM_SRCS_nofp := $(TTSIM_SRCS_debug)
TTSIM_nofp_FLAGS := -O2 -fomit-frame-pointer
TTSIM_NOFP_LIB := $(TTSIM_OUT)/e4-nofp/libtt_metal.so
# Driver: sibling calls off too, so each leak_* function keeps its frame.
TTSIM_RUN_CXXFLAGS := -std=c++17 -O2 -g -fno-omit-frame-pointer \
		      -fno-optimize-sibling-calls -fcf-protection=none \
		      -Wall -Wextra -Werror -MMD -MP -Itools/ttsim/include

.PHONY: ttsim ttsim-client
ttsim: $(TTSIM_LIBS) $(TTSIM_NOFP_LIB) $(TTSIM_RUN)
ttsim-client: $(TTSIM_CLIENT_LIB) $(TTSIM_RUN)

# $(1) = era (e2), $(2) = cfg (debug, release, or client: see above)
define TTSIM_VARIANT_RULES
$(TTSIM_OUT)/obj/$(1)-$(2)/%.o: tools/ttsim/src/%.cpp tools/ttsim/ttsim.mk
	$$(call msg,CXX,$$@)
	$$(Q)mkdir -p $$(@D)
	$$(Q)$$(TTSIM_CXX) $$(TTSIM_CXXFLAGS) $$(TTSIM_$(2)_FLAGS) \
		-DTTSIM_ERA=$(subst e,,$(1)) -c $$< -o $$@

$(TTSIM_OUT)/$(1)-$(2)/libtt_metal.so: $(patsubst tools/ttsim/src/%.cpp,$(TTSIM_OUT)/obj/$(1)-$(2)/%.o,$(TTSIM_SRCS_$(2)))
	$$(call msg,LINK,$$@)
	$$(Q)mkdir -p $$(@D)
	$$(Q)$$(TTSIM_CXX) -shared -Wl,-soname,libtt_metal.so -Wl,-z,defs \
		$$^ -pthread -o $$@
	$$(if $$(filter release client,$(2)),$$(Q)strip --strip-all $$@)

-include $(wildcard $(TTSIM_OUT)/obj/$(1)-$(2)/*.d)
endef

$(foreach e,$(TTSIM_ERAS),$(foreach c,$(TTSIM_CFGS),\
	$(eval $(call TTSIM_VARIANT_RULES,$(e),$(c)))))
$(eval $(call TTSIM_VARIANT_RULES,e4,client))
$(eval $(call TTSIM_VARIANT_RULES,e4,nofp))

$(TTSIM_OUT)/obj/run/%.o: tools/ttsim/run/%.cpp tools/ttsim/ttsim.mk
	$(call msg,CXX,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(TTSIM_CXX) $(TTSIM_RUN_CXXFLAGS) -c $< -o $@

# Linked against e4-debug without an rpath: LD_LIBRARY_PATH picks the
# variant at run time; it only calls ttsim:: functions, the same in all.
$(TTSIM_RUN): $(patsubst tools/ttsim/run/%.cpp,$(TTSIM_OUT)/obj/run/%.o,$(TTSIM_RUN_SRCS)) \
	      $(TTSIM_OUT)/e4-debug/libtt_metal.so
	$(call msg,LINK,$@)
	$(Q)$(TTSIM_CXX) -rdynamic $(filter %.o,$^) \
		-L$(TTSIM_OUT)/e4-debug -ltt_metal -pthread -o $@

-include $(wildcard $(TTSIM_OUT)/obj/run/*.d)
