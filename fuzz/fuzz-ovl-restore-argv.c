/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ovl-restore's command line (client/ovl-restore-args.c).  Input: the
 * arguments after argv[0], separated by NUL bytes. */
#include <getopt.h>

#include "fuzz.h"
#include "ovl-restore-args.h"

#define MAX_ARGS 64

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        /* Its usage messages are not findings; sanitizer reports go to
         * file descriptor 2 directly and still show. */
        FILE *null = fopen("/dev/null", "we");

        if (null)
                stderr = null;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *copy = malloc(size + 1), *argv[MAX_ARGS + 2], *saved[MAX_ARGS + 2];
        OvlRestoreArgs args;
        int argc = 0;

        if (!copy)
                return 0;
        memcpy(copy, data, size);
        copy[size] = '\0';
        argv[argc++] = (char *) "ovl-restore";
        for (size_t i = 0; i < size && argc <= MAX_ARGS; i += strlen(copy + i) + 1)
                argv[argc++] = copy + i;
        argv[argc] = NULL;
        memcpy(saved, argv, sizeof argv);

        optind = 0;     /* glibc: start afresh */
        opterr = 0;
        if (ovl_restore_parse_argv(argc, argv, &args) == 0 &&
            args.action != ACTION_HELP && args.action != ACTION_VERSION) {
                /* MOUNT and at least one PATH, all of them arguments given
                 * (getopt may only have moved them). */
                fuzz_check(args.mount && args.n_paths >= 1 && args.n_paths < argc);
                fuzz_check(args.paths + args.n_paths == argv + argc);
                for (int i = -1; i < args.n_paths; i++) {
                        const char *a = i < 0 ? args.mount : args.paths[i];
                        bool found = false;

                        for (int j = 1; j < argc; j++)
                                found = found || saved[j] == a;
                        fuzz_check(found);
                }
        }
        free(copy);
        return 0;
}
