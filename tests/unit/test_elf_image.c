// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <zlib.h>
#include <cmocka.h>

#include "fixtures/fixture.h"
#include "elf_image.h"

static struct fx fx;

static int setup(void **state)
{
	(void)state;
	if (fx_init(&fx, __FILE__))
		return -1;
	if (fx_cxx(&fx, "lib.so", "fake_metal.cpp", "-O2 -shared -DFX_ERA=4") ||
	    fx_cxx(&fx, "asm.so", "asm_funcs.cpp",
		   "-shared -Wl,--build-id=sha1") ||
	    fx_cxx(&fx, "nobid.so", "plain.cpp",
		   "-shared -Wl,--build-id=none") ||
	    fx_cxx(&fx, "dbg.so", "plain.cpp", "-g -shared") ||
	    fx_cxx(&fx, "prog", "plain.cpp", "-DFX_MAIN -no-pie") ||
	    fx_cxx(&fx, "obj.o", "plain.cpp", "-c"))
		return -1;
	/* A real 32-bit object when the compiler can, else a patched copy. */
	if (fx_cxx(&fx, "obj32.o", "plain.cpp", "-m32 -c") &&
	    fx_sh("cp '%s' '%s' && printf '\\001' | dd of='%s' bs=1 seek=4 "
		  "conv=notrunc status=none",
		  fx_path(&fx, "obj.o"), fx_path(&fx, "obj32.o"),
		  fx_path(&fx, "obj32.o")))
		return -1;
	/* EM_AARCH64 (183 = 0xb7) in e_machine. */
	if (fx_sh("cp '%s' '%s' && printf '\\267\\000' | dd of='%s' bs=1 "
		  "seek=18 conv=notrunc status=none",
		  fx_path(&fx, "lib.so"), fx_path(&fx, "arm.so"),
		  fx_path(&fx, "arm.so")) ||
	    fx_sh("head -c 40 '%s' > '%s'", fx_path(&fx, "lib.so"),
		  fx_path(&fx, "trunc40.so")) ||
	    fx_sh("head -c $(( $(stat -c %%s '%s') / 2 )) '%s' > '%s'",
		  fx_path(&fx, "lib.so"), fx_path(&fx, "lib.so"),
		  fx_path(&fx, "trunchalf.so")) ||
	    fx_sh("echo 'not an elf file' > '%s'", fx_path(&fx, "text.so")) ||
	    fx_sh("printf '\\177EL' > '%s'", fx_path(&fx, "tiny.so")) ||
	    fx_sh("strip -o '%s' '%s'", fx_path(&fx, "asm-stripped.so"),
		  fx_path(&fx, "asm.so")) ||
	    fx_sh("cd '%s' && objcopy --only-keep-debug dbg.so dbg.debug && "
		  "strip --strip-debug -o dbg-linked.so dbg.so && "
		  "objcopy --add-gnu-debuglink=dbg.debug dbg-linked.so",
		  fx.dir))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fx_fini(&fx);
	return 0;
}

static int open_err(const char *name, char *err, size_t len)
{
	struct elf_image *img = NULL;
	int e = elf_image__open(name[0] == '/' ? name : fx_path(&fx, name),
				&img, err, len);

	assert_null(img);
	return e;
}

static void test_open_ok(void **state)
{
	struct elf_image *img;
	char err[256];

	(void)state;
	assert_int_equal(
		elf_image__open(fx_path(&fx, "lib.so"), &img, err, sizeof(err)),
		0);
	assert_string_equal(elf_image__path(img), fx_path(&fx, "lib.so"));
	assert_true(elf_image__fd(img) >= 0);
	elf_image__close(img);
	/* ET_EXEC works too. */
	assert_int_equal(
		elf_image__open(fx_path(&fx, "prog"), &img, err, sizeof(err)),
		0);
	elf_image__close(img);
	elf_image__close(NULL);
}

