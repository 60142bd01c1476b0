/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* client/ovlctl/progress.c alone: ovlctl's progress bar, whatever the
 * Processed and Total it is given.  A job's Processed may be ahead of its
 * Total (read apart; a recursive job's Total grows), which drew 1,500 '#'
 * into a bar of 30 and then a '.' run of (size_t) -1,470. */
#include <glib.h>
#include <string.h>

#include "progress.h"

static void check_bar(uint64_t processed, uint64_t total, double want_f, size_t want_done) {
        char bar[PROGRESS_BAR_WIDTH + 1 + 16];
        double f;

        memset(bar, 'x', sizeof bar);
        f = progress_fraction(processed, total);
        g_assert_cmpfloat_with_epsilon(f, want_f, 1e-9);
        progress_bar(f, bar);
        g_assert_cmpuint(strlen(bar), ==, PROGRESS_BAR_WIDTH);
        g_assert_cmpuint(strspn(bar, "#"), ==, want_done);
        g_assert_cmpuint(strspn(bar + want_done, "."), ==, PROGRESS_BAR_WIDTH - want_done);
        /* (nothing past the bar's NUL written) */
        for (size_t i = PROGRESS_BAR_WIDTH + 1; i < sizeof bar; i++)
                g_assert_cmpint(bar[i], ==, 'x');
}

static void test_in_range(void) {
        check_bar(0, 0, 0, 0);
        check_bar(0, 10, 0, 0);
        check_bar(5, 10, 0.5, 15);
        check_bar(1, 3, 1.0 / 3, 10);
        check_bar(10, 10, 1, PROGRESS_BAR_WIDTH);
        check_bar(UINT64_MAX - 1, UINT64_MAX, (double) (UINT64_MAX - 1) / (double) UINT64_MAX,
                  PROGRESS_BAR_WIDTH);
}

/* Processed read after a result, Total before the Total it grew to. */
static void test_processed_ahead(void) {
        check_bar(50, 1, 1, PROGRESS_BAR_WIDTH);
        check_bar(UINT64_MAX, 1, 1, PROGRESS_BAR_WIDTH);
        check_bar(7, 0, 0, 0);
}

/* A share out of range, as a caller might compute it. */
static void test_bar_clamps(void) {
        char bar[PROGRESS_BAR_WIDTH + 1];

        progress_bar(-0.5, bar);
        g_assert_cmpuint(strspn(bar, "."), ==, PROGRESS_BAR_WIDTH);
        progress_bar(50, bar);
        g_assert_cmpuint(strspn(bar, "#"), ==, PROGRESS_BAR_WIDTH);
        progress_bar(0.0 / 0.0, bar);
        g_assert_cmpuint(strspn(bar, "."), ==, PROGRESS_BAR_WIDTH);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/progress/in-range", test_in_range);
        g_test_add_func("/progress/processed-ahead", test_processed_ahead);
        g_test_add_func("/progress/bar-clamps", test_bar_clamps);
        return g_test_run();
}
