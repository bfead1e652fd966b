// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stddef.h>

#include "eras.h"
#include "layout_profiles.h"

static int is_pimpl(const struct layout_profile *p)
{
	return p->layout.impl_off >= 0;
}

const struct layout_profile *
layout_profiles__pick(int era, int buffer_accessors_exported, int pimpl)
{
	const struct era_desc *d = eras__find(era), *t;
	size_t n;

	if (!d)
		return NULL;
	if (pimpl < 0)
		pimpl = d->pimpl_if_exported && buffer_accessors_exported;
	if (is_pimpl(&d->profile) == !!pimpl)
		return &d->profile;
	/* Only the pimpl Buffer has impl_, whatever the era claims: the
	 * newest era whose Buffer is built that way. */
	t = eras__table(&n);
	for (size_t i = 0; i < n; i++)
		if (is_pimpl(&t[i].profile) == !!pimpl)
			return &t[i].profile;
	return &d->profile;
}