static void test_open_errors(void **state)
{
	char err[512];

	(void)state;
	assert_int_equal(open_err("missing.so", err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no such file"));
	assert_int_equal(open_err(fx.dir, err, sizeof(err)), -EISDIR);
	assert_non_null(strstr(err, "is a directory"));
	assert_int_equal(open_err("text.so", err, sizeof(err)),
			 ELF_IMAGE_ENOTELF);
	assert_non_null(strstr(err, "not an ELF file"));
	assert_int_equal(open_err("tiny.so", err, sizeof(err)),
			 ELF_IMAGE_ENOTELF);
	assert_int_equal(open_err("obj32.o", err, sizeof(err)),
			 ELF_IMAGE_EWRONGKIND);
	assert_non_null(strstr(err, "32-bit"));
	assert_int_equal(open_err("arm.so", err, sizeof(err)),
			 ELF_IMAGE_EMACHINE);
	assert_non_null(strstr(err, "machine 183"));
	assert_int_equal(open_err("obj.o", err, sizeof(err)),
			 ELF_IMAGE_EWRONGKIND);
	assert_non_null(strstr(err, "ELF type 1"));
	assert_int_equal(open_err("trunc40.so", err, sizeof(err)),
			 ELF_IMAGE_ETRUNC);
	assert_non_null(strstr(err, "truncated"));
	assert_int_equal(open_err("trunchalf.so", err, sizeof(err)),
			 ELF_IMAGE_ETRUNC);
	assert_non_null(strstr(err, "truncated"));
}

/* A FIFO would block open() forever: refused before opening, at once. */
static void test_open_fifo(void **state)
{
	char path[PATH_MAX], err[512];

	(void)state;
	snprintf(path, sizeof(path), "%s", fx_path(&fx, "fifo.so"));
	unlink(path);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(open_err("fifo.so", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "is a FIFO, not a library"));
	unlink(path);
	/* A symlink to a regular file is followed and checked. */
	assert_int_equal(symlink(fx_path(&fx, "text.so"), path), 0);
	assert_int_equal(open_err("fifo.so", err, sizeof(err)),
			 ELF_IMAGE_ENOTELF);
	unlink(path);
	/* Character devices are not opened either. */
	assert_int_equal(symlink("/dev/null", path), 0);
	assert_int_equal(open_err("fifo.so", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "is a device"));
	unlink(path);
}

static struct elf_image *open_ok(const char *name)
{
	struct elf_image *img = NULL;
	char err[256];

	assert_int_equal(
		elf_image__open(fx_path(&fx, name), &img, err, sizeof(err)), 0);
	return img;
}

/* nm is the oracle for symbol values and sizes. */
static void test_find_symbol_matches_nm(void **state)
{
	static const char *const names[] = {
		"_ZN2tt8tt_metal13AllocatorImpl15allocate_bufferEPNS0_6BufferE",
		"_ZNK2tt8tt_metal6Buffer4sizeEv",
		"_ZTVN2tt8tt_metal6DeviceE",
		"fx_off_size",
	};
	struct elf_image *img = open_ok("lib.so");
	const char *lib = fx_path(&fx, "lib.so");

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct elf_sym_info s;

		assert_int_equal(elf_image__find_symbol(img, names[i], &s), 0);
		assert_int_equal(s.value,
				 fx_num("nm -D --defined-only '%s' | awk "
					"'$3 == \"%s\" { print \"0x\" $1 }'",
					lib, names[i]));
		assert_int_equal(s.size,
				 fx_num("nm -DS --defined-only '%s' | awk "
					"'$4 == \"%s\" { print \"0x\" $2 }'",
					lib, names[i]));
		assert_true(s.in_dynsym);
	}
	assert_int_equal(elf_image__find_symbol(
				 img, "_ZNK2tt8tt_metal6Buffer4size", NULL),
			 -ENOENT);
	assert_int_equal(elf_image__find_symbol(img, "no_such_symbol", NULL),
			 -ENOENT);
	elf_image__close(img);
}

static void test_symtab_only_and_stripped(void **state)
{
	struct elf_image *img = open_ok("asm.so");
	struct elf_sym_info s;

	(void)state;
	/* Hidden: only in .symtab. */
	assert_int_equal(elf_image__find_symbol(img, "fx_other", &s), 0);
	assert_false(s.in_dynsym);
	assert_int_equal(s.value, fx_num("nm '%s' | awk '$3 == \"%s\" "
					 "{ print \"0x\" $1 }'",
					 fx_path(&fx, "asm.so"), "fx_other"));
	elf_image__close(img);
	img = open_ok("asm-stripped.so");
	assert_int_equal(elf_image__find_symbol(img, "fx_other", &s), -ENOENT);
	assert_int_equal(elf_image__find_symbol(img, "fx_multi_ret", &s), 0);
	assert_true(s.in_dynsym);
	elf_image__close(img);
}

struct count {
	int n;
	int stop_at;
};

static int count_cb(const char *name, const struct elf_sym_info *sym, void *ctx)
{
	struct count *c = ctx;

	(void)name;
	(void)sym;
	return ++c->n == c->stop_at ? 7 : 0;
}

static void test_prefix_iteration(void **state)
{
	const char *pfx = "_ZN2tt8tt_metal13AllocatorImpl";
	struct elf_image *img = open_ok("lib.so");
	struct count c = { 0, 0 };
	unsigned long long want;

	(void)state;
	/* Each name once, though it is in both .dynsym and .symtab. */
	want = fx_num("nm --defined-only '%s' | awk '{ print $3 }' | "
		      "grep '^%s' | sort -u | wc -l",
		      fx_path(&fx, "lib.so"), pfx);
	assert_int_equal(elf_image__for_each_symbol(img, pfx, count_cb, &c), 0);
	assert_int_equal(c.n, want);
	assert_true(c.n >= 6);
	c.n = 0;
	c.stop_at = 2;
	assert_int_equal(elf_image__for_each_symbol(img, pfx, count_cb, &c), 7);
	assert_int_equal(c.n, 2);
	elf_image__close(img);
}

static void test_vaddr_to_offset_and_read(void **state)
{
	struct elf_image *img = open_ok("asm.so");
	const char *lib = fx_path(&fx, "asm.so");
	struct elf_sym_info s;
	uint64_t off, magic = 0, via_file = 0;
	uint8_t *code;
	int fd;

	(void)state;
	assert_int_equal(elf_image__find_symbol(img, "fx_multi_ret", &s), 0);
	assert_int_equal(elf_image__vaddr_to_offset(img, s.value, &off), 0);
	assert_int_equal(
		off,
		fx_num("objdump -d -F '%s' | sed -n "
		       "'s/.*<%s> (File Offset: \\(0x[0-9a-f]*\\)).*/\\1/p'",
		       lib, "fx_multi_ret"));
	assert_int_equal(elf_image__read_function(img, &s, &code), 0);
	/* endbr64, as written in asm_funcs.cpp */
	assert_memory_equal(code, "\xf3\x0f\x1e\xfa", 4);
	free(code);

	/* .data sits at a different file offset than its address. */
	assert_int_equal(elf_image__find_symbol(img, "fx_data", &s), 0);
	assert_int_equal(elf_image__read(img, s.value, &magic, 8), 0);
	assert_int_equal(magic, 0x1122334455667788ULL);
	assert_int_equal(elf_image__vaddr_to_offset(img, s.value, &off), 0);
	assert_int_not_equal(off, s.value);
	fd = open(lib, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &via_file, 8, (off_t)off), 8);
	close(fd);
	assert_int_equal(via_file, 0x1122334455667788ULL);

	assert_int_equal(
		elf_image__vaddr_to_offset(img, 0xdead0000000ULL, &off),
		-ENOENT);
	assert_int_equal(elf_image__read(img, 0xdead0000000ULL, &magic, 8),
			 -ENOENT);
	elf_image__close(img);
}

