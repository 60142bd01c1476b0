/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ovlctl: the command-line client of ovl-restored, in the manner of
 * systemd's tools.  See ovlctl(1).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ovlctl.h"

#ifndef PROJECT_VERSION
#define PROJECT_VERSION "unknown"
#endif

JsonMode arg_json = JSON_OFF;
bool arg_ask_password = true;
bool arg_private = false;
bool arg_recursive = false;
bool arg_dry_run = false;
bool arg_block = true;
const char *arg_paths_from = NULL;
bool arg_null = false;
const char *arg_mode = NULL;
const char *arg_method = NULL;

typedef struct Verb {
        const char *name;
        int min_args, max_args;         /* not counting the verb; -1: any */
        int (*run)(sd_bus *bus, int argc, char *argv[]);
        bool may_authenticate;          /* start a polkit agent first */
} Verb;

static const Verb verbs[] = {
        { "status",  0,  0, verb_status,  false },
        { "mounts",  0,  0, verb_mounts,  false },
        { "state",   1, -1, verb_state,   true  },
        { "scan",    0,  1, verb_scan,    true  },
        { "diff",    0,  1, verb_diff,    true  },
        { "restore", 1, -1, verb_restore, true  },
        { "revert",  1, -1, verb_revert,  true  },
        { "jobs",    0,  0, verb_jobs,    false },
        { "wait",    1, -1, verb_wait,    true  },     /* (another's job: manage-jobs) */
        { "cancel",  1, -1, verb_cancel,  true  },
        { "monitor", 0,  0, verb_monitor, false },
        { "pending", 0,  0, verb_pending, true  },
        { "cancel-pending", 1, -1, verb_cancel_pending, true },
};

static void help(void) {
        printf("Usage: ovlctl [OPTIONS...] COMMAND ...\n"
               "\n"
               "Ask ovl-restored to bring back files of an overlay's lower layers that\n"
               "whiteouts in its upper layer hide.\n"
               "\n"
               "Commands:\n"
               "  status                 Daemon version, kernel interface, each overlay\n"
               "                         with its method, queue and active job\n"
               "  mounts                 The overlay mounts and their layers\n"
               "  state PATH...          What the upper layer holds for each PATH\n"
               "  scan [PATH]            Hidden or shadowed entries at or below PATH\n"
               "                         (default: every overlay)\n"
               "  diff [PATH]            What the upper layer changes of the lower\n"
               "                         layers at or below PATH (default: everywhere)\n"
               "  restore PATH...        Restore PATHs (grouped per overlay) and wait\n"
               "  revert PATH...         Drop the upper copies of PATHs: the lower\n"
               "                         layers' version shows again (restore --mode=discard)\n"
               "  jobs                   List the daemon's jobs\n"
               "  wait ID...             Wait for jobs and show their outcomes\n"
               "  cancel ID...           Cancel jobs\n"
               "  monitor                Show job and mount events until interrupted\n"
               "  pending                Deferred restores waiting for the next boot\n"
               "  cancel-pending ID...   Drop deferred restores\n"
               "\n"
               "Options:\n"
               "  -r --recursive         restore: also every whiteout below a directory;\n"
               "                         revert: every upper copy below it instead\n"
               "     --mode=MODE         restore: whiteout (default), opaque or discard\n"
               "     --method=METHOD     restore: auto (default), ioctl, remount, deferred\n"
               "     --dry-run           restore: show what would be restored\n"
               "     --no-block          restore: print the jobs and do not wait\n"
               "     --paths-from=FILE   restore, revert: also the paths listed in FILE,\n"
               "                         one per line (- for standard input), in a memfd\n"
               "  -0 --null              restore, revert: the paths in FILE end with a\n"
               "                         NUL, not a newline (as find -print0 writes them)\n"
               "     --type=TYPES        diff: the kinds to show, comma-separated: modified,\n"
               "                         unchanged, deleted, opaque, added, unreadable\n"
               "                         (default: all but unchanged)\n"
               "     --json=MODE         JSON output: short, pretty or off (--json: short)\n"
               "     --no-ask-password   Do not ask for a password (polkit)\n"
               "     --private           Talk to ovl-restored on its root-only socket\n"
               "                         instead of the system bus\n"
               "  -h --help              Show this help\n"
               "     --version           Show the version\n"
               "\n"
               "Exit status: 0 when everything asked was done; 1 failed; 2 usage;\n"
               "3 unsupported; 4 permission denied; 5 partly failed; 6 overlay busy;\n"
               "7 ovl-restored not reachable. See ovlctl(1).\n");
}

