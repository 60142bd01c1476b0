/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ovl-restore: the direct, daemon-less tool.  Issues the overlayfs restore
 * ioctls on MOUNT for each PATH, command-line compatible with Calculinux's
 * tool.  Works from a shell before any bus exists.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/vfs.h>

#include "macro.h"
#include "ovl-ioctl.h"
#include "ovl-restore-args.h"
#include "path-util.h"

#ifndef OVERLAYFS_SUPER_MAGIC
#define OVERLAYFS_SUPER_MAGIC 0x794c7630
#endif

#ifndef PROJECT_VERSION
#define PROJECT_VERSION "unknown"
#endif

static const char *program = "ovl-restore";

static void help(FILE *f) {
        fprintf(f, "Usage: %s [-t|--test] [-d|--discard|-o|--opaque] [--state] MOUNT PATH...\n"
               "\n"
               "Bring back lower-layer entries of the overlayfs mounted at MOUNT that\n"
               "whiteouts in its upper layer hide, online, with the kernel's restore\n"
               "ioctls. Each PATH is absolute and names an entry of that overlay.\n"
               "\n"
               "  -t --test     Print \"Restorable\" for each PATH that a restore would\n"
               "                bring back; change nothing\n"
               "  -d --discard  Remove the upper copy of each PATH (not a directory)\n"
               "                instead of a whiteout: the lower entry shows again\n"
               "  -o --opaque   Clear the opaque mark of each PATH (an unused directory):\n"
               "                the lower directory merges with it again\n"
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
        _cleanup_free_ char *buf = NULL;
        char msg[256];

        fprintf(stderr, "%s: %s: %s\n", program, path_shown(path, &buf),
                ovl_restore_strerror(r, msg, sizeof(msg)));
        return r;
}

/* A PATH's error, EXDEV told in the words of this command line; ENOTTY
 * (no restore ioctls) is run()'s to explain, once. */
static int report_path(const OvlRestoreArgs *args, const char *path, int r) {
        if (r == -ENOTTY)
                return r;
        _cleanup_free_ char *buf = NULL, *mbuf = NULL;

        if (r != -EXDEV)
                return report(path, r);
        fprintf(stderr, "%s: %s: %s (not on the overlay at %s, or its mount point itself%s)\n", program,
                path_shown(path, &buf), strerror(-r), path_shown(args->mount, &mbuf),
                args->opaque ? "; or the directory carries a redirect, which the overlay would follow "
                               "once the mark is gone" : "");
        return r;
}

static int write_errno;  /* the first failed write of standard output */

/* Each answer written as it comes, in the order of the PATHs, between
 * the errors on stderr (stdout into a pipe is otherwise written at exit). */
static int answered(void) {
        if (fflush(stdout) == 0)
                return 0;
        if (write_errno == 0)
                write_errno = errno;
        return -errno;
}

static int run_one(int fd, const OvlRestoreArgs *args, const char *path) {
        uint32_t flags = args->discard ? OVL_RESTORE_DISCARD : args->opaque ? OVL_RESTORE_OPAQUE : 0;
        OvlState st;
        int r;

        switch (args->action) {
        case ACTION_TEST:
                r = ovl_is_restorable(fd, path, flags);
                if (r < 0)
                        return report_path(args, path, r);
                printf("Restorable\n");
                return answered();
        case ACTION_STATE: {
                _cleanup_free_ char *buf = NULL;

                r = ovl_upper_state(fd, path, &st);
                if (r < 0)
                        return report_path(args, path, r);
                if (st.state == OVL_STATE_UPPER)
                        printf("%s\t%s\t%s\t%o\n", path_shown(path, &buf), ovl_state_to_string(st.state),
                               ovl_state_flags_to_string(st.flags), (unsigned) st.mode);
                else
                        printf("%s\t%s\t%s\t-\n", path_shown(path, &buf), ovl_state_to_string(st.state),
                               ovl_state_flags_to_string(st.flags));
                return answered();
        }
        default:
                r = ovl_restore_lower(fd, path, flags);
                return r < 0 ? report_path(args, path, r) : 0;
        }
}

/* Standard output written whole, or said why not: exit status 0, or 1. */
static int output_written(int status) {
        if (fflush(stdout) != 0 && write_errno == 0)
                write_errno = errno;
        if (write_errno == 0 && !ferror(stdout))
                return status;
        fprintf(stderr, "%s: cannot write the output: %s\n", program, strerror(write_errno ?: EIO));
        return 1;
}

static int run(int argc, char *argv[]) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *mount_buf = NULL;
        const char *mount_shown;
        OvlRestoreArgs args;
        struct statfs sfs;
        int r, failed = 0;

        /* Run bare: the usage text, as tools of its kind print it (and as
         * Calculinux's image test expects: it looks for "--state"). */
        if (argc <= 1) {
                help(stderr);
                return 2;
        }
        if (ovl_restore_parse_argv(argc, argv, &args) < 0)
                return 2;
        if (args.action == ACTION_HELP) {
                help(stdout);
                return 0;
        }
        if (args.action == ACTION_VERSION) {
                printf("%s %s\n", program, PROJECT_VERSION);
                return 0;
        }

        /* (MOUNT's errors are not the ioctls': their words, not
         * ovl_restore_strerror()'s) */
        fd = ovl_open_mount(args.mount);
        if (fd < 0 || fstatfs(fd, &sfs) < 0) {
                _cleanup_free_ char *buf = NULL;

                fprintf(stderr, "%s: %s: %s\n", program, path_shown(args.mount, &buf),
                        strerror(fd < 0 ? -fd : errno));
                return 1;
        }
        mount_shown = path_shown(args.mount, &mount_buf);
        if (sfs.f_type != OVERLAYFS_SUPER_MAGIC) {
                fprintf(stderr, "%s: %s: %s (not an overlayfs mount: name the overlay's mount point, "
                        "where its merged view is)\n", program, mount_shown, strerror(ENOTTY));
                return 1;
        }

        if (args.discard && ovl_kernel_has_ioctls(fd) > 0 && !ovl_kernel_has_flag(fd, OVL_RESTORE_DISCARD)) {
                fprintf(stderr, "%s: %s: the running kernel's restore ioctls lack --discard "
                        "(OVL_RESTORE_DISCARD)\n", program, mount_shown);
                return 1;
        }
        if (args.opaque && ovl_kernel_has_ioctls(fd) > 0 && !ovl_kernel_has_flag(fd, OVL_RESTORE_OPAQUE)) {
                fprintf(stderr, "%s: %s: the running kernel's restore ioctls lack --opaque "
                        "(OVL_RESTORE_OPAQUE)\n", program, mount_shown);
                return 1;
        }
        for (int i = 0; i < args.n_paths; i++) {
                r = run_one(fd, &args, args.paths[i]);
                if (r == -ENOTTY) {
                        fprintf(stderr,
                                "%s: %s: %s (the running kernel lacks the overlayfs restore ioctls: "
                                "overlayfs without the restore patch)\n", program, mount_shown,
                                strerror(ENOTTY));
                        return 1;
                }
                if (r < 0)
                        failed = 1;
        }
        return failed;
}

int main(int argc, char *argv[]) {
        return output_written(run(argc, argv));
}
