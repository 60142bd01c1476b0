/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "macro.h"

#include "path-util.h"

/* check_path()'s classes of bytes: a name's, or what ends or marks one.
 * (A table: a call of 10,000 paths is checked on the event loop, and the
 * loop over a name's bytes is then one load and one compare a byte.) */
enum { B_NAME, B_SLASH, B_END, B_CONTROL, B_BACKSLASH };
static const unsigned char byte_class[256] = {
        [0] = B_END,
        [1 ... 0x1f] = B_CONTROL,
        [0x7f] = B_CONTROL,
        ['/'] = B_SLASH,
        ['\\'] = B_BACKSLASH,
};

/* The one pass of the checks below; @control_ok: control bytes are
 * names' bytes too. */
static int check_path(const char *p, bool control_ok, bool *ret_backslash) {
        const char *c, *name;           /* (name: the component being read) */
        bool control = false, backslash = false;
        int name_r = 0;                 /* the first component's verdict */
        size_t n;

        if (!p || p[0] != '/')
                return -EINVAL;
        name = p + 1;
        /* The verdicts come in this order: too long, then a control byte
         * or a trailing slash, then the first bad component. */
        for (c = p + 1;; c++) {
                unsigned k;

                while ((k = byte_class[(unsigned char) *c]) == B_NAME)
                        c++;
                if (k == B_CONTROL) {
                        control = control || !control_ok;
                        continue;
                }
                if (k == B_BACKSLASH) {
                        backslash = true;
                        continue;
                }
                /* Each component: non-empty, not "." or "..", at most
                 * NAME_MAX. */
                size_t len = (size_t) (c - name);

                if (name_r == 0 && (len == 0 || (len == 1 && name[0] == '.') ||
                                    (len == 2 && name[0] == '.' && name[1] == '.')))
                        name_r = -EINVAL;
                else if (name_r == 0 && len > NAME_MAX)
                        name_r = -ENAMETOOLONG;
                if (k == B_END)
                        break;
                name = c + 1;
        }
        n = (size_t) (c - p);
        if (n >= PATH_MAX)
                return -ENAMETOOLONG;
        if (n > 1 && (control || p[n - 1] == '/'))
                return -EINVAL;
        if (n > 1 && name_r < 0)
                return name_r;
        if (ret_backslash)
                *ret_backslash = backslash;
        return 0;
}

int path_check_caller_escaped(const char *p, bool *ret_backslash) {
        return check_path(p, false, ret_backslash);
}

int path_check_caller(const char *p) {
        return check_path(p, false, NULL);
}

int path_check_names(const char *p) {
        return check_path(p, true, NULL);
}

const char *path_below(const char *path, const char *prefix) {
        size_t n = strlen(prefix);

        if (n == 1 && prefix[0] == '/')
                return path + 1;
        if (strncmp(path, prefix, n) != 0)
                return NULL;
        if (path[n] == '\0')
                return path + n;
        if (path[n] == '/')
                return path + n + 1;
        return NULL;
}

int path_join_below(char *buf, size_t size, const char *prefix, const char *rel) {
        /* (no snprintf(): a Scan joins every entry it reports) */
        size_t p = *rel && streq(prefix, "/") ? 0 : strlen(prefix), r = strlen(rel);
        size_t n = p + (*rel ? 1 + r : 0);

        if (n >= size)
                return -ENAMETOOLONG;
        memcpy(buf, prefix, p);
        if (*rel) {
                buf[p] = '/';
                memcpy(buf + p + 1, rel, r);
        }
        buf[n] = '\0';
        return 0;
}

bool path_has_control(const char *p) {
        for (; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        return true;
        return false;
}

/* Is the byte at @c (of string @start) part of a C1 control in UTF-8,
 * U+0080 to U+009F (0xc2, then 0x80 to 0x9f), which terminals may obey
 * (the Linux console takes U+009B as CSI)? */
static bool c1_at(const char *start, const char *c) {
        const unsigned char *u = (const unsigned char *) c;

        if (u[0] == 0xc2 && u[1] >= 0x80 && u[1] <= 0x9f)
                return true;
        return c > start && u[-1] == 0xc2 && u[0] >= 0x80 && u[0] <= 0x9f;
}

bool path_has_terminal_control(const char *p) {
        for (const char *c = p; *c; c++)
                if ((unsigned char) *c < 0x20 || *c == 0x7f || c1_at(p, c))
                        return true;
        return false;
}

/* Control bytes (and, with @backslash, backslashes; with @c1, both bytes
 * of a C1 control) as \xNN. */
static char *escape_bytes(const char *p, bool backslash, bool c1) {
        size_t n = 0;
        char *r, *o;

#define ESCAPED(c) ((unsigned char) *(c) < 0x20 || *(c) == 0x7f || (backslash && *(c) == '\\') || \
                    (c1 && c1_at(p, (c))))
        for (const char *c = p; *c; c++)
                n += ESCAPED(c) ? 4 : 1;
        r = o = malloc(n + 1);
        if (!r)
                return NULL;
        for (const char *c = p; *c; c++) {
                if (ESCAPED(c))
                        o += sprintf(o, "\\x%02x", (unsigned char) *c);
                else
                        *o++ = *c;
        }
#undef ESCAPED
        *o = '\0';
        return r;
}

char *path_escape_for_log(const char *p) {
        return escape_bytes(p, true, true);
}

const char *path_shown(const char *p, char **buf) {
        *buf = NULL;
        if (!path_has_terminal_control(p))
                return p;
        *buf = path_escape_for_log(p);
        return *buf ?: "(a path with control characters)";
}

char *text_escape_terminal(const char *s) {
        return escape_bytes(s, false, true);
}

char *path_escape_controls(const char *p) {
        return escape_bytes(p, false, false);
}

char *path_simplify_dup(const char *p) {
        char *r = strdup(p), *o = r;

        if (!r)
                return NULL;
        for (const char *s = p; *s;) {
                const char *e = strchr(s, '/');
                size_t len = e ? (size_t) (e - s) : strlen(s);

                if (len > 0 && !(len == 1 && s[0] == '.')) {
                        if (o != r || p[0] == '/')
                                *o++ = '/';
                        memmove(o, s, len);
                        o += len;
                }
                s = e ? e + 1 : s + len;
        }
        if (o == r && p[0] == '/')
                *o++ = '/';
        *o = '\0';
        return r;
}

int mkdir_parents_mode(const char *path, mode_t mode) {
        _cleanup_free_ char *p = strdup(path);

        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; (s = strchr(s, '/')); s++) {
                *s = '\0';
                if (mkdir(p, 0755) < 0 && errno != EEXIST)
                        return negative_errno();
                *s = '/';
        }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return negative_errno();
        return 0;
}

unsigned path_run_in_dir(PathAt path, void *userdata, size_t i, size_t n) {
        const char *a = path(userdata, i), *s = strrchr(a, '/');
        size_t len = s ? (size_t) (s - a) : 0;
        unsigned k = 1;

        for (size_t j = i + 1; j < n && k < UINT_MAX; j++, k++) {
                const char *b = path(userdata, j), *t = strrchr(b, '/');

                if ((t ? (size_t) (t - b) : 0) != len || strncmp(a, b, len) != 0)
                        break;
        }
        return k;
}
