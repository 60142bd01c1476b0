/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pending-restore journal (common/pending.c): whatever is in a file of
 * the state directory, parsing never crashes, what parses is bounded as
 * ListPending and the boot step need, and an entry that parses is
 * written back to the same entry (control bytes in its names included). */
#include <limits.h>

#include "fuzz.h"
#include "pending.h"

static int strv_equal(char **a, char **b) {
        for (; a && *a && b && *b; a++, b++)
                if (strcmp(*a, *b) != 0)
                        return 0;
        return (!a || !*a) && (!b || !*b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        PendingEntry e = {}, again = {};
        char *text = NULL;
        size_t n;

        /* (checking only gives the verdict of a parse) */
        if (pending_entry_parse((const char *) data, size, &e) < 0) {
                fuzz_check(pending_entry_parse((const char *) data, size, NULL) < 0);
                return 0;
        }
        fuzz_check(pending_entry_parse((const char *) data, size, NULL) == 0);
        fuzz_check(e.mount_point && e.upper_dir && e.mode && e.paths && e.paths[0]);
        for (char **p = e.paths; *p; p++) {
                fuzz_check((*p)[0] != '/' && (*p)[0] != '\0' && strcmp(*p, "..") != 0 &&
                           strncmp(*p, "../", 3) != 0 && !strstr(*p, "/../"));
                /* (each below PATH_MAX, as the mount point is: their join
                 * fits ListPending's buffer of twice that) */
                fuzz_check(strlen(*p) + 1 < PATH_MAX && strlen(e.mount_point) < PATH_MAX);
        }

        fuzz_check(pending_entry_format(&e, &text, &n) == 0);
        fuzz_check(strlen(text) == n);
        fuzz_check(pending_entry_parse(text, n, &again) == 0);
        fuzz_check(strcmp(e.mount_point, again.mount_point) == 0);
        fuzz_check(strcmp(e.upper_dir, again.upper_dir) == 0);
        fuzz_check(strcmp(e.mode, again.mode) == 0);
        fuzz_check(e.userxattr == again.userxattr);
        fuzz_check(strv_equal(e.lower_dirs, again.lower_dirs));
        fuzz_check(strv_equal(e.paths, again.paths));

        free(text);
        pending_entry_done(&e);
        pending_entry_done(&again);
        return 0;
}
