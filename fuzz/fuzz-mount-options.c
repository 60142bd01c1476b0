/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An overlay's options as the mount table shows them (daemon/mount-
 * options.c): any user can mount an overlay in a user namespace, so the
 * daemon reads strings it does not control.  Input: an option string. */
#include <stdbool.h>

#include "fuzz.h"
#include "mount-options.h"
#include "strv.h"

/* lowerdir's own escaping: "\:" and "\\". */
static char *escape_join(char **l) {
        size_t n = 1;
        char *s, *o;

        for (char **i = l; *i; i++)
                n += 2 * strlen(*i) + 1;
        o = s = malloc(n);
        if (!s)
                return NULL;
        for (char **i = l; *i; i++) {
                if (i != l)
                        *o++ = ':';
                for (const char *c = *i; *c; c++) {
                        if (*c == ':' || *c == '\\')
                                *o++ = '\\';
                        *o++ = *c;
                }
        }
        *o = '\0';
        return s;
}

static void check_lowerdirs(const char *s) {
        char **l = lowerdirs_split(s), **again;
        size_t total = 0;
        char *joined;

        if (!l)
                return;
        for (char **i = l; *i; i++) {
                fuzz_check((*i)[0] != '\0');
                total += strlen(*i);
        }
        fuzz_check(total <= strlen(s));
        /* Escaped and joined again, the same directories come back. */
        joined = escape_join(l);
        if (joined) {
                again = lowerdirs_split(joined);
                if (again) {
                        char **a = l, **b = again;

                        for (; *a && *b; a++, b++)
                                fuzz_check(strcmp(*a, *b) == 0);
                        fuzz_check(!*a && !*b);
                        strv_free(again);
                }
                free(joined);
        }
        strv_free(l);
}

/* The mountinfo field of @opts (items as overlayfs splits them), as the
 * kernel writes it: each item's commas, blanks and backslashes as \NNN. */
static char *mountinfo_field(const char *opts) {
        char *f = malloc(strlen(opts) * 4 + 1), *o = f;

        if (!f)
                return NULL;
        for (const char *s = opts; *s;) {
                const char *e = s;

                while (*e && *e != ',')
                        e += *e == '\\' && e[1] ? 2 : 1;
                if (o != f)
                        *o++ = ',';
                for (const char *c = s; c < e; c++)
                        if (strchr(", \t\n\\", *c))
                                o += sprintf(o, "\\%03o", (unsigned char) *c);
                        else
                                *o++ = *c;
                s = *e ? e + 1 : e;
        }
        *o = '\0';
        return f;
}

/* A field read and written back as the kernel would write it reads the
 * same again; nothing read holds an item ending in a lone backslash. */
static void check_from_mountinfo(const char *field) {
        char *once = NULL, *again = NULL, *f;

        if (ovl_options_from_mountinfo(field, strlen(field), &once) < 0)
                return;
        fuzz_check(strlen(once) <= strlen(field));
        f = mountinfo_field(once);
        if (f && ovl_options_from_mountinfo(f, strlen(f), &again) >= 0)
                fuzz_check(strcmp(once, again) == 0);
        else
                fuzz_check(!f);
        free(f), free(once), free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const char *const names[] = { "lowerdir", "upperdir", "workdir", "redirect_dir", "ro" };
        char *opts = fuzz_strndup(data, size);

        if (!opts)
                return 0;
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
                char *v = ovl_option_value(opts, names[i], false), *u = ovl_option_value(opts, names[i], true);

                /* the value as it stands in the string, and unescaped: as
                 * long at most, and there both or neither */
                fuzz_check(!v == !u);
                if (v) {
                        fuzz_check(strstr(opts, v) != NULL && strlen(u) <= strlen(v));
                        check_lowerdirs(v);
                }
                (void) ovl_option_has(opts, names[i]);
                free(v), free(u);
        }
        check_lowerdirs(opts);
        check_from_mountinfo(opts);
        {
                char *upper = NULL;

                if (ovl_upperdir_from_mountinfo(opts, strlen(opts), &upper) >= 0 && upper)
                        fuzz_check(strlen(upper) < strlen(opts));
                free(upper);
        }
        /* The layer options: each of their items is an item of the
         * string, in the same order. */
        char *layers = overlay_layer_options(opts);
        if (layers) {
                const char *in = opts;

                for (const char *l = layers; *l;) {
                        size_t n = strcspn(l, ",");
                        bool found = false;

                        while (!found && *in) {
                                size_t m = strcspn(in, ",");

                                found = m == n && strncmp(in, l, n) == 0;
                                in += m + (in[m] == ',');
                        }
                        fuzz_check(found);
                        l += n + (l[n] == ',');
                }
                free(layers);
        }
        free(opts);
        return 0;
}
