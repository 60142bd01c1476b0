/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "path-list.h"

/* Blocks double from 1 KiB (a job of a few paths costs no mmap) up to
 * glibc's mmap threshold as main.c fixes it (a large job's text goes back
 * to the system with the job). */
#define BLOCK_MIN 1024
#define BLOCK_MAX (64 * 1024)

static int grow(void **p, size_t *cap, size_t size) {
        size_t n = *cap ? *cap * 2 : 256;
        void *q;

        if (n > SIZE_MAX / size)
                return -ENOMEM;
        q = realloc(*p, n * size);
        if (!q)
                return -ENOMEM;
        *p = q;
        *cap = n;
        return 0;
}

int64_t path_list_add(PathList *l, const char *s, size_t len) {
        char *dst;

        if (l->n >= PATH_LIST_MAX)
                return -E2BIG;
        if (l->n >= l->cap && grow((void **) &l->items, &l->cap, sizeof(*l->items)) < 0)
                return -ENOMEM;
        if (!l->blocks || l->block_size - l->used < len + 1) {
                size_t size = l->block_size ? l->block_size * 2 : BLOCK_MIN;

                if (size > BLOCK_MAX)
                        size = BLOCK_MAX;
                if (size < len + 1)
                        size = len + 1;
                char **b = realloc(l->blocks, sizeof(char *) * (l->n_blocks + 1));

                if (!b)
                        return -ENOMEM;
                l->blocks = b;
                b[l->n_blocks] = malloc(size);
                if (!b[l->n_blocks])
                        return -ENOMEM;
                l->n_blocks++;
                l->block_size = size;
                l->used = 0;
        }
        dst = l->blocks[l->n_blocks - 1] + l->used;
        memcpy(dst, s, len);
        dst[len] = '\0';
        l->used += len + 1;
        l->items[l->n] = dst;
        return (int64_t) l->n++;
}

void path_list_done(PathList *l) {
        for (size_t i = 0; i < l->n_blocks; i++)
                free(l->blocks[i]);
        free(l->blocks);
        free(l->items);
        *l = (PathList) {};
}

int path_list_append(PathList *dst, PathList *src) {
        const char **items;
        char **blocks;

        if (src->n == 0) {
                path_list_done(src);
                return 0;
        }
        if (dst->n > PATH_LIST_MAX - src->n)
                return -E2BIG;
        items = realloc(dst->items, sizeof(*items) * (dst->n + src->n));
        if (!items)
                return -ENOMEM;
        dst->items = items;
        dst->cap = dst->n + src->n;
        blocks = realloc(dst->blocks, sizeof(*blocks) * (dst->n_blocks + src->n_blocks));
        if (!blocks)
                return -ENOMEM;
        dst->blocks = blocks;
        memcpy(dst->items + dst->n, src->items, sizeof(*items) * src->n);
        memcpy(dst->blocks + dst->n_blocks, src->blocks, sizeof(*blocks) * src->n_blocks);
        dst->n += src->n;
        dst->n_blocks += src->n_blocks;
        /* (the last block stays src's: dst adds no more to it) */
        dst->used = dst->block_size = 0;
        free(src->items);
        free(src->blocks);
        *src = (PathList) {};
        return 0;
}

int index_list_push(IndexList *l, uint32_t i) {
        if (l->n >= l->cap && grow((void **) &l->l, &l->cap, sizeof(*l->l)) < 0)
                return -ENOMEM;
        l->l[l->n++] = i;
        return 0;
}

void index_list_done(IndexList *l) {
        free(l->l);
        *l = (IndexList) {};
}
