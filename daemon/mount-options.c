/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Overlay mount options, as the mount table shows them.  Input from the
 * kernel (any user may create overlays in a user namespace, so any string
 * may appear here): fuzzed by fuzz/fuzz-mount-options.c. */
#include <libmount.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "mount-options.h"
#include "strv.h"

char *mount_optstr_value(const char *optstr, const char *name) {
        char *v = NULL;
        size_t sz = 0;

        if (mnt_optstr_get_option(optstr, name, &v, &sz) != 0 || !v)
                return NULL;
        return strndup(v, sz);
}

char **lowerdirs_split(const char *s) {
        _cleanup_free_ char *cur = malloc(strlen(s) + 1);
        char **l = NULL;
        size_t n = 0;

        if (!cur)
                return NULL;
        for (const char *c = s;; c++) {
                if (*c == '\\' && c[1]) {
                        cur[n++] = *++c;
                        continue;
                }
                if (*c == ':' || *c == '\0') {
                        cur[n] = '\0';
                        if (n > 0 && strv_push(&l, cur) < 0)
                                return strv_free(l);
                        n = 0;
                        if (*c == '\0')
                                break;
                        continue;
                }
                cur[n++] = *c;
        }
        return l ?: strv_new0();
}
