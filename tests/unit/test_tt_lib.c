// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fixtures/fixture.h"
#include "tt_lib.h"

static struct fx fx;
static struct tt_lib_info info;

static const char e4_alloc[] =
	"_ZN2tt8tt_metal13AllocatorImpl15allocate_bufferEPNS0_6BufferE";

static int setup(void **state)
{
	(void)state;
	if (fx_init(&fx, __FILE__) ||
	    fx_cxx(&fx, "e4.so", "fake_metal.cpp", "-O2 -shared -DFX_ERA=4") ||
	    fx_cxx(&fx, "e4g.so", "fake_metal.cpp",
		   "-O2 -g -shared -DFX_ERA=4") ||
	    fx_cxx(&fx, "e4tail.so", "fake_metal.cpp",
		   "-O2 -shared -DFX_ERA=4 -DFX_TAILCALL") ||
	    fx_cxx(&fx, "e3.so", "fake_metal.cpp", "-O2 -shared -DFX_ERA=3") ||
	    fx_cxx(&fx, "e3early.so", "fake_metal.cpp",
		   "-O2 -shared -DFX_ERA=3 -DFX_E3_EARLY") ||
	    fx_cxx(&fx, "e2.so", "fake_metal.cpp", "-O2 -shared -DFX_ERA=2") ||
	    fx_cxx(&fx, "plain.so", "plain.cpp", "-O2 -shared") ||
	    fx_sh("strip -o '%s' '%s'", fx_path(&fx, "e4-stripped.so"),
		  fx_path(&fx, "e4.so")))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fx_fini(&fx);
	return 0;
}

static int analyze(const char *lib, const char *layout, char *err, size_t len)
{
	/* no separate debug files from the host */
	return tt_lib_analyze_at(lib, layout, fx_path(&fx, "no-debug-root"),
				 &info, err, len);
}

static __s32 field(enum tt_layout_field f)
{
	const struct ttbpf_layout *l = &info.layout;
	const __s32 v[] = { l->impl_off,      l->device_off,  l->size_off,
			    l->type_off,      l->address_off, l->page_size_off,
			    l->device_id_off, l->mesh_id_off };

	return v[f];
}

/*
 * The Buffer/Device fields equal the fixture's own offsetof() values; the
 * Buffer fields' sources are @src, one letter per field from impl to
 * page_size (D dwarf, A accessor, P profile).
 */
static void expect_truth(const char *lib, const char *src)
{
	for (int f = TT_F_IMPL; f <= TT_F_MESH_ID; f++) {
		enum tt_layout_source want;

		if (field(f) != fx_long(lib, fx_truth_sym[f]))
			fail_msg("%s: %s = %d from %s, truth %ld", lib,
				 tt_layout_field_name(f), field(f),
				 tt_layout_source_name(info.source[f]),
				 fx_long(lib, fx_truth_sym[f]));
		if (f > TT_F_PAGE_SIZE)
			continue;
		want = src[f] == 'D'   ? TT_SRC_DWARF
		       : src[f] == 'A' ? TT_SRC_ACCESSOR
				       : TT_SRC_PROFILE;
		if (info.source[f] != want)
			fail_msg("%s: %s from %s, want %s", lib,
				 tt_layout_field_name(f),
				 tt_layout_source_name(info.source[f]),
				 tt_layout_source_name(want));
	}
}

static size_t count_role(enum ttbpf_probe_role r)
{
	size_t n = 0;

	for (size_t i = 0; i < info.n_sites; i++)
		n += info.sites[i].role == r;
	return n;
}

/* Every probe is on an instruction the kernel emulates (a push): none
 * is single-stepped on the allocation path. */
static void expect_all_emulated(void)
{
	for (size_t i = 0; i < info.n_sites; i++)
		if (!info.sites[i].emulated)
			fail_msg("%s: site %s at 0x%llx (%s) is single-stepped",
				 info.path, info.sites[i].symbol,
				 (unsigned long long)info.sites[i].vaddr,
				 info.sites[i].insn);
}

