// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "capacity.h"
#include "format.h"

#define KiB 1024ULL
#define MiB (1024ULL * KiB)
#define GiB (1024ULL * MiB)

#define TT_PCI_VENDOR 0x1e52

/*
 * From the SoC descriptors (tt-metal-abi.md section 5). L1 is per worker
 * core times the worker cores of the compute grid: an interleaved L1
 * buffer's size spans all banks, so usage is compared with the total.
 * Allocatable space is smaller (reserved bases, carve-outs); a user who
 * knows their config passes --capacity.
 */
static const struct arch_entry {
	const char *name;
	uint16_t pci_device;
	uint64_t dram;
	uint64_t l1;
} arches[] = {
	/* n150: 12 banks x 1 GiB; 8x8 compute grid x 1,499,136 B */
	{ "wormhole_b0", 0x401e, 12 * GiB, 64ULL * 1499136 },
	/* p150: 8 x (4 GiB - 16 MiB); 140 workers x 1,499,136 B */
	{ "blackhole", 0xb140, 8 * (4 * GiB - 16 * MiB), 140ULL * 1499136 },
	/* 8 GiB; 120 workers x 1 MiB */
	{ "grayskull", 0xfaca, 8 * GiB, 120 * MiB },
};

#define NR_ARCHES (sizeof(arches) / sizeof(arches[0]))

const char *capacity__arch_names(void)
{
	return "wormhole_b0|blackhole|grayskull";
}

int capacity__for_arch(const char *arch, struct capacity *c)
{
	for (size_t i = 0; i < NR_ARCHES; i++) {
		if (strcmp(arch, arches[i].name))
			continue;
		memset(c, 0, sizeof(*c));
		c->bytes[TTBPF_DRAM] = arches[i].dram;
		c->bytes[TTBPF_L1] = arches[i].l1;
		snprintf(c->arch, sizeof(c->arch), "%s", arches[i].name);
		return 0;
	}
	return -ENOENT;
}

static int parse_bytes(const char *s, size_t n, uint64_t *out)
{
	static const struct {
		const char *sfx;
		uint64_t mul;
	} sfx[] = {
		{ "", 1 },	{ "K", KiB },	     { "KiB", KiB },
		{ "M", MiB },	{ "MiB", MiB },	     { "G", GiB },
		{ "GiB", GiB }, { "T", 1024 * GiB }, { "TiB", 1024 * GiB },
	};
	uint64_t v = 0;
	size_t i = 0;

	while (i < n && isdigit((unsigned char)s[i])) {
		unsigned int d = (unsigned int)(s[i] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
		i++;
	}
	if (!i)
		return -EINVAL;
	for (size_t k = 0; k < sizeof(sfx) / sizeof(sfx[0]); k++) {
		if (strlen(sfx[k].sfx) != n - i ||
		    strncmp(s + i, sfx[k].sfx, n - i))
			continue;
		if (v > UINT64_MAX / sfx[k].mul)
			return -EINVAL;
		v *= sfx[k].mul;
		/* Zero would draw a full bar for any use: not a capacity. */
		if (!v)
			return -EINVAL;
		*out = v;
		return 0;
	}
	return -EINVAL;
}

int capacity__parse(const char *spec, struct capacity *c)
{
	struct capacity tmp = *c;
	const char *p = spec;

	if (!*p)
		return -EINVAL;
	for (;;) {
		const char *eq = strchr(p, '='), *end = strchr(p, ',');
		char name[32];
		int type;

		if (!end)
			end = p + strlen(p);
		if (!eq || eq > end || (size_t)(eq - p) >= sizeof(name))
			return -EINVAL;
		memcpy(name, p, (size_t)(eq - p));
		name[eq - p] = '\0';
		type = format_type_parse(name);
		if (type < 0)
			return -EINVAL;
		if (parse_bytes(eq + 1, (size_t)(end - eq - 1),
				&tmp.bytes[type]))
			return -EINVAL;
		if (!*end)
			break;
		p = end + 1;
	}
	*c = tmp;
	return 0;
}

static int read_hex_file(const char *path, unsigned long *out)
{
	char buf[32], *end;
	FILE *f = fopen(path, "r");
	int err = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f)) {
		err = -EIO;
		goto cleanup;
	}
	errno = 0;
	*out = strtoul(buf, &end, 16);
	if (errno || end == buf)
		err = -EINVAL;
cleanup:
	fclose(f);
	return err;
}

int capacity__detect_arch(const char *sysfs_root, char *arch, size_t len)
{
	const char *found = NULL;
	struct dirent *de;
	char path[512];
	DIR *d;

	snprintf(path, sizeof(path), "%s/bus/pci/devices", sysfs_root);
	d = opendir(path);
	if (!d)
		return -ENOENT;
	while ((de = readdir(d))) {
		unsigned long vendor, device;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/vendor",
			 sysfs_root, de->d_name);
		if (read_hex_file(path, &vendor) || vendor != TT_PCI_VENDOR)
			continue;
		snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/device",
			 sysfs_root, de->d_name);
		if (read_hex_file(path, &device))
			continue;
		for (size_t i = 0; i < NR_ARCHES; i++) {
			if (arches[i].pci_device != device)
				continue;
			if (found && found != arches[i].name) {
				closedir(d);
				return -ENOTUNIQ;
			}
			found = arches[i].name;
		}
	}
	closedir(d);
	if (!found)
		return -ENOENT;
	snprintf(arch, len, "%s", found);
	return 0;
}

int capacity__from_options(const char *arch, const char *spec,
			   const char *sysfs_root, struct capacity *c,
			   char *msg, size_t msglen)
{
	char found[32];

	memset(c, 0, sizeof(*c));
	if (arch) {
		if (capacity__for_arch(arch, c)) {
			snprintf(msg, msglen, "unknown --arch %s (known: %s)",
				 arch, capacity__arch_names());
			return -EINVAL;
		}
	} else if (!capacity__detect_arch(sysfs_root, found, sizeof(found))) {
		capacity__for_arch(found, c);
	}
	if (spec && capacity__parse(spec, c)) {
		snprintf(msg, msglen,
			 "invalid --capacity %s (want TYPE=BYTES[,TYPE=BYTES], "
			 "e.g. DRAM=12G)",
			 spec);
		return -EINVAL;
	}
	return 0;
}
