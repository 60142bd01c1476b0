/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* A job's paths, each stored once for the job's life: relative to the
 * overlay's mount point ("" is the mount point itself), packed into
 * blocks of text, reached by index.  A 100,000-path job of short names
 * costs their bytes and one pointer each, not an allocation each. */
typedef struct PathList {
        char **blocks;
        size_t n_blocks;
        size_t used;            /* bytes used in the last block */
        size_t block_size;      /* of the last block */
        const char **items;
        size_t n, cap;
} PathList;

#define PATH_LIST_MAX UINT32_MAX

/* Appends a copy of @s (@len bytes, no NUL among them): its index, or
 * -ENOMEM, or -E2BIG beyond PATH_LIST_MAX entries. */
int64_t path_list_add(PathList *l, const char *s, size_t len);
static inline const char *path_list_get(const PathList *l, size_t i) {
        return l->items[i];
}
void path_list_done(PathList *l);
/* Moves every entry of @src to the end of @dst (entry i of @src becomes
 * dst->n + i), leaving @src empty; -ENOMEM changes nothing. */
int path_list_append(PathList *dst, PathList *src);

/* Indices into a PathList: what a job works on, in order. */
typedef struct IndexList {
        uint32_t *l;
        size_t n, cap;
} IndexList;

int index_list_push(IndexList *l, uint32_t i);
void index_list_done(IndexList *l);