static void test_symbol_at(void **state)
{
	struct elf_image *img = open_ok("asm.so");
	struct elf_sym_info s;
	char name[128];
	unsigned long long r1 = fx_sym(fx_path(&fx, "asm.so"), "fx_mr_r1");

	(void)state;
	assert_int_equal(elf_image__symbol_at(img, r1, name, sizeof(name), &s),
			 0);
	assert_string_equal(name, "fx_multi_ret");
	assert_int_equal(elf_image__symbol_at(img, 1, name, sizeof(name), &s),
			 -ENOENT);
	elf_image__close(img);
}

/* objdump's <name@plt> annotations are the oracle. */
static void test_plt_symbol(void **state)
{
	const char *lib = fx_path(&fx, "lib.so");
	struct elf_image *img = open_ok("lib.so");
	unsigned long long at;
	char name[128];

	(void)state;
	at = fx_num("objdump -d '%s' | sed -n 's/^\\(0*[0-9a-f]*\\) <%s@plt>:"
		    "/0x\\1/p'",
		    lib, "pthread_mutex_lock");
	assert_int_not_equal(at, ~0ULL);
	assert_int_equal(elf_image__plt_symbol(img, at, name, sizeof(name)), 0);
	assert_string_equal(name, "pthread_mutex_lock");
	at = fx_num("objdump -d '%s' | sed -n 's/^\\(0*[0-9a-f]*\\) <%s@plt>:"
		    "/0x\\1/p'",
		    lib, "__cxa_throw");
	assert_int_equal(elf_image__plt_symbol(img, at, name, sizeof(name)), 0);
	assert_string_equal(name, "__cxa_throw");
	/* not in the PLT */
	assert_int_equal(elf_image__plt_symbol(img, fx_sym(lib, "fx_off_size"),
					       name, sizeof(name)),
			 -ENOENT);
	elf_image__close(img);
}

