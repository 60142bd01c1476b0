/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/ioctl-path.c: the path the restore ioctls are handed.  It leads
 * to the directory walked beneath the root, even once that directory is
 * renamed and a link put at its name; a directory reached through a link
 * is refused; paths of one directory share one walk, and the name is
 * walked again once the directory kept was removed; an overlay no longer
 * mounted at its place (unmounted, covered) is left alone, one bound on
 * itself is not; without /proc (a tmpfs over it, in
 * a mount namespace of the test's own), the path itself is handed on. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ioctl-path.h"
#include "statx-util.h"

static char *base;

static char *at(const char *rel) {
        return g_strdup_printf("%s/%s", base, rel);
}

static void make_tree(void) {
        char *t = g_strdup("/tmp/test-ioctl-path-XXXXXX");

        base = g_mkdtemp(t);
        g_assert_nonnull(base);
        for (const char *const *d = (const char *[]) { "d", "d/e", "other", NULL }; *d; d++) {
                char *p = at(*d);
                g_assert_cmpint(mkdir(p, 0755), ==, 0);
                g_free(p);
        }
        for (const char *const *f = (const char *[]) { "d/x", "d/y", "other/x", "top", NULL }; *f; f++) {
                char *p = at(*f);
                g_assert_true(g_file_set_contents(p, *f, -1, NULL));
                g_free(p);
        }
        {
                char *l = at("link");
                g_assert_cmpint(symlink("other", l), ==, 0);
                g_free(l);
        }
}

static void remove_tree(void) {
        char *cmd = g_strdup_printf("rm -rf -- '%s'", base);

        g_assert_cmpint(system(cmd), ==, 0);
        g_free(cmd);
        g_free(base);
}

/* Does @got name the same inode as @rel below base? */
static gboolean same_file(const char *got, const char *rel) {
        char *p = at(rel);
        struct stat a, b;
        gboolean same = stat(got, &a) == 0 && stat(p, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;

        g_free(p);
        return same;
}

static void test_through_proc(void) {
        int root = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
        IoctlPath p = IOCTL_PATH_INIT(root, NULL, 0);
        const char *got;
        char *full = at("d/x"), *want;
        int fd;

        g_assert_cmpint(root, >=, 0);
        g_assert_cmpint(ioctl_path_get(&p, full, "d/x", &got), ==, 0);
        g_assert_cmpint(p.proc, ==, 1);
        fd = p.dir_fd;
        want = g_strdup_printf("/proc/self/fd/%d/x", fd);
        g_assert_cmpstr(got, ==, want);
        g_assert_true(same_file(got, "d/x"));
        /* the same directory: no walk (the same descriptor) */
        g_assert_cmpint(ioctl_path_get(&p, full, "d/y", &got), ==, 0);
        g_assert_cmpint(p.dir_fd, ==, fd);
        g_assert_true(same_file(got, "d/y"));
        /* renamed, and a link put at its name: still the directory walked */
        {
                char *d = at("d"), *moved = at("moved");
                g_assert_cmpint(rename(d, moved), ==, 0);
                g_assert_cmpint(symlink("other", d), ==, 0);
                g_assert_cmpint(ioctl_path_get(&p, full, "d/x", &got), ==, 0);
                g_assert_true(same_file(got, "moved/x"));
                g_assert_false(same_file(got, "other/x"));
                /* a walk anew refuses the link */
                g_assert_cmpint(ioctl_path_get(&p, full, "top", &got), ==, 0);
                g_assert_true(same_file(got, "top"));
                g_assert_cmpint(ioctl_path_get(&p, full, "d/x", &got), ==, -EXDEV);
                g_assert_cmpint(unlink(d), ==, 0);
                g_assert_cmpint(rename(moved, d), ==, 0);
                g_free(d), g_free(moved);
        }
        /* the name walked again once the kernel finds nothing: only where
         * the directory kept was removed (renamed: kept) */
        g_assert_cmpint(ioctl_path_get(&p, full, "d/x", &got), ==, 0);
        fd = p.dir_fd;
        g_assert_false(ioctl_path_gone(&p));
        g_assert_cmpint(p.dir_fd, ==, fd);
        {
                char *d = at("d"), *old = at("d.old"), *e = at("e2");
                g_assert_cmpint(rename(d, old), ==, 0);
                g_assert_cmpint(mkdir(d, 0755), ==, 0);
                g_assert_false(ioctl_path_gone(&p));
                g_assert_cmpint(ioctl_path_get(&p, full, "d/x", &got), ==, 0);
                g_assert_true(same_file(got, "d.old/x"));
                g_assert_cmpint(rmdir(d), ==, 0);
                g_assert_cmpint(rename(old, d), ==, 0);
                g_assert_cmpint(mkdir(e, 0755), ==, 0);
                g_assert_cmpint(ioctl_path_get(&p, full, "e2/x", &got), ==, 0);
                fd = p.dir_fd;
                g_assert_cmpint(rmdir(e), ==, 0);
                g_assert_cmpint(mkdir(e, 0755), ==, 0);
                g_assert_true(ioctl_path_gone(&p));
                g_assert_cmpint(p.dir_fd, ==, -1);
                g_assert_cmpint(ioctl_path_get(&p, full, "e2/x", &got), ==, 0);
                g_assert_true(p.dir_fd >= 0);
                g_assert_false(ioctl_path_gone(&p));
                g_assert_cmpint(rmdir(e), ==, 0);
                g_assert_true(ioctl_path_gone(&p));
                g_assert_cmpint(ioctl_path_get(&p, full, "e2/x", &got), ==, -ENOENT);
                g_free(d), g_free(old), g_free(e);
        }
        /* links and missing directories, in the middle and at the end */
        g_assert_cmpint(ioctl_path_get(&p, full, "link/x", &got), ==, -EXDEV);
        g_assert_cmpint(ioctl_path_get(&p, full, "link/e/x", &got), ==, -EXDEV);
        g_assert_cmpint(ioctl_path_get(&p, full, "none/x", &got), ==, -ENOENT);
        g_assert_cmpint(ioctl_path_get(&p, full, "top/x", &got), ==, -ENOTDIR);
        g_assert_cmpint(ioctl_path_get(&p, full, "d/e/x", &got), ==, 0);
        g_assert_cmpint(strncmp(got, "/proc/self/fd/", 14), ==, 0);
        /* the root itself: handed on as it is */
        g_assert_cmpint(ioctl_path_get(&p, base, "", &got), ==, 0);
        g_assert_cmpstr(got, ==, base);
        ioctl_path_done(&p);
        g_assert_cmpint(p.dir_fd, ==, -1);
        g_free(want), g_free(full);
        close(root);
}

/* In a child, with a tmpfs over /proc: 0 if every check held. */
static int without_proc(void) {
        int root = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
        IoctlPath p = IOCTL_PATH_INIT(root, NULL, 0);
        char *full = at("d/x");
        const char *got;

        if (root < 0 || unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("none", "/proc", "tmpfs", 0, NULL) < 0)
                return 2;
        if (ioctl_path_get(&p, full, "d/x", &got) != 0 || p.proc != 0 || strcmp(got, full) != 0)
                return 3;
        if (ioctl_path_get(&p, full, "link/x", &got) != -EXDEV)
                return 4;
        ioctl_path_done(&p);
        return 0;
}

static int mount_id_of(const char *path) {
        struct ovl_statx stx = {};

        if (ovl_statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, OVL_STATX_MNT_ID, &stx) < 0 ||
            !(stx.stx_mask & OVL_STATX_MNT_ID))
                return -1;
        return (int) stx.stx_mnt_id;
}

/* In a child: an overlay's stand-in (a tmpfs) unmounted, or covered by
 * another mount; its root bound on itself; a root not of the mount
 * named: 0 if every check held. */
static int mount_replaced(void) {
        char *mnt = at("mnt"), *d = at("mnt/d");
        const char *got;
        IoctlPath p;
        int root, id;

        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mkdir(mnt, 0755) < 0)
                return 2;
        for (unsigned how = 0; how < 3; how++) {
                if (mount("none", mnt, "tmpfs", 0, NULL) < 0 || mkdir(d, 0755) < 0)
                        return 3;
                id = mount_id_of(mnt);
                root = open(mnt, O_PATH | O_DIRECTORY | O_CLOEXEC);
                p = IOCTL_PATH_INIT(root, mnt, id);
                if (id < 0 || ioctl_path_get(&p, "/unused", "d/x", &got) != 0)
                        return 4;
                if (how == 0 && umount2(mnt, MNT_DETACH) < 0)
                        return 5;
                if (how == 1 && mount("cover", mnt, "tmpfs", 0, NULL) < 0)
                        return 6;
                if (how == 2 && mount(mnt, mnt, NULL, MS_BIND, NULL) < 0)
                        return 7;
                /* (the directory kept stays; the next walk sees it) */
                if (ioctl_path_get(&p, "/unused", "d/y", &got) != 0)
                        return 8;
                if (how < 2 && (ioctl_path_get(&p, "/unused", "x", &got) != -ESTALE || !p.unmounted))
                        return 9;
                /* (its root mounted there again: the same overlay) */
                if (how == 2 && (ioctl_path_get(&p, "/unused", "x", &got) != 0 || p.unmounted))
                        return 10;
                ioctl_path_done(&p);
                close(root);
                while (umount2(mnt, MNT_DETACH) == 0)
                        ;
        }
        /* a root that is not of the mount named */
        root = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (mount("none", mnt, "tmpfs", 0, NULL) < 0)
                return 11;
        p = IOCTL_PATH_INIT(root, mnt, mount_id_of(mnt));
        if (ioctl_path_get(&p, "/unused", "d/x", &got) != -ESTALE || !p.unmounted)
                return 12;
        close(root);
        return 0;
}

static void in_child(int (*fn)(void)) {
        int status;
        pid_t pid;

        if (geteuid() != 0) {
                g_test_skip("needs root (a mount namespace)");
                return;
        }
        pid = fork();
        g_assert_cmpint(pid, >=, 0);
        if (pid == 0)
                _exit(fn());
        g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
        g_assert_true(WIFEXITED(status));
        g_assert_cmpint(WEXITSTATUS(status), ==, 0);
}

static void test_mount_replaced(void) {
        in_child(mount_replaced);
}

static void test_without_proc(void) {
        in_child(without_proc);
}

int main(int argc, char *argv[]) {
        int r;

        g_test_init(&argc, &argv, NULL);
        make_tree();
        g_test_add_func("/ioctl-path/through-proc", test_through_proc);
        g_test_add_func("/ioctl-path/without-proc", test_without_proc);
        g_test_add_func("/ioctl-path/mount-replaced", test_mount_replaced);
        r = g_test_run();
        remove_tree();
        return r;
}
