/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ovl-restore's command line; fuzzed by fuzz/fuzz-ovl-restore-argv.c. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "ovl-restore-args.h"

#define PROGRAM "ovl-restore"

int ovl_restore_parse_argv(int argc, char *argv[], OvlRestoreArgs *ret) {
        enum { ARG_STATE = 0x100, ARG_VERSION };
        static const struct option options[] = {
                { "test",    no_argument, NULL, 't'         },
                { "discard", no_argument, NULL, 'd'         },
                { "opaque",  no_argument, NULL, 'o'         },
                { "state",   no_argument, NULL, ARG_STATE   },
                { "help",    no_argument, NULL, 'h'         },
                { "version", no_argument, NULL, ARG_VERSION },
                {}
        };
        OvlRestoreAction action = ACTION_RESTORE;
        bool discard = false, opaque = false;
        int c;

        while ((c = getopt_long(argc, argv, "thdo", options, NULL)) >= 0)
                switch (c) {
                case 'd':
                        discard = true;
                        break;
                case 'o':
                        opaque = true;
                        break;
                case 't':
                case ARG_STATE:
                        if (action != ACTION_RESTORE && action != (c == 't' ? ACTION_TEST : ACTION_STATE)) {
                                fprintf(stderr, "%s: --test and --state exclude each other.\n", PROGRAM);
                                return -EINVAL;
                        }
                        action = c == 't' ? ACTION_TEST : ACTION_STATE;
                        break;
                case 'h':
                        *ret = (OvlRestoreArgs) { .action = ACTION_HELP };
                        return 0;
                case ARG_VERSION:
                        *ret = (OvlRestoreArgs) { .action = ACTION_VERSION };
                        return 0;
                default:
                        fprintf(stderr, "Try '%s --help'.\n", PROGRAM);
                        return -EINVAL;
                }

        if (argc - optind < 2) {
                fprintf(stderr, "%s: expected MOUNT and at least one PATH. Try '%s --help'.\n",
                        PROGRAM, PROGRAM);
                return -EINVAL;
        }
        if ((discard || opaque) && action == ACTION_STATE) {
                fprintf(stderr, "%s: --%s goes with a restore or --test, not --state.\n", PROGRAM,
                        discard ? "discard" : "opaque");
                return -EINVAL;
        }
        if (discard && opaque) {
                fprintf(stderr, "%s: --discard and --opaque exclude each other.\n", PROGRAM);
                return -EINVAL;
        }
        *ret = (OvlRestoreArgs) {
                .discard = discard,
                .opaque = opaque,
                .action = action,
                .mount = argv[optind],
                .paths = argv + optind + 1,
                .n_paths = argc - optind - 1,
        };
        return 0;
}
