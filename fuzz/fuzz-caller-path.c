/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A caller's path, as Restore, GetState, Scan and GetMountForPath take it:
 * path_check_caller() decides (in one pass, checked against the three
 * passes it replaced; path_check_names() the same, control bytes
 * allowed), path_below() maps it into an overlay, and
 * path_escape_for_log() makes it safe for a log line. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "path-util.h"

/* path_check_caller() as it was, in three passes: the one pass must
 * answer the same. */
static int check_caller_reference(const char *p) {
        size_t n;

        if (!p || p[0] != '/')
                return -EINVAL;
        n = strlen(p);
        if (n >= PATH_MAX)
                return -ENAMETOOLONG;
        if (n == 1)
                return 0;
        if (p[n - 1] == '/')
                return -EINVAL;
        for (const char *c = p; *c; c++)
                if ((unsigned char) *c < 0x20 || *c == 0x7f)
                        return -EINVAL;
        for (const char *s = p + 1;;) {
                const char *e = strchr(s, '/');
                size_t len = e ? (size_t) (e - s) : strlen(s);

                if (len == 0 || (len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
                        return -EINVAL;
                if (len > NAME_MAX)
                        return -ENAMETOOLONG;
                if (!e)
                        return 0;
                s = e + 1;
        }
}

/* The one pass gives the reference's verdict, and tells a backslash (and
 * leaves it alone on error); path_check_names() gives the verdict of the
 * same path with each control byte made a letter. */
static void check_one_pass(const char *p) {
        int ref = check_caller_reference(p);
        bool backslash = !strchr(p, '\\');    /* (the wrong answer, unless set) */
        char *lettered = strdup(p);

        fuzz_check(path_check_caller(p) == ref);
        fuzz_check(path_check_caller_escaped(p, &backslash) == ref);
        if (ref == 0)
                fuzz_check(backslash == !!strchr(p, '\\'));
        else
                fuzz_check(backslash == !strchr(p, '\\'));
        if (!lettered)
                return;
        for (char *c = lettered; *c; c++)
                if ((unsigned char) *c < 0x20 || *c == 0x7f)
                        *c = 'a';
        fuzz_check(path_check_names(p) == check_caller_reference(lettered));
        free(lettered);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *p = fuzz_strndup(data, size), *esc;
        const char *rest;

        if (!p)
                return 0;
        check_one_pass(p);
        if (path_check_caller(p) == 0) {
                /* What is accepted is absolute and normalized. */
                fuzz_check(p[0] == '/');
                fuzz_check(strlen(p) < PATH_MAX);
                fuzz_check(!strstr(p, "//") && !strstr(p, "/./") && !strstr(p, "/../"));
                fuzz_check(strcmp(p, "/") == 0 || p[strlen(p) - 1] != '/');
                fuzz_check(!strchr(p, '\n') && !strchr(p, '\r'));
                {
                        size_t n = strlen(p);

                        fuzz_check(!(n >= 2 && strcmp(p + n - 2, "/.") == 0));
                        fuzz_check(!(n >= 3 && strcmp(p + n - 3, "/..") == 0));
                }
                /* Below "/": everything, as a relative path. */
                rest = path_below(p, "/");
                fuzz_check(rest && rest[0] != '/');
                /* Below itself: "". */
                rest = path_below(p, p);
                fuzz_check(rest && (rest[0] == '\0' || strcmp(p, "/") == 0));
        }
        /* Below a prefix only at a component boundary. */
        rest = path_below(p, "/merged");
        if (rest)
                fuzz_check(strncmp(p, "/merged", 7) == 0 && (p[7] == '\0' || p[7] == '/'));

        esc = path_escape_for_log(p);
        if (esc) {
                for (const char *c = esc; *c; c++)
                        fuzz_check((unsigned char) *c >= 0x20 && *c != 0x7f);
                free(esc);
        }
        free(p);
        return 0;
}
