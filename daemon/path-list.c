/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "path-list.h"

/* (blocks at glibc's mmap threshold as main.c fixes it: a job's text goes
 * back to the system with the job) */
#define BLOCK_SIZE (64 * 1024)

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
                size_t size = len + 1 > BLOCK_SIZE ? len + 1 : BLOCK_SIZE;
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
