/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Overlay mount options, as the mount table shows them.  Input from the
 * kernel (any user may create overlays in a user namespace, so any string
 * may appear here): fuzzed by fuzz/fuzz-mount-options.c. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "macro.h"
#include "mount-options.h"
#include "strv.h"

static int octal_digit(char c) {
        return c >= '0' && c <= '7' ? c - '0' : -1;
}

/* Whether the item [@s, @e) begins with @key ("lowerdir="). */
static bool item_has_key(const char *s, const char *e, const char *key) {
        size_t n = strlen(key);

        return (size_t) (e - s) >= n && memcmp(s, key, n) == 0;
}

/* [@s, @e) with the kernel's \NNN escapes undone, written from @w on:
 * where it ends. */
static char *kernel_unescape(const char *s, const char *e, char *w) {
        for (const char *c = s; c < e; c++)
                if (*c == '\\' && e - c >= 4 && octal_digit(c[1]) >= 0 && octal_digit(c[2]) >= 0 &&
                    octal_digit(c[3]) >= 0) {
                        *w++ = (char) (octal_digit(c[1]) * 64 + octal_digit(c[2]) * 8 + octal_digit(c[3]));
                        c += 3;
                } else
                        *w++ = *c;
        return w;
}

/* @s with overlayfs's backslashes undone in place, as ovl_unescape()
 * does: one takes the next character as it is, one at the end is
 * dropped. */
static void ovl_unescape(char *s) {
        char *w = s;

        for (const char *c = s; *c; c++) {
                if (*c == '\\' && !*++c)
                        break;
                *w++ = *c;
        }
        *w = '\0';
}

int ovl_options_from_mountinfo(const char *field, size_t len, char **ret) {
        _cleanup_free_ char *out = malloc(len + 1);
        const char *end = field + len;
        char *o = out;

        if (!out)
                return -ENOMEM;
        for (const char *s = field; s < end;) {
                const char *e = memchr(s, ',', (size_t) (end - s)) ?: end;
                char *item = o == out ? o : o + 1, *w;
                bool layer = item_has_key(s, e, "lowerdir=") || item_has_key(s, e, "upperdir=") ||
                             item_has_key(s, e, "workdir=");

                /* Layers given one by one (6.8 and later: their values
                 * are not unescaped), and an older kernel's lowerdir, its
                 * paths unescaped and written with ':' as \072 (6.5 to
                 * 6.7, early 6.6.y; seq_show_option() never escapes ':'):
                 * not read. */
                if (item_has_key(s, e, "lowerdir+=") || item_has_key(s, e, "datadir+=") ||
                    (item_has_key(s, e, "lowerdir=") && memmem(s, (size_t) (e - s), "\\072", 4)))
                        return -EINVAL;
                /* the item as it was given: the kernel wrote its value's
                 * commas, blanks and backslashes as \NNN */
                w = kernel_unescape(s, e, item);
                /* then as overlayfs reads it: a comma without a backslash
                 * before it would end the item, a backslash at the end of
                 * a layer's path escapes nothing (ovl_unescape() drops
                 * it) */
                if (memchr(item, '\0', (size_t) (w - item)))
                        return -EINVAL;
                for (char *c = item; c < w; c++) {
                        if (*c == ',')
                                return -EINVAL;
                        if (*c == '\\' && c + 1 == w && layer)
                                w--;
                        else if (*c == '\\')
                                c++;
                }
                if (w > item) {
                        if (item != out)
                                *o = ',';
                        o = w;
                }
                s = e < end ? e + 1 : e;
        }
        *o = '\0';
        *ret = TAKE_PTR(out);
        return 0;
}

int ovl_upperdir_from_mountinfo(const char *field, size_t len, char **ret) {
        const char *end = field + len;

        *ret = NULL;
        for (const char *s = field; s < end;) {
                const char *e = memchr(s, ',', (size_t) (end - s)) ?: end;
                char *v, *w;

                if (!item_has_key(s, e, "upperdir=")) {
                        s = e < end ? e + 1 : e;
                        continue;
                }
                v = malloc((size_t) (e - s));
                if (!v)
                        return -ENOMEM;
                w = kernel_unescape(s + 9, e, v);
                *w = '\0';
                if ((size_t) (w - v) != strlen(v)) {
                        free(v);
                        return -EINVAL;
                }
                ovl_unescape(v);
                *ret = v;
                return 0;
        }
        return 0;
}

