/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "path-list.h"

int array_reserve(void **p, size_t *allocated, size_t n, size_t more, size_t size, size_t min) {
        size_t want, a = *allocated ? *allocated : min;
        void *q;

        if (more > SIZE_MAX - n)
                return -ENOMEM;
        want = n + more;
        if (want <= *allocated)
                return 0;
        while (a < want)
                a = a > SIZE_MAX / 2 ? want : a * 2;
        if (a > SIZE_MAX / size)
                return -ENOMEM;
        q = realloc(*p, a * size);
        if (!q)
                return -ENOMEM;
        *p = q;
        *allocated = a;
        return 0;
}

int64_t path_list_add(PathList *l, const char *s, size_t len) {
        if (l->n >= PATH_LIST_MAX || l->size > UINT32_MAX)
                return -E2BIG;
        if (array_reserve((void **) &l->at, &l->n_allocated, l->n, 1, sizeof(*l->at), 256) < 0 ||
            array_reserve((void **) &l->text, &l->allocated, l->size, len + 1, 1, 1024) < 0)
                return -ENOMEM;
        memcpy(l->text + l->size, s, len);
        l->text[l->size + len] = '\0';
        l->at[l->n] = (uint32_t) l->size;
        l->size += len + 1;
        return (int64_t) l->n++;
}

void path_list_done(PathList *l) {
        free(l->text);
        free(l->at);
        *l = (PathList) {};
}

int path_list_append(PathList *dst, PathList *src) {
        if (dst->n > PATH_LIST_MAX - src->n ||
            (src->n > 0 && dst->size > UINT32_MAX - src->at[src->n - 1]))
                return -E2BIG;
        if (array_reserve((void **) &dst->at, &dst->n_allocated, dst->n, src->n, sizeof(*dst->at), 256) < 0 ||
            array_reserve((void **) &dst->text, &dst->allocated, dst->size, src->size, 1, 1024) < 0)
                return -ENOMEM;
        if (src->size > 0)
                memcpy(dst->text + dst->size, src->text, src->size);
        for (size_t i = 0; i < src->n; i++)
                dst->at[dst->n + i] = (uint32_t) (dst->size + src->at[i]);
        dst->n += src->n;
        dst->size += src->size;
        path_list_done(src);
        return 0;
}

int index_list_push(IndexList *l, uint32_t i) {
        if (array_reserve((void **) &l->l, &l->cap, l->n, 1, sizeof(*l->l), 256) < 0)
                return -ENOMEM;
        l->l[l->n++] = i;
        return 0;
}

void index_list_done(IndexList *l) {
        free(l->l);
        *l = (IndexList) {};
}