static void test_e4_accessors(void **state)
{
	const char *lib = fx_path(&fx, "e4.so");
	const struct tt_probe_site *s;
	char err[256];

	(void)state;
	assert_int_equal(analyze(lib, NULL, err, sizeof(err)), 0);
	assert_int_equal(info.era, 4);
	assert_string_equal(info.era_name, "E4 AllocatorImpl (late 2025+)");
	assert_int_equal(info.layout.call_form, TTBPF_CALL_MEMBER);
	assert_false(info.has_dwarf);
	expect_truth(lib, "AAAAAA");
	assert_int_equal(info.source[TT_F_DEVICE_ID], TT_SRC_ACCESSOR);
	assert_non_null(
		strstr(info.source_detail[TT_F_SIZE], "Buffer::size() @0x"));
	assert_int_equal(info.layout.device_vtable,
			 fx_sym(lib, "_ZTVN2tt8tt_metal6DeviceE") + 16);
	assert_int_equal(info.layout.mesh_vtable,
			 fx_sym(lib, "_ZTVN2tt8tt_metal11distributed10"
				     "MeshDeviceE") +
				 16);
	assert_int_equal(info.source[TT_F_DEVICE_VTABLE], TT_SRC_SYMBOL);

	/* sites: entry, free, 3 bulk; no return is probed */
	s = &info.sites[0];
	assert_int_equal(s->role, TTBPF_ROLE_ALLOC_ENTRY);
	assert_string_equal(s->symbol, e4_alloc);
	assert_int_equal(s->vaddr, fx_sym(lib, e4_alloc));
	assert_int_equal(
		s->file_offset,
		fx_num("objdump -d -F '%s' | sed -n "
		       "'s/.*<%s> (File Offset: \\(0x[0-9a-f]*\\)).*/\\1/p'",
		       lib, e4_alloc));
	assert_int_equal(count_role(TTBPF_ROLE_FREE_ENTRY), 1);
	assert_int_equal(count_role(TTBPF_ROLE_BULK_FREE), 3);
	assert_int_equal(info.n_sites, 1 + 1 + 3);
	expect_all_emulated();
}

/* No .symtab (like the stand-in's release build): same sites and layout. */
static void test_e4_stripped(void **state)
{
	const char *lib = fx_path(&fx, "e4.so");
	struct tt_lib_info full;
	char err[256];

	(void)state;
	assert_int_equal(analyze(lib, NULL, err, sizeof(err)), 0);
	full = info;
	assert_int_equal(
		analyze(fx_path(&fx, "e4-stripped.so"), NULL, err, sizeof(err)),
		0);
	assert_int_equal(info.n_sites, full.n_sites);
	for (size_t i = 0; i < info.n_sites; i++) {
		assert_int_equal(info.sites[i].vaddr, full.sites[i].vaddr);
		assert_int_equal(info.sites[i].file_offset,
				 full.sites[i].file_offset);
		assert_int_equal(info.sites[i].role, full.sites[i].role);
	}
	assert_memory_equal(&info.layout, &full.layout, sizeof(info.layout));
	expect_truth(lib, "AAAAAA");
}

static void test_e4_dwarf_wins(void **state)
{
	const char *lib = fx_path(&fx, "e4g.so");
	char err[256];

	(void)state;
	assert_int_equal(analyze(lib, NULL, err, sizeof(err)), 0);
	assert_true(info.has_dwarf);
	assert_string_equal(info.debug_file, "");
	expect_truth(lib, "DDDDDD");
	assert_int_equal(info.source[TT_F_DEVICE_ID], TT_SRC_DWARF);
	assert_int_equal(info.source[TT_F_MESH_ID], TT_SRC_DWARF);
	assert_string_equal(info.source_detail[TT_F_ADDRESS],
			    "DWARF BufferImpl::address_ (e4g.so)");
}

/* E3/E2 release builds: the profile must fit the real member lists. */
static void test_e3_e2_profiles(void **state)
{
	const char *e3 = fx_path(&fx, "e3.so"), *e2 = fx_path(&fx, "e2.so");
	const char *e3early = fx_path(&fx, "e3early.so");
	char err[256];

	(void)state;
	assert_int_equal(analyze(e3, NULL, err, sizeof(err)), 0);
	assert_int_equal(info.era, 3);
	/* device_ only from the profile: the rest from exported code */
	expect_truth(e3, "APAAAA");
	assert_string_equal(info.profile,
			    "E3/E4 inline Buffer (mid/late 2025)");
	assert_non_null(strstr(info.source_detail[TT_F_TYPE],
			       "Buffer::is_trace() @0x"));
	assert_non_null(strstr(info.source_detail[TT_F_SIZE],
			       "Buffer::num_pages() @0x"));

	/* early 2025: the code contradicts the era's profile */
	assert_int_equal(analyze(e3early, NULL, err, sizeof(err)), 0);
	assert_int_equal(info.era, 3);
	expect_truth(e3early, "APAAAA");
	assert_string_equal(info.profile,
			    "E2/early-E3 Buffer (Dec 2024 - early 2025)");
	assert_non_null(strstr(info.notes, "chosen over"));
	assert_int_equal(info.source[TT_F_DEVICE_ID], TT_SRC_ACCESSOR);

	assert_int_equal(analyze(e2, NULL, err, sizeof(err)), 0);
	assert_int_equal(info.era, 2);
	assert_int_equal(info.layout.call_form, TTBPF_CALL_FREE_FN);
	expect_truth(e2, "APAAAA");
	assert_string_equal(info.profile,
			    "E2/early-E3 Buffer (Dec 2024 - early 2025)");
	/* the v0:: names of the accessors */
	assert_non_null(
		strstr(info.source_detail[TT_F_ADDRESS], "Buffer::address()"));
	assert_int_equal(info.layout.device_vtable,
			 fx_sym(e2, "_ZTVN2tt8tt_metal2v06DeviceE") + 16);
}

