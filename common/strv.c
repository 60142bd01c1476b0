/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "strv.h"

char **strv_free(char **l) {
        if (l)
                for (char **i = l; *i; i++)
                        free(*i);
        free(l);
        return NULL;
}

char **strv_new0(void) {
        return calloc(1, sizeof(char *));
}

size_t strv_length(char * const *l) {
        size_t n = 0;

        while (l && l[n])
                n++;
        return n;
}

int strv_push(char ***l, const char *s) {
        size_t n = strv_length(*l);
        char *c = strdup(s), **nl;

        if (!c)
                return -ENOMEM;
        nl = realloc(*l, sizeof(char *) * (n + 2));
        if (!nl) {
                free(c);
                return -ENOMEM;
        }
        nl[n] = c;
        nl[n + 1] = NULL;
        *l = nl;
        return 0;
}

char **strv_copy(char * const *l) {
        char **c = strv_new0();

        for (size_t i = 0; c && l && l[i]; i++)
                if (strv_push(&c, l[i]) < 0)
                        return strv_free(c);
        return c;
}

int strv_builder_push(StrvBuilder *b, const char *s) {
        char *c;

        if (b->n + 1 >= b->cap) {
                size_t cap = b->cap ? b->cap * 2 : 16;
                char **nl = realloc(b->l, sizeof(char *) * cap);
                if (!nl)
                        return -ENOMEM;
                b->l = nl;
                b->cap = cap;
        }
        c = strdup(s);
        if (!c)
                return -ENOMEM;
        b->l[b->n++] = c;
        b->l[b->n] = NULL;
        return 0;
}

char **strv_builder_finish(StrvBuilder *b) {
        char **l = b->l ?: strv_new0();

        *b = (StrvBuilder) {};
        return l;
}

void strv_builder_done(StrvBuilder *b) {
        strv_free(b->l);
        *b = (StrvBuilder) {};
}

char *strv_join(char * const *l, const char *sep) {
        size_t n = 1, k = strlen(sep);
        char *s, *p;

        for (char * const *i = l; i && *i; i++)
                n += strlen(*i) + k;
        s = p = malloc(n);
        if (!s)
                return NULL;
        *p = '\0';
        for (char * const *i = l; i && *i; i++)
                p = stpcpy(i == l ? p : stpcpy(p, sep), *i);
        return s;
}

bool strv_contains(char * const *l, const char *s) {
        for (; l && *l; l++)
                if (streq(*l, s))
                        return true;
        return false;
}

char **strv_split(const char *s, const char *sep) {
        char **l = strv_new0();

        while (l && *s) {
                size_t n = strcspn(s, sep);

                if (n > 0) {
                        _cleanup_free_ char *part = strndup(s, n);

                        if (!part || strv_push(&l, part) < 0)
                                return strv_free(l);
                }
                s += n;
                s += strspn(s, sep);
        }
        return l;
}