/* Where the option item at @s ends: at the first comma that no backslash
 * escapes, as overlayfs's own parser splits its options (ovl_next_opt());
 * the kernel shows a value as it was given, escapes and all. */
static const char *item_end(const char *s) {
        for (; *s && *s != ','; s++)
                if (*s == '\\' && s[1])
                        s++;
        return s;
}

/* The item "@name" or "@name=..." of @optstr: its start, or NULL. */
static const char *item_find(const char *optstr, const char *name, const char **ret_end) {
        size_t n = strlen(name);

        for (const char *s = optstr; *s;) {
                const char *e = item_end(s);

                if ((size_t) (e - s) >= n && strncmp(s, name, n) == 0 && (s[n] == '=' || s + n == e)) {
                        *ret_end = e;
                        return s;
                }
                s = *e ? e + 1 : e;
        }
        return NULL;
}

char *ovl_option_value(const char *optstr, const char *name, bool unescape) {
        size_t n = strlen(name);
        const char *e, *s = item_find(optstr, name, &e);
        char *v;

        if (!s || s[n] != '=')
                return NULL;
        v = strndup(s + n + 1, (size_t) (e - s - n - 1));
        if (v && unescape)
                ovl_unescape(v);
        return v;
}

bool ovl_option_has(const char *optstr, const char *name) {
        const char *e, *s = item_find(optstr, name, &e);

        return s && s + strlen(name) == e;
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

/* @options (comma-separated) without the items @drop(item, its length,
 * @userdata) says to drop, the others in their order. */
static char *options_filter(const char *options, bool (*drop)(const char *s, size_t len, void *userdata),
                            void *userdata) {
        char *data = strdup(options), *o = data;

        if (!data)
                return NULL;
        for (const char *s = options; *s;) {
                const char *end = item_end(s), *e = *end ? end : NULL;
                size_t len = (size_t) (end - s);

                if (!drop(s, len, userdata)) {
                        if (o != data)
                                *o++ = ',';
                        memcpy(o, s, len);
                        o += len;
                }
                s = e ? e + 1 : s + len;
        }
        *o = '\0';
        return data;
}

/* The superblock options as the kernel shows them include the generic
 * "rw" or "ro", which overlayfs's own option parser (6.1) refuses. */
static bool drop_rw_ro(const char *s, size_t len, void *userdata) {
        unsigned long *sb_flags = userdata;

        if (len != 2 || (strncmp(s, "rw", 2) != 0 && strncmp(s, "ro", 2) != 0))
                return false;
        if (s[1] == 'o')
                *sb_flags |= MS_RDONLY;
        return true;
}

char *mount_data_from_options(const char *options, unsigned long *sb_flags) {
        *sb_flags = 0;
        return options_filter(options, drop_rw_ro, sb_flags);
}

/* Whether option @s (@len bytes: "key" or "key=value") is one that does
 * not name a layer, and may show otherwise for the same overlay: the
 * superblock's flags (a remount changes them), and the features the
 * kernel shows only where they differ from the overlay module's defaults
 * of the moment (writable in /sys/module/overlay/parameters). */
static bool is_changeable_option(const char *s, size_t len) {
        static const char *const keys[] = { "rw", "ro", "sync", "dirsync", "mand", "lazytime", "index", "xino",
                                            "redirect_dir", "metacopy", "nfs_export", "uuid", "verity" };
        const char *eq = memchr(s, '=', len);
        size_t k = eq ? (size_t) (eq - s) : len;

        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (strlen(keys[i]) == k && strncmp(s, keys[i], k) == 0)
                        return true;
        return false;
}

static bool drop_changeable(const char *s, size_t len, void *userdata) {
        return len == 0 || is_changeable_option(s, len);
}

char *overlay_layer_options(const char *options) {
        return options_filter(options, drop_changeable, NULL);
}
