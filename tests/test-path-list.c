/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* daemon/path-list.c: a job's paths, one buffer of text and an offset
 * each; what is added is read back by index, appending moves a list's
 * entries after another's, and the buffers grow past their first sizes
 * without losing what they held. */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "path-list.h"

static void test_add_get(void) {
        PathList l = {};

        g_assert_cmpint(path_list_add(&l, "etc/a", 5), ==, 0);
        g_assert_cmpint(path_list_add(&l, "", 0), ==, 1);      /* the mount point */
        g_assert_cmpint(path_list_add(&l, "b/cd-and-more", 4), ==, 2);  /* @len, not the NUL */
        g_assert_cmpuint(l.n, ==, 3);
        g_assert_cmpstr(path_list_get(&l, 0), ==, "etc/a");
        g_assert_cmpstr(path_list_get(&l, 1), ==, "");
        g_assert_cmpstr(path_list_get(&l, 2), ==, "b/cd");
        path_list_done(&l);
        g_assert_null(l.text);
        g_assert_cmpuint(l.n, ==, 0);
}

/* Far past the first buffers (1 KiB of text, 256 offsets): every entry
 * still reads back, in order. */
static void test_grows(void) {
        PathList l = {};
        char name[32];

        for (int i = 0; i < 100000; i++) {
                int len = snprintf(name, sizeof name, "d%d/f%06d", i % 7, i);
                g_assert_cmpint(path_list_add(&l, name, (size_t) len), ==, i);
        }
        for (int i = 0; i < 100000; i++) {
                snprintf(name, sizeof name, "d%d/f%06d", i % 7, i);
                g_assert_cmpstr(path_list_get(&l, (size_t) i), ==, name);
        }
        /* one buffer: each entry follows the last, with its NUL */
        g_assert_cmpuint(l.size, ==, (size_t) 100000 * (strlen("d0/f000000") + 1));
        path_list_done(&l);
}

static void test_append(void) {
        PathList a = {}, b = {}, empty = {};
        char name[32];

        g_assert_cmpint(path_list_add(&a, "x", 1), ==, 0);
        for (int i = 0; i < 1000; i++) {
                int len = snprintf(name, sizeof name, "y/%d", i);
                g_assert_cmpint(path_list_add(&b, name, (size_t) len), ==, i);
        }
        g_assert_cmpint(path_list_append(&a, &b), ==, 0);
        g_assert_cmpuint(a.n, ==, 1001);
        g_assert_cmpuint(b.n, ==, 0);
        g_assert_null(b.text);
        g_assert_cmpstr(path_list_get(&a, 0), ==, "x");
        for (int i = 0; i < 1000; i++) {
                snprintf(name, sizeof name, "y/%d", i);
                g_assert_cmpstr(path_list_get(&a, (size_t) i + 1), ==, name);
        }
        /* nothing to append; and onto an empty list */
        g_assert_cmpint(path_list_append(&a, &empty), ==, 0);
        g_assert_cmpuint(a.n, ==, 1001);
        g_assert_cmpint(path_list_append(&empty, &a), ==, 0);
        g_assert_cmpuint(empty.n, ==, 1001);
        g_assert_cmpstr(path_list_get(&empty, 1000), ==, "y/999");
        /* and added to after it */
        g_assert_cmpint(path_list_add(&empty, "z", 1), ==, 1001);
        g_assert_cmpstr(path_list_get(&empty, 1001), ==, "z");
        g_assert_cmpstr(path_list_get(&empty, 0), ==, "x");
        path_list_done(&empty);
}

static void test_index_list(void) {
        IndexList l = {};

        for (uint32_t i = 0; i < 5000; i++)
                g_assert_cmpint(index_list_push(&l, i * 3), ==, 0);
        g_assert_cmpuint(l.n, ==, 5000);
        for (uint32_t i = 0; i < 5000; i++)
                g_assert_cmpuint(l.l[i], ==, i * 3);
        index_list_done(&l);
        g_assert_null(l.l);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/path-list/add-get", test_add_get);
        g_test_add_func("/path-list/grows", test_grows);
        g_test_add_func("/path-list/append", test_append);
        g_test_add_func("/path-list/index-list", test_index_list);
        return g_test_run();
}
