/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

typedef enum OvlRestoreAction {
        ACTION_RESTORE,
        ACTION_TEST,
        ACTION_STATE,
        ACTION_HELP,
        ACTION_VERSION,
} OvlRestoreAction;

typedef struct OvlRestoreArgs {
        OvlRestoreAction action;
        const char *mount;      /* for RESTORE, TEST, STATE */
        char **paths;           /* into argv, n_paths >= 1 */
        int n_paths;
        bool discard;           /* -d: the upper copies instead of whiteouts */
        bool opaque;            /* -o: the opaque marks of directories instead */
} OvlRestoreArgs;

/* ovl-restore's command line (DESIGN.md section 6).  0 and *ret filled,
 * or -EINVAL after a message on stderr (exit status 2).  Uses getopt, so
 * set optind before a second call. */
int ovl_restore_parse_argv(int argc, char *argv[], OvlRestoreArgs *ret);
