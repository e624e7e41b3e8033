/* Descriptor construction from a frozen holder process. */
#ifndef CLEAVE_DESCBUILD_H
#define CLEAVE_DESCBUILD_H

#include "desc.h"
#include <sys/types.h>

/* tmpl carries registers, signal state, mm fields etc.; areas and counts are filled here. */
int desc_build(pid_t holder, const struct desc_hdr *tmpl, const uint8_t *auxv, uint32_t auxv_len,
	       const char *cwd, void **out, size_t *outlen);

#endif
