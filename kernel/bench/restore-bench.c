/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * restore-bench: the restore ioctl against the remount method, in one boot.
 *
 *   single: restore one whiteout (and stat the file) N times, each way
 *   bulk:   restore 10,000 whiteouts of one directory, each way
 *
 * The remount method is what a kernel without the ioctl needs: unmount,
 * unlink the whiteout from the upper directory, mount again with the same
 * options.  Prints times and ratios; asserts nothing about them.  Needs
 * root and a kernel with the series; runs in a private mount namespace.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "ovl-ioctl.h"

static char base[] = "/tmp/ovl-bench.XXXXXX";
static char merged[PATH_MAX], upper[PATH_MAX], opts[4 * PATH_MAX];

static double now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what) {
        perror(what);
        exit(1);
}

static void mount_overlay(void) {
        if (mount("overlay", merged, "overlay", 0, opts) < 0)
                die("mount overlay");
}

static void unmount_overlay(void) {
        if (umount(merged) < 0)
                die("umount overlay");
}

static void path_in(char *buf, const char *dir, const char *name) {
        if ((size_t) snprintf(buf, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX)
                die("path too long");
}

static void whiteout(const char *name) {
        char p[PATH_MAX];
        path_in(p, merged, name);
        if (unlink(p) < 0)
                die("unlink in merged");
}

static void must_see(const char *name) {
        char p[PATH_MAX];
        struct stat st;
        path_in(p, merged, name);
        if (stat(p, &st) < 0)
                die("stat after restore");
}

static void restore_ioctl(const char *name) {
        char p[PATH_MAX];
        _cleanup_close_ int fd = ovl_open_mount(merged);
        int r;

        path_in(p, merged, name);
        r = ovl_restore_lower(fd, p, 0);
        if (r < 0) {
                errno = -r;
                die("OVL_IOC_RESTORE_LOWER");
        }
}

static void remove_upper_whiteout(int udir, const char *name) {
        struct stat st;
        if (fstatat(udir, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
            !S_ISCHR(st.st_mode) || st.st_rdev != 0)
                die("not a whiteout");
        if (unlinkat(udir, name, 0) < 0)
                die("unlinkat whiteout");
}

static unsigned count_merged(const char *dir) {
        DIR *d = opendir(dir);
        struct dirent *de;
        unsigned n = 0;
        if (!d)
                die("opendir");
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        n++;
        closedir(d);
        return n;
}

int main(int argc, char *argv[]) {
        int n = argc > 1 ? atoi(argv[1]) : 200, bulk = argc > 2 ? atoi(argv[2]) : 10000;
        char p[PATH_MAX], name[32];
        double t, t_ioctl = 0, t_remount = 0, t_unlink;
        struct utsname u;

        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            !mkdtemp(base) || mount("tmpfs", base, "tmpfs", 0, NULL) < 0)
                die("setup");
        for (const char *d = "lower\0upper\0work\0merged\0lower/bulk\0"; *d; d += strlen(d) + 1) {
                path_in(p, base, d);
                if (mkdir(p, 0755) < 0)
                        die("mkdir");
        }
        path_in(p, base, "lower/file");
        if (close(open(p, O_CREAT | O_WRONLY, 0644)) < 0)
                die("create lower file");
        for (int i = 0; i < bulk; i++) {
                snprintf(name, sizeof name, "lower/bulk/f%05d", i);
                path_in(p, base, name);
                if (close(open(p, O_CREAT | O_WRONLY, 0644)) < 0)
                        die("create bulk file");
        }
        path_in(merged, base, "merged");
        path_in(upper, base, "upper");
        snprintf(opts, sizeof opts,
                 "lowerdir=%s/lower,upperdir=%s/upper,workdir=%s/work,"
                 "index=off,xino=off,redirect_dir=off,metacopy=off", base, base, base);
        mount_overlay();
        _cleanup_close_ int udir = open(upper, O_RDONLY | O_DIRECTORY);
        if (udir < 0)
                die("open upper");

        /* single whiteout, N times each way */
        for (int i = 0; i < n; i++) {
                whiteout("file");
                t = now();
                restore_ioctl("file");
                must_see("file");
                t_ioctl += now() - t;

                whiteout("file");
                t = now();
                unmount_overlay();
                remove_upper_whiteout(udir, "file");
                mount_overlay();
                must_see("file");
                t_remount += now() - t;
        }
        uname(&u);
        printf("restore-bench: Linux %s on %s, tmpfs layers\n", u.release, u.machine);
        printf("%-22s ioctl %10.1f us   remount %10.1f us   remount/ioctl %6.1fx\n",
               "1 whiteout (mean)", t_ioctl / n * 1e6, t_remount / n * 1e6, t_remount / t_ioctl);

        /* bulk: one directory of whiteouts, each way */
        for (int i = 0; i < bulk; i++) {
                snprintf(name, sizeof name, "bulk/f%05d", i);
                whiteout(name);
        }
        path_in(p, merged, "bulk");
        t = now();
        {
                _cleanup_close_ int fd = ovl_open_mount(merged);
                for (int i = 0; i < bulk; i++) {
                        char q[PATH_MAX];
                        snprintf(name, sizeof name, "bulk/f%05d", i);
                        path_in(q, merged, name);
                        if (ovl_restore_lower(fd, q, 0) < 0)
                                die("bulk restore");
                }
        }
        if (count_merged(p) != (unsigned) bulk)
                die("bulk ioctl: not all visible");
        t_ioctl = now() - t;

        for (int i = 0; i < bulk; i++) {
                snprintf(name, sizeof name, "bulk/f%05d", i);
                whiteout(name);
        }
        t = now();
        unmount_overlay();
        {
                char ud[PATH_MAX];
                path_in(ud, upper, "bulk");
                _cleanup_close_ int bfd = open(ud, O_RDONLY | O_DIRECTORY);
                if (bfd < 0)
                        die("open upper/bulk");
                t_unlink = now();
                for (int i = 0; i < bulk; i++) {
                        snprintf(name, sizeof name, "f%05d", i);
                        remove_upper_whiteout(bfd, name);
                }
                t_unlink = now() - t_unlink;
        }
        mount_overlay();
        if (count_merged(p) != (unsigned) bulk)
                die("bulk remount: not all visible");
        t_remount = now() - t;
        snprintf(name, sizeof name, "%d whiteouts, 1 dir", bulk);
        printf("%-22s ioctl %10.1f ms   remount %10.1f ms   remount/ioctl %6.1fx\n",
               name, t_ioctl * 1e3, t_remount * 1e3, t_remount / t_ioctl);
        /* The floor under any remount: the unlinks on the unmounted upper. */
        printf("%-22s ioctl %10.1f ms   unlink loop %6.1f ms   loop/ioctl %6.2fx\n",
               name, t_ioctl * 1e3, t_unlink * 1e3, t_unlink / t_ioctl);

        unmount_overlay();
        umount2(base, MNT_DETACH);
        rmdir(base);
        return 0;
}
