/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ovl-restore: the direct, daemon-less tool.  Issues the overlayfs restore
 * ioctls on MOUNT for each PATH, command-line compatible with Calculinux's
 * tool.  Works from a shell before any bus exists.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "ovl-ioctl.h"

#ifndef PROJECT_VERSION
#define PROJECT_VERSION "unknown"
#endif

enum { ACTION_RESTORE, ACTION_TEST, ACTION_STATE };

static const char *program = "ovl-restore";

static void help(void) {
        printf("Usage: %s [-t|--test] [--state] MOUNT PATH...\n"
               "\n"
               "Bring back lower-layer entries of the overlayfs mounted at MOUNT that\n"
               "whiteouts in its upper layer hide, online, with the kernel's restore\n"
               "ioctls. Each PATH is absolute and names an entry of that overlay.\n"
               "\n"
               "  -t --test     Print \"Restorable\" for each PATH that a restore would\n"
               "                bring back; change nothing\n"
               "     --state    Print PATH<TAB>STATE<TAB>FLAGS<TAB>MODE for each PATH;\n"
               "                change nothing\n"
               "  -h --help     Show this help\n"
               "     --version  Show the version\n"
               "\n"
               "Exit status: 0 if every PATH succeeded, 1 if any failed, 2 for usage\n"
               "errors. See ovl-restore(8).\n",
               program);
}

static int report(const char *path, int r) {
        fprintf(stderr, "%s: %s: %s\n", program, path, strerror(-r));
        return r;
}

static int run_one(int fd, int action, const char *path) {
        OvlState st;
        int r;

        switch (action) {
        case ACTION_TEST:
                r = ovl_is_restorable(fd, path);
                if (r < 0)
                        return report(path, r);
                printf("Restorable\n");
                return 0;
        case ACTION_STATE:
                r = ovl_upper_state(fd, path, &st);
                if (r < 0)
                        return report(path, r);
                if (st.state == OVL_STATE_UPPER)
                        printf("%s\t%s\t%s\t%o\n", path, ovl_state_to_string(st.state),
                               ovl_state_flags_to_string(st.flags), (unsigned) st.mode);
                else
                        printf("%s\t%s\t%s\t-\n", path, ovl_state_to_string(st.state),
                               ovl_state_flags_to_string(st.flags));
                return 0;
        default:
                r = ovl_restore_lower(fd, path);
                return r < 0 ? report(path, r) : 0;
        }
}

int main(int argc, char *argv[]) {
        enum { ARG_STATE = 0x100, ARG_VERSION };
        static const struct option options[] = {
                { "test",    no_argument, NULL, 't'         },
                { "state",   no_argument, NULL, ARG_STATE   },
                { "help",    no_argument, NULL, 'h'         },
                { "version", no_argument, NULL, ARG_VERSION },
                {}
        };
        _cleanup_close_ int fd = -1;
        int action = ACTION_RESTORE, c, r, failed = 0;

        while ((c = getopt_long(argc, argv, "th", options, NULL)) >= 0)
                switch (c) {
                case 't':
                        if (action == ACTION_STATE)
                                goto conflict;
                        action = ACTION_TEST;
                        break;
                case ARG_STATE:
                        if (action == ACTION_TEST)
                                goto conflict;
                        action = ACTION_STATE;
                        break;
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("%s %s\n", program, PROJECT_VERSION);
                        return 0;
                default:
                        fprintf(stderr, "Try '%s --help'.\n", program);
                        return 2;
                }

        if (argc - optind < 2) {
                fprintf(stderr, "%s: expected MOUNT and at least one PATH. Try '%s --help'.\n",
                        program, program);
                return 2;
        }

        fd = ovl_open_mount(argv[optind]);
        if (fd < 0) {
                report(argv[optind], fd);
                return 1;
        }

        for (int i = optind + 1; i < argc; i++) {
                r = run_one(fd, action, argv[i]);
                if (r == -ENOTTY) {
                        fprintf(stderr,
                                "%s: %s: the running kernel lacks the overlayfs restore ioctls "
                                "(not an overlay, or overlayfs without the restore patch)\n",
                                program, argv[optind]);
                        return 1;
                }
                if (r < 0)
                        failed = 1;
        }
        return failed;

conflict:
        fprintf(stderr, "%s: --test and --state exclude each other.\n", program);
        return 2;
}