static int parse_argv(int argc, char *argv[]) {
        enum {
                ARG_VERSION = 0x100, ARG_MODE, ARG_METHOD, ARG_DRY_RUN, ARG_NO_BLOCK,
                ARG_JSON, ARG_NO_ASK_PASSWORD, ARG_PRIVATE, ARG_TYPE, ARG_PATHS_FROM,
        };
        static const struct option options[] = {
                { "help",             no_argument,       NULL, 'h'                 },
                { "version",          no_argument,       NULL, ARG_VERSION         },
                { "recursive",        no_argument,       NULL, 'r'                 },
                { "mode",             required_argument, NULL, ARG_MODE            },
                { "method",           required_argument, NULL, ARG_METHOD          },
                { "dry-run",          no_argument,       NULL, ARG_DRY_RUN         },
                { "no-block",         no_argument,       NULL, ARG_NO_BLOCK        },
                { "paths-from",       required_argument, NULL, ARG_PATHS_FROM      },
                { "null",             no_argument,       NULL, '0'                 },
                { "json",             optional_argument, NULL, ARG_JSON            },
                { "no-ask-password",  no_argument,       NULL, ARG_NO_ASK_PASSWORD },
                { "private",          no_argument,       NULL, ARG_PRIVATE         },
                { "type",             required_argument, NULL, ARG_TYPE            },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "hr0", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("ovlctl %s\n", PROJECT_VERSION);
                        return 0;
                case 'r':
                        arg_recursive = true;
                        break;
                case ARG_MODE:
                        arg_mode = optarg;
                        break;
                case ARG_METHOD:
                        arg_method = optarg;
                        break;
                case ARG_DRY_RUN:
                        arg_dry_run = true;
                        break;
                case ARG_NO_BLOCK:
                        arg_block = false;
                        break;
                case ARG_PATHS_FROM:
                        arg_paths_from = optarg;
                        break;
                case '0':
                        arg_null = true;
                        break;
                case ARG_JSON:
                        if (!optarg || streq(optarg, "short"))
                                arg_json = JSON_SHORT;
                        else if (streq(optarg, "pretty"))
                                arg_json = JSON_PRETTY;
                        else if (streq(optarg, "off"))
                                arg_json = JSON_OFF;
                        else {
                                fprintf(stderr, "Unknown --json mode '%s': use short, pretty or off.\n",
                                        optarg);
                                return -EXIT_USAGE;
                        }
                        break;
                case ARG_NO_ASK_PASSWORD:
                        arg_ask_password = false;
                        break;
                case ARG_PRIVATE:
                        arg_private = true;
                        break;
                case ARG_TYPE:
                        arg_types = optarg;
                        break;
                case '?':
                        fprintf(stderr, "Try 'ovlctl --help'.\n");
                        return -EXIT_USAGE;
                default:
                        return -EXIT_USAGE;
                }
        return 1;
}

static int run(int argc, char *argv[]) {
        const Verb *verb = NULL;
        sd_bus *bus = NULL;
        int r, n;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return -r;
        if (optind >= argc) {
                fprintf(stderr, "No command given. Try 'ovlctl --help'.\n");
                return EXIT_USAGE;
        }
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(verbs[i].name, argv[optind]))
                        verb = &verbs[i];
        if (!verb) {
                fprintf(stderr, "Unknown command '%s'. Try 'ovlctl --help'.\n", argv[optind]);
                return EXIT_USAGE;
        }
        n = argc - optind - 1;
        bool restores = streq(verb->name, "restore") || streq(verb->name, "revert");

        /* (a restore's paths may all be in --paths-from's FILE) */
        if ((n < verb->min_args && !(restores && arg_paths_from)) || (verb->max_args >= 0 && n > verb->max_args)) {
                fprintf(stderr, "'%s' takes %s. Try 'ovlctl --help'.\n", verb->name,
                        verb->max_args == 0 ? "no arguments" :
                        verb->max_args == 1 && verb->min_args == 0 ? "at most one argument" :
                        "one or more arguments");
                return EXIT_USAGE;
        }
        if ((arg_mode || arg_method || arg_recursive || arg_dry_run || !arg_block || arg_paths_from ||
             arg_null) && !restores) {
                fprintf(stderr, "-r, --mode, --method, --dry-run, --no-block, --paths-from and --null go "
                        "with 'restore' and 'revert' only.\n");
                return EXIT_USAGE;
        }
        if (arg_null && !arg_paths_from) {
                fprintf(stderr, "--null says how --paths-from's FILE is written: give --paths-from too.\n");
                return EXIT_USAGE;
        }
        if (arg_mode && streq(verb->name, "revert")) {
                fprintf(stderr, "'revert' is a restore with --mode=discard: give no --mode.\n");
                return EXIT_USAGE;
        }
        if (arg_types && !streq(verb->name, "diff")) {
                fprintf(stderr, "--type goes with 'diff' only.\n");
                return EXIT_USAGE;
        }

        r = ovlctl_connect(&bus);
        if (r > 0)
                return r;
        if (verb->may_authenticate)
                ovlctl_agent_open();
        r = verb->run(bus, n + 1, argv + optind);
        sd_bus_flush_close_unref(bus);
        return r;
}

int main(int argc, char *argv[]) {
        int r = run(argc, argv);

        /* (output to a full disk or a closed pipe is no success) */
        errno = 0;
        if (fflush(stdout) != 0 || ferror(stdout)) {
                fprintf(stderr, "Cannot write the output%s%s.\n", errno ? ": " : "", errno ? strerror(errno) : "");
                if (r == EXIT_OK)
                        r = EXIT_FAILED;
        }
        return r;
}
