/* SPDX-License-Identifier: MIT */
/*
 * xalloc: allocation that cannot return NULL. Out of memory is not an input
 * error a caller can act on, so these abort with a message instead; code that
 * must survive large, input-sized requests uses bounded buffers (strbuf with a
 * limit, arena) and returns SD_ELIMIT long before memory runs out.
 */
#ifndef SD_BASE_XALLOC_H
#define SD_BASE_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
/* Grows or shrinks `ptr`; count × size is checked for overflow. */
void *xreallocarray(void *ptr, size_t count, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t len);

#endif