static void test_override_wins(void **state)
{
	const char *lib = fx_path(&fx, "e4g.so");
	char err[256];

	(void)state;
	assert_int_equal(
		analyze(lib, "size=0x99,mesh_vtable=0x1234", err, sizeof(err)),
		0);
	assert_int_equal(info.layout.size_off, 0x99);
	assert_int_equal(info.source[TT_F_SIZE], TT_SRC_OVERRIDE);
	assert_string_equal(info.source_detail[TT_F_SIZE], "--layout");
	assert_int_equal(info.layout.mesh_vtable, 0x1234);
	assert_int_equal(info.source[TT_F_MESH_VTABLE], TT_SRC_OVERRIDE);
	/* the rest untouched */
	assert_int_equal(info.layout.address_off,
			 fx_long(lib, "fx_off_address"));
	assert_int_equal(info.source[TT_F_ADDRESS], TT_SRC_DWARF);
}

/* A tail call out of allocate_buffer changes nothing: only its entry is
 * probed, and a throw in the callee still finds the caller's return
 * address in its slot. */
static void test_tail_call_entry_only(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(
		analyze(fx_path(&fx, "e4tail.so"), NULL, err, sizeof(err)), 0);
	assert_int_equal(count_role(TTBPF_ROLE_ALLOC_ENTRY), 1);
	assert_int_equal(count_role(TTBPF_ROLE_FREE_ENTRY), 1);
	assert_null(strstr(info.notes, "tail-calls"));
}

static void test_errors(void **state)
{
	char err[512];

	(void)state;
	assert_int_equal(
		analyze(fx_path(&fx, "plain.so"), NULL, err, sizeof(err)),
		-ENOENT);
	assert_non_null(strstr(err, "no allocator symbols: tried E4 "
				    "AllocatorImpl, E3 Allocator, E2 "
				    "allocator:: free functions"));
	assert_int_equal(
		analyze(fx_path(&fx, "missing.so"), NULL, err, sizeof(err)),
		-ENOENT);
	assert_non_null(strstr(err, "no such file"));
	assert_int_equal(analyze(fx.dir, NULL, err, sizeof(err)), -EISDIR);
	assert_int_equal(
		analyze(fx_path(&fx, "e4.so"), "size=oops", err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "'size=oops'"));
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(tt_layout_source_name(TT_SRC_NONE), "none");
	assert_string_equal(tt_layout_source_name(TT_SRC_DWARF), "dwarf");
	assert_string_equal(tt_layout_source_name(TT_SRC_ACCESSOR), "accessor");
	assert_string_equal(tt_layout_source_name(TT_SRC_PROFILE), "profile");
	assert_string_equal(tt_layout_source_name(TT_SRC_OVERRIDE), "override");
	assert_string_equal(tt_layout_source_name(TT_SRC_SYMBOL), "symbol");
}

static void test_explain(void **state)
{
	const char *lib = fx_path(&fx, "e4.so");
	char err[256], want[160], *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_int_equal(analyze(lib, NULL, err, sizeof(err)), 0);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	tt_lib_explain(&info, f);
	fclose(f);
	assert_non_null(strstr(buf, "E4 AllocatorImpl (late 2025+)"));
	for (size_t i = 0; i < info.n_sites; i++) {
		snprintf(want, sizeof(want), "0x%-8llx file+0x%-8llx",
			 (unsigned long long)info.sites[i].vaddr,
			 (unsigned long long)info.sites[i].file_offset);
		assert_non_null(strstr(buf, want));
	}
	assert_non_null(strstr(buf, "alloc-entry"));
	assert_non_null(strstr(buf, "bulk-free"));
	assert_null(strstr(buf, "single-stepped"));
	snprintf(want, sizeof(want), "  size          %-10d accessor  %s",
		 info.layout.size_off, info.source_detail[TT_F_SIZE]);
	assert_non_null(strstr(buf, want));
	assert_non_null(strstr(buf, "device_vtable"));
	free(buf);
}

/*
 * The stand-in TT-Metal builds, when present ($TTSIM_OUT, default
 * build/ttsim from the repository root): era and the offsets of
 * tt-metal-abi.md section 3. E2's expected offsets are taken from its
 * debug build's DWARF, the compiler's own account of its Buffer.
 */
