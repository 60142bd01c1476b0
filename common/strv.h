/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* NULL-terminated string arrays. */
char **strv_free(char **l);
char **strv_new0(void);
size_t strv_length(char * const *l);
/* Appends a copy of @s; -ENOMEM on failure (the list is unchanged). */
int strv_push(char ***l, const char *s);
static inline void strv_freep(char ***l) {
        strv_free(*l);
}
#define _cleanup_strv_free_ __attribute__((cleanup(strv_freep)))
char **strv_copy(char * const *l);
/* The strings joined with @sep between them ("" for none); NULL on OOM. */
char *strv_join(char * const *l, const char *sep);
/* Is @s one of @l's strings? */
bool strv_contains(char * const *l, const char *s);
/* The parts of @s between the bytes of @sep (empty parts dropped). */
char **strv_split(const char *s, const char *sep);

/* Building a long list in amortized O(1) per entry. */
typedef struct StrvBuilder {
        char **l;
        size_t n, cap;
} StrvBuilder;
int strv_builder_push(StrvBuilder *b, const char *s);
/* Returns the NULL-terminated list (never NULL unless OOM) and resets @b. */
char **strv_builder_finish(StrvBuilder *b);
void strv_builder_done(StrvBuilder *b);