static void test_build_id(void **state)
{
	struct elf_image *img = open_ok("asm.so");
	uint8_t id[64];
	char hex[160] = "", want[160];
	int n;

	(void)state;
	n = elf_image__build_id(img, id, sizeof(id));
	assert_int_equal(n, 20); /* sha1 */
	for (int i = 0; i < n; i++)
		sprintf(hex + 2 * i, "%02x", id[i]);
	assert_int_equal(fx_out(want, sizeof(want),
				"readelf -n '%s' | sed -n 's/.*Build ID: //p'",
				fx_path(&fx, "asm.so")),
			 0);
	assert_string_equal(hex, want);
	assert_int_equal(elf_image__build_id(img, id, 4), -ENOSPC);
	elf_image__close(img);
	img = open_ok("nobid.so");
	assert_int_equal(elf_image__build_id(img, id, sizeof(id)), -ENOENT);
	elf_image__close(img);
}

static void test_debuglink_and_debug_info(void **state)
{
	struct elf_image *img = open_ok("dbg-linked.so");
	unsigned char buf[65536];
	char name[64];
	uint32_t crc;
	uLong want = crc32(0L, Z_NULL, 0);
	ssize_t n;
	int fd;

	(void)state;
	assert_int_equal(elf_image__debuglink(img, name, sizeof(name), &crc),
			 0);
	assert_string_equal(name, "dbg.debug");
	fd = open(fx_path(&fx, "dbg.debug"), O_RDONLY);
	assert_true(fd >= 0);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		want = crc32(want, buf, (uInt)n);
	close(fd);
	assert_int_equal(crc, (uint32_t)want);
	assert_int_equal(elf_image__has_debug_info(img), 0);
	elf_image__close(img);

	img = open_ok("dbg.so");
	assert_int_equal(elf_image__has_debug_info(img), 1);
	assert_int_equal(elf_image__debuglink(img, name, sizeof(name), &crc),
			 -ENOENT);
	elf_image__close(img);
	img = open_ok("lib.so");
	assert_int_equal(elf_image__has_debug_info(img), 0);
	elf_image__close(img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_ok),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_open_fifo),
		cmocka_unit_test(test_find_symbol_matches_nm),
		cmocka_unit_test(test_symtab_only_and_stripped),
		cmocka_unit_test(test_prefix_iteration),
		cmocka_unit_test(test_vaddr_to_offset_and_read),
		cmocka_unit_test(test_symbol_at),
		cmocka_unit_test(test_plt_symbol),
		cmocka_unit_test(test_build_id),
		cmocka_unit_test(test_debuglink_and_debug_info),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