static void ttsim_path(char *buf, size_t len, const char *variant)
{
	const char *root = getenv("TTSIM_OUT");

	snprintf(buf, len, "%s/%s/libtt_metal.so",
		 root && *root ? root : "build/ttsim", variant);
}

static void expect_layout(const char *v, int impl, int dev, int size, int type,
			  int addr, int page)
{
	if (info.layout.impl_off != impl || info.layout.device_off != dev ||
	    info.layout.size_off != size || info.layout.type_off != type ||
	    info.layout.address_off != addr ||
	    info.layout.page_size_off != page)
		fail_msg("%s: got impl %d device %d size %d type %d address "
			 "%d page_size %d, want %d %d %d %d %d %d",
			 v, info.layout.impl_off, info.layout.device_off,
			 info.layout.size_off, info.layout.type_off,
			 info.layout.address_off, info.layout.page_size_off,
			 impl, dev, size, type, addr, page);
	assert_int_not_equal(info.layout.device_vtable, 0);
}

static void test_ttsim(void **state)
{
	static const char *const variants[] = {
		"e4-debug",   "e4-release", "e3-debug",
		"e3-release", "e2-debug",   "e2-release",
	};
	struct ttbpf_layout e2dbg = { 0 };
	int seen = 0;

	(void)state;
	for (size_t i = 0; i < 6; i++) {
		char path[PATH_MAX], err[512];
		int era = variants[i][1] - '0';

		ttsim_path(path, sizeof(path), variants[i]);
		if (access(path, R_OK))
			continue;
		seen++;
		if (tt_lib_analyze_at(path, NULL, fx_path(&fx, "no-root"),
				      &info, err, sizeof(err)))
			fail_msg("%s: %s", path, err);
		assert_int_equal(info.era, era);
		assert_int_equal(count_role(TTBPF_ROLE_ALLOC_ENTRY), 1);
		assert_int_equal(count_role(TTBPF_ROLE_FREE_ENTRY), 1);
		expect_all_emulated();
		if (strstr(variants[i], "debug"))
			assert_int_equal(info.source[TT_F_SIZE], TT_SRC_DWARF);
		assert_int_equal(info.layout.device_id_off, 8);
		if (era == 4)
			expect_layout(variants[i], 16, 0, 8, 16, 64, 72);
		else if (era == 3)
			expect_layout(variants[i], -1, 16, 24, 32, 80, 88);
		else if (!strcmp(variants[i], "e2-debug"))
			e2dbg = info.layout;
		else if (e2dbg.size_off)
			expect_layout(variants[i], e2dbg.impl_off,
				      e2dbg.device_off, e2dbg.size_off,
				      e2dbg.type_off, e2dbg.address_off,
				      e2dbg.page_size_off);
	}
	if (!seen)
		skip();
}

/*
 * Real libtt_metal.so files (e.g. from ttnn wheels), when listed in
 * $TTBPF_REAL_LIBS (colon-separated): the E4 pimpl Buffer must decode to
 * tt-metal-abi.md section 3 from the accessors' machine code.
 */
static void test_real_libs(void **state)
{
	const char *env = getenv("TTBPF_REAL_LIBS");
	char list[4096], *save = NULL;

	(void)state;
	if (!env || !*env)
		skip();
	snprintf(list, sizeof(list), "%s", env);
	for (char *p = strtok_r(list, ":", &save); p;
	     p = strtok_r(NULL, ":", &save)) {
		char err[512];

		if (tt_lib_analyze_at(p, NULL, fx_path(&fx, "no-root"), &info,
				      err, sizeof(err)))
			fail_msg("%s: %s", p, err);
		assert_true(info.era >= 2 && info.era <= 4);
		assert_int_equal(count_role(TTBPF_ROLE_ALLOC_ENTRY), 1);
		expect_all_emulated();
		assert_int_not_equal(info.layout.device_vtable, 0);
		/* section 3: the pimpl Buffer, or the 2025 inline one */
		if (info.era == 4 && info.layout.impl_off >= 0)
			expect_layout(p, 16, 0, 8, 16, 64, 72);
		else if (info.era >= 3 && info.layout.page_size_off == 88)
			expect_layout(p, -1, 16, 24, 32, 80, 88);
		assert_int_equal(info.source[TT_F_SIZE], TT_SRC_ACCESSOR);
		assert_int_equal(info.source[TT_F_ADDRESS], TT_SRC_ACCESSOR);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_e4_accessors),
		cmocka_unit_test(test_e4_stripped),
		cmocka_unit_test(test_e4_dwarf_wins),
		cmocka_unit_test(test_e3_e2_profiles),
		cmocka_unit_test(test_override_wins),
		cmocka_unit_test(test_tail_call_entry_only),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_explain),
		cmocka_unit_test(test_ttsim),
		cmocka_unit_test(test_real_libs),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
