/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/path-util.c's path checks and common/bus-path.c's utf8_valid(),
 * each against a plain reference (the byte-at-a-time versions they were
 * before they were made faster, kept here): the same verdict, and the
 * same backslash flag, for every path of a set built to reach each
 * branch (every short string of the bytes that matter, random ones of
 * every length up to past PATH_MAX with names up to past NAME_MAX, and
 * each limit exactly).
 * The daemon checks each path of a call on its event loop. */
#include <errno.h>
#include <glib.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bus-path.h"
#include "path-util.h"

static int ref_check_path(const char *p, bool control_ok, bool *ret_backslash) {
        const char *c, *name;
        bool control = false, backslash = false;
        int name_r = 0;
        size_t n;

        if (!p || p[0] != '/')
                return -EINVAL;
        name = p + 1;
        for (c = p + 1;; c++) {
                unsigned char b = (unsigned char) *c;

                if (b == '/' || b == '\0') {
                        size_t len = (size_t) (c - name);

                        if (name_r == 0 && (len == 0 || (len == 1 && name[0] == '.') ||
                                            (len == 2 && name[0] == '.' && name[1] == '.')))
                                name_r = -EINVAL;
                        else if (name_r == 0 && len > NAME_MAX)
                                name_r = -ENAMETOOLONG;
                        if (b == '\0')
                                break;
                        name = c + 1;
                } else if ((b < 0x20 || b == 0x7f) && !control_ok)
                        control = true;
                else if (b == '\\')
                        backslash = true;
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

/* (a sequence's length, 0 if not valid: as bus-path.c has it) */
static size_t ref_utf8_seq(const unsigned char *s) {
        uint32_t c;
        size_t n;

        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                n = 2, c = s[0] & 0x1f;
        else if (s[0] >= 0xe0 && s[0] <= 0xef)
                n = 3, c = s[0] & 0x0f;
        else if (s[0] >= 0xf0 && s[0] <= 0xf4)
                n = 4, c = s[0] & 0x07;
        else
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                c = (c << 6) | (s[i] & 0x3f);
        }
        if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
            (c >= 0xd800 && c <= 0xdfff) || (c >= 0xfdd0 && c <= 0xfdef) || (c & 0xfffe) == 0xfffe)
                return 0;
        return n;
}

static bool ref_utf8_valid(const char *s) {
        for (size_t n; *s; s += n)
                if (!(n = ref_utf8_seq((const unsigned char *) s)))
                        return false;
        return true;
}

static unsigned n_checked;

static void check_one(const char *p) {
        bool want_bs = false, got_bs = false;
        int want, got;

        want = ref_check_path(p, false, &want_bs);
        got = path_check_caller_escaped(p, &got_bs);
        if (want != got || want_bs != got_bs) {
                g_printerr("path (%zu bytes) '%.200s': want %d/%d, got %d/%d\n", strlen(p), p, want, want_bs, got,
                           got_bs);
                g_assert_not_reached();
        }
        g_assert_cmpint(path_check_caller(p), ==, want);
        g_assert_cmpint(path_check_names(p), ==, ref_check_path(p, true, NULL));
        g_assert_cmpint(utf8_valid(p), ==, ref_utf8_valid(p));
        n_checked++;
}

/* Every string of up to 6 of these bytes after a "/" (and without it). */
static void test_short(void) {
        static const char bytes[] = { '/', '.', 'a', '\\', 0x01, 0x1f, 0x7f, (char) 0xc3, (char) 0xa9, (char) 0xff };
        char p[16];

        for (int len = 0; len <= 6; len++) {
                unsigned long total = 1;

                for (int i = 0; i < len; i++)
                        total *= sizeof(bytes);
                for (unsigned long k = 0; k < total; k++) {
                        unsigned long v = k;

                        p[0] = '/';
                        for (int i = 0; i < len; i++, v /= sizeof(bytes))
                                p[1 + i] = bytes[v % sizeof(bytes)];
                        p[1 + len] = '\0';
                        check_one(p);
                        check_one(p + 1);
                }
        }
}

