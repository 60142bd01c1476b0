/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "path-util.h"
#include "pending.h"
#include "strv.h"

#define MAGIC "ovl-restore-pending 1"

void pending_entry_done(PendingEntry *e) {
        free(e->mount_point);
        free(e->upper_dir);
        strv_free(e->lower_dirs);
        free(e->mode);
        strv_free(e->paths);
        *e = (PendingEntry) {};
}

static int hexval(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

/* Un-escapes one field (@n bytes); no NUL may result. */
static int unescape(const char *s, size_t n, char **ret) {
        char *out = malloc(n + 1), *o = out;

        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) s[i];

                if (c < 0x20 || c == 0x7f)
                        goto bad;
                if (c != '\\') {
                        *o++ = (char) c;
                        continue;
                }
                if (++i >= n)
                        goto bad;
                switch (s[i]) {
                case '\\':
                        *o++ = '\\';
                        break;
                case 'n':
                        *o++ = '\n';
                        break;
                case 't':
                        *o++ = '\t';
                        break;
                case 'x': {
                        int hi, lo;

                        if (i + 2 >= n)
                                goto bad;
                        hi = hexval(s[i + 1]);
                        lo = hexval(s[i + 2]);
                        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                                goto bad;
                        *o++ = (char) (hi << 4 | lo);
                        i += 2;
                        break;
                }
                default:
                        goto bad;
                }
        }
        *o = '\0';
        *ret = out;
        return 0;
bad:
        free(out);
        return -EBADMSG;
}

/* A relative path as an entry holds it: normalized, not empty, no "..".
 * Control bytes are allowed: a recursive job defers the names it found,
 * and the format escapes them. */
static bool rel_path_ok(const char *p) {
        _cleanup_free_ char *abs = NULL;

        if (!*p || p[0] == '/' || asprintf(&abs, "/%s", p) < 0)
                return false;
        return path_check_names(abs) == 0;
}

static bool abs_path_ok(const char *p) {
        return path_check_caller(p) == 0;
}

int pending_entry_parse(const char *text, size_t size, PendingEntry *ret) {
        PendingEntry e = {};
        StrvBuilder lowers = {}, paths = {};
        const char *p = text, *end = text + size;
        bool magic = false, done = false;
        size_t n_lowers = 0, n_paths = 0;
        int r = -EBADMSG;

        if (size > PENDING_MAX_SIZE)
                return -EBADMSG;
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                const char *sp;
                _cleanup_free_ char *value = NULL;
                size_t len, klen;

                if (!nl || done)
                        goto fail;              /* no line after "end"; none unterminated */
                len = (size_t) (nl - p);
                if (!magic) {
                        if (len != strlen(MAGIC) || memcmp(p, MAGIC, len) != 0)
                                goto fail;
                        magic = true;
                        p = nl + 1;
                        continue;
                }
                if (len == 3 && memcmp(p, "end", 3) == 0) {
                        done = true;
                        p = nl + 1;
                        continue;
                }
                sp = memchr(p, ' ', len);
                if (!sp)
                        goto fail;
                klen = (size_t) (sp - p);
                r = unescape(sp + 1, len - klen - 1, &value);
                if (r < 0)
                        goto fail;
                r = -EBADMSG;
#define KEY(k) (klen == strlen(k) && memcmp(p, k, klen) == 0)
                if (KEY("mount") && !e.mount_point && abs_path_ok(value))
                        e.mount_point = TAKE_PTR(value);
                else if (KEY("upper") && !e.upper_dir && abs_path_ok(value))
                        e.upper_dir = TAKE_PTR(value);
                else if (KEY("lower") && abs_path_ok(value) && n_lowers < 500) {
                        if (ret && strv_builder_push(&lowers, value) < 0)
                                goto oom;
                        n_lowers++;
                } else if (KEY("userxattr") && (streq(value, "0") || streq(value, "1")))
                        e.userxattr = streq(value, "1");
                else if (KEY("mode") && !e.mode &&
                         (streq(value, "whiteout") || streq(value, "opaque") || streq(value, "discard")))
                        e.mode = TAKE_PTR(value);
                else if (KEY("path") && rel_path_ok(value) && n_paths < PENDING_MAX_PATHS) {
                        if (ret && strv_builder_push(&paths, value) < 0)
                                goto oom;
                        n_paths++;
                } else
                        goto fail;
#undef KEY
                p = nl + 1;
        }
        if (!done || !e.mount_point || !e.upper_dir || !e.mode || n_paths == 0)
                goto fail;
        if (!ret) {
                pending_entry_done(&e);
                return 0;
        }
        e.lower_dirs = strv_builder_finish(&lowers);
        e.paths = strv_builder_finish(&paths);
        if (!e.lower_dirs || !e.paths)
                goto oom;
        *ret = e;
        return 0;
oom:
        r = -ENOMEM;
fail:
        strv_builder_done(&lowers);
        strv_builder_done(&paths);
        pending_entry_done(&e);
        return r < 0 && r != -EBADMSG ? r : -EBADMSG;
}

static void put_escaped(FILE *f, const char *key, const char *s) {
        fprintf(f, "%s ", key);
        for (const unsigned char *c = (const unsigned char *) s; *c; c++) {
                if (*c == '\\')
                        fputs("\\\\", f);
                else if (*c == '\n')
                        fputs("\\n", f);
                else if (*c == '\t')
                        fputs("\\t", f);
                else if (*c < 0x20 || *c == 0x7f)
                        fprintf(f, "\\x%02x", *c);
                else
                        fputc(*c, f);
        }
        fputc('\n', f);
}

int pending_entry_format(const PendingEntry *e, char **ret, size_t *ret_size) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return -ENOMEM;
        fprintf(f, "%s\n", MAGIC);
        put_escaped(f, "mount", e->mount_point);
        put_escaped(f, "upper", e->upper_dir);
        for (char **l = e->lower_dirs; l && *l; l++)
                put_escaped(f, "lower", *l);
        fprintf(f, "userxattr %d\n", e->userxattr ? 1 : 0);
        put_escaped(f, "mode", e->mode);
        for (char **p = e->paths; p && *p; p++)
                put_escaped(f, "path", *p);
        fputs("end\n", f);
        if (fclose(f) != 0) {
                free(buf);
                return -ENOMEM;
        }
        *ret = buf;
        *ret_size = size;
        return 0;
}
