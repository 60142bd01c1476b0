/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* A job's paths, each stored once for the job's life: relative to the
 * overlay's mount point ("" is the mount point itself), one after the
 * other in one buffer of text, each with its NUL, reached by index
 * through a 4-byte offset.  A 100,000-path job of short names costs
 * their bytes and 4 bytes each, not an allocation each. */
typedef struct PathList {
        char *text;
        size_t size, allocated;         /* bytes of text */
        uint32_t *at;                   /* where path i starts in text */
        size_t n, n_allocated;
} PathList;

#define PATH_LIST_MAX UINT32_MAX

/* Appends a copy of @s (@len bytes, no NUL among them): its index, or
 * -ENOMEM, or -E2BIG beyond PATH_LIST_MAX entries or 4 GiB of text. */
int64_t path_list_add(PathList *l, const char *s, size_t len);
static inline const char *path_list_get(const PathList *l, size_t i) {
        return l->text + l->at[i];
}
void path_list_done(PathList *l);
/* Appends every entry of @src to @dst (entry i of @src becomes dst->n +
 * i) and empties @src; -ENOMEM or -E2BIG change nothing. */
int path_list_append(PathList *dst, PathList *src);

/* Room in array *@p (*@allocated items) for @more items of @size bytes
 * after @n, doubling (from @min): 0 or -ENOMEM.  Beyond glibc's mmap
 * threshold (as main.c fixes it) the buffer is a mapping of its own,
 * which realloc moves without copying and which goes back to the system
 * with the job. */
int array_reserve(void **p, size_t *allocated, size_t n, size_t more, size_t size, size_t min);

/* Indices into a PathList: what a job works on, in order. */
typedef struct IndexList {
        uint32_t *l;
        size_t n, cap;
} IndexList;

int index_list_push(IndexList *l, uint32_t i);
void index_list_done(IndexList *l);