/* Random paths of names of random lengths (up to NAME_MAX + 2), up to
 * past PATH_MAX, of bytes that are mostly plain. */
static void test_random(void) {
        static const char rare[] = { '.', '\\', 0x01, 0x7f, (char) 0xc3, (char) 0xa9, (char) 0xe2, (char) 0x82,
                                     (char) 0xac, (char) 0xf0, (char) 0x9f, (char) 0xbf, (char) 0xbe, (char) 0xff };
        GRand *rand = g_rand_new_with_seed(20261207);
        char *p = g_malloc(PATH_MAX + 600);

        for (int round = 0; round < 20000; round++) {
                size_t want = (size_t) g_rand_int_range(rand, 1, round % 10 == 0 ? PATH_MAX + 500 : 300), len = 1;

                p[0] = '/';
                while (len < want) {
                        size_t name = (size_t) g_rand_int_range(rand, 0, g_rand_boolean(rand) ? 12 : NAME_MAX + 3);

                        for (size_t i = 0; i < name && len < want; i++) {
                                int r = g_rand_int_range(rand, 0, 200);

                                p[len++] = r < 2 ? rare[g_rand_int_range(rand, 0, sizeof(rare))] :
                                           (char) ('a' + r % 26);
                        }
                        if (len < want && g_rand_int_range(rand, 0, 50) != 0)
                                p[len++] = '/';
                }
                p[len] = '\0';
                check_one(p);
        }
        g_free(p);
        g_rand_free(rand);
}

/* The limits exactly: names of NAME_MAX - 1 to NAME_MAX + 1 bytes, and
 * paths of PATH_MAX - 2 to PATH_MAX + 1 bytes, valid otherwise or with a
 * control byte, a backslash, a trailing slash, a "." component. */
static void test_limits(void) {
        char *p = g_malloc(PATH_MAX + 8);

        for (size_t name = NAME_MAX - 1; name <= NAME_MAX + 1; name++)
                for (int k = 0; k < 5; k++) {
                        size_t len = 0;

                        len += (size_t) sprintf(p, "/etc/");
                        memset(p + len, 'n', name);
                        len += name;
                        p[len] = '\0';
                        if (k == 0)
                                g_assert_cmpint(path_check_caller(p), ==, name <= NAME_MAX ? 0 : -ENAMETOOLONG);
                        if (k == 1)
                                p[len - 1] = 0x01;
                        else if (k == 2)
                                p[5] = '\\';
                        else if (k == 3)
                                strcpy(p + len, "/");
                        else if (k == 4)
                                strcpy(p + len, "/./x");
                        check_one(p);
                }
        for (size_t want = PATH_MAX - 2; want <= PATH_MAX + 1; want++)
                for (int k = 0; k < 5; k++) {
                        /* (names of 200 bytes, the last shorter) */
                        for (size_t i = 0; i < want; i++)
                                p[i] = i % 201 == 0 ? '/' : 'a';
                        if (p[want - 1] == '/')
                                p[want - 1] = 'a';
                        p[want] = '\0';
                        if (k == 1)
                                p[want - 1] = 0x7f;
                        else if (k == 2)
                                p[want - 1] = '\\';
                        else if (k == 3)
                                p[want - 1] = '/';
                        else if (k == 4)
                                p[202] = '.', p[203] = '/';
                        check_one(p);
                        /* (the limit itself reached) */
                        if (k == 0)
                                g_assert_cmpint(path_check_caller(p), ==, want < PATH_MAX ? 0 : -ENAMETOOLONG);
                }
        g_free(p);
}

int main(int argc, char **argv) {
        int r;

        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/path-check/short", test_short);
        g_test_add_func("/path-check/random", test_random);
        g_test_add_func("/path-check/limits", test_limits);
        r = g_test_run();
        g_print("# %u paths checked\n", n_checked);
        return r;
}
