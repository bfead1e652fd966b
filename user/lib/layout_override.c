// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"
#include "layout_override.h"

static void known_keys(char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int f = 0; f < TT_NR_FIELDS && used < len; f++)
		used += (size_t)snprintf(
			buf + used, len - used, "%s%s", f ? ", " : "",
			tt_layout_field_name((enum tt_layout_field)f));
}

/* Decimal, or hex after 0x; octal would turn "010" into 8. */
static int parse_value(const char *s, int64_t *v)
{
	int neg = *s == '-';
	const char *p = s + neg;
	int base = 10;
	unsigned long long u;
	char *end;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	if (!isxdigit((unsigned char)*p))
		return -EINVAL;
	errno = 0;
	u = strtoull(p, &end, base);
	if (errno || *end || u > (1ULL << 48))
		return -EINVAL;
	*v = neg ? -(int64_t)u : (int64_t)u;
	return 0;
}

static int in_range(enum tt_layout_field f, int64_t v)
{
	if (layout_field__is_address(f))
		return v >= 0 && v < (1LL << 48);
	if (v == -1)
		return layout_field__may_be_none(f);
	return v >= 0 && v <= LAYOUT_OVERRIDE_MAX_OFF;
}

static int parse_item(const char *item, struct layout_override *out, char *err,
		      size_t errlen)
{
	const char *eq = strchr(item, '=');
	char keys[256];
	int64_t v;
	int f;

	if (!*item)
		return errmsg_set(err, errlen, -EINVAL,
				  "--layout: empty item in the list");
	if (!eq || eq == item)
		return errmsg_set(err, errlen, -EINVAL,
				  "--layout: '%s' is not key=offset", item);
	f = layout_field__by_name(item, (size_t)(eq - item));
	if (f < 0) {
		known_keys(keys, sizeof(keys));
		return errmsg_set(
			err, errlen, -EINVAL,
			"--layout: unknown field '%.*s' in '%s' (known: %s)",
			(int)(eq - item), item, item, keys);
	}
	if (parse_value(eq + 1, &v))
		return errmsg_set(
			err, errlen, -EINVAL,
			"--layout: bad number in '%s' (decimal or 0x hex)",
			item);
	if (!in_range((enum tt_layout_field)f, v))
		return errmsg_set(
			err, errlen, -EINVAL,
			"--layout: '%s' out of range (0..0x%x%s)", item,
			LAYOUT_OVERRIDE_MAX_OFF,
			layout_field__may_be_none((enum tt_layout_field)f)
				? ", or -1"
				: "");
	if (out->set[f])
		return errmsg_set(
			err, errlen, -EINVAL, "--layout: '%s' sets %s twice",
			item, tt_layout_field_name((enum tt_layout_field)f));
	out->set[f] = 1;
	out->value[f] = v;
	return 0;
}

int layout_override__parse(const char *spec, struct layout_override *out,
			   char *err, size_t errlen)
{
	char *copy, *item, *next;
	int e = 0;

	memset(out, 0, sizeof(*out));
	if (!spec)
		return 0;
	if (!*spec)
		return errmsg_set(err, errlen, -EINVAL,
				  "--layout: empty value");
	copy = strdup(spec);
	if (!copy)
		return -ENOMEM;
	for (item = copy; item; item = next) {
		next = strchr(item, ',');
		if (next)
			*next++ = '\0';
		e = parse_item(item, out, err, errlen);
		if (e)
			break;
	}
	free(copy);
	if (e)
		memset(out, 0, sizeof(*out));
	return e;
}

void layout_override__apply(const struct layout_override *o,
			    struct ttbpf_layout *l)
{
	for (int f = 0; f < TT_NR_FIELDS; f++)
		if (o->set[f])
			layout_field__set(l, (enum tt_layout_field)f,
					  o->value[f]);
}
