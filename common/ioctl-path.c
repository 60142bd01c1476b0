/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "ioctl-path.h"
#include "layers.h"
#include "statx-util.h"

void ioctl_path_done(IoctlPath *p) {
        if (p->dir_fd >= 0)
                close(p->dir_fd);
        p->dir_fd = -1;
}

void ioctl_path_reset(IoctlPath *p, int root_fd) {
        ioctl_path_done(p);
        p->root_fd = root_fd;
        p->root_checked = false;
}

typedef struct MountIdentity {
        int mnt_id;
        dev_t dev;
        ino_t ino;
} MountIdentity;

static int identify(int dfd, const char *path, int flags, MountIdentity *ret) {
        struct ovl_statx stx = {};
        int r = ovl_statx(dfd, path, flags | AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, OVL_STATX_MNT_ID, &stx);

        if (r < 0)
                return r;
        if (!(stx.stx_mask & OVL_STATX_MNT_ID))
                return -EOPNOTSUPP;
        *ret = (MountIdentity) { (int) stx.stx_mnt_id, makedev(stx.stx_dev_major, stx.stx_dev_minor),
                                 (ino_t) stx.stx_ino };
        return 0;
}

/* Is root_fd the overlay's root, and is the overlay still what is mounted
 * at its mount point (the same mount, or its root mounted there again)?
 * 0; -ESTALE with p->unmounted set (for good) where it is not, or where
 * the mount point is no more; another -errno where it cannot be told.
 * (Without a mount id to compare, or on a kernel that tells none: taken
 * to be.) */
static int still_mounted(IoctlPath *p) {
        MountIdentity root, top;
        int r;

        if (p->unmounted)
                return -ESTALE;
        if (!p->mount_point || p->mnt_id <= 0)
                return 0;
        if (!p->root_checked) {
                r = identify(p->root_fd, "", AT_EMPTY_PATH, &root);
                if (r == -EOPNOTSUPP) {
                        p->mnt_id = 0;
                        return 0;
                }
                if (r < 0)
                        return r;
                if (root.mnt_id != p->mnt_id)
                        goto gone;
                p->root_dev = root.dev;
                p->root_ino = root.ino;
                p->root_checked = true;
        }
        r = identify(AT_FDCWD, p->mount_point, 0, &top);
        if (r == -ENOENT || r == -ENOTDIR)
                goto gone;
        if (r < 0)
                return r;
        if (top.mnt_id == p->mnt_id || (top.dev == p->root_dev && top.ino == p->root_ino))
                return 0;
gone:
        p->unmounted = true;
        return -ESTALE;
}

/* Walks directory @rel[0..n) beneath the root and keeps it. */
static int walk(IoctlPath *p, const char *rel, size_t n) {
        char dir[sizeof p->dir + 2];
        int fd, r;

        if (n >= sizeof p->dir)
                return -ENAMETOOLONG;
        ioctl_path_done(p);
        r = still_mounted(p);
        if (r < 0)
                return r;
        /* ("DIR/.": DIR itself may be no link either) */
        memcpy(dir, rel, n);
        strcpy(dir + n, n ? "/." : ".");
        fd = openat_beneath(p->root_fd, dir, O_PATH | O_DIRECTORY);
        if (fd < 0)
                return fd == -ELOOP ? -EXDEV : fd;
        p->dir_fd = fd;
        p->dir_len = n;
        memcpy(p->dir, rel, n);
        p->dir[n] = '\0';
        p->prefix_len = (size_t) snprintf(p->buf, sizeof p->buf, "/proc/self/fd/%d/", fd);
        return 0;
}

/* Does /proc/self/fd/N lead to the directory kept?  (buf: "/proc/self/fd/N/") */
static bool proc_leads(IoctlPath *p) {
        struct stat a, b;

        return stat(p->buf, &a) == 0 && fstat(p->dir_fd, &b) == 0 && a.st_dev == b.st_dev &&
               a.st_ino == b.st_ino;
}

int ioctl_path_get(IoctlPath *p, const char *path, const char *rel, const char **ret) {
        const char *slash = strrchr(rel, '/'), *name = slash ? slash + 1 : rel;
        size_t n = slash ? (size_t) (slash - rel) : 0, len;
        int r;

        /* (the root itself: its parent is outside the overlay, which the
         * kernel refuses; nothing of it is the overlay's to walk) */
        p->handed_dir = false;
        if (!*rel) {
                *ret = path;
                return 0;
        }
        if (p->proc == 0 || p->dir_fd < 0 || n != p->dir_len || memcmp(p->dir, rel, n) != 0) {
                r = walk(p, rel, n);
                if (r < 0)
                        return r;
                if (p->proc < 0)
                        p->proc = proc_leads(p);
        }
        if (p->proc == 0) {
                *ret = path;
                return 0;
        }
        /* (no snprintf() per path) */
        len = strlen(name);
        if (p->prefix_len + len >= sizeof p->buf)
                return -ENAMETOOLONG;
        memcpy(p->buf + p->prefix_len, name, len + 1);
        p->handed_dir = true;
        *ret = p->buf;
        return 0;
}

bool ioctl_path_gone(IoctlPath *p) {
        static const char deleted[] = " (deleted)";
        char target[PATH_MAX + sizeof deleted];
        size_t k = sizeof deleted - 1;
        ssize_t n;

        /* (without /proc, the kernel walked the name itself) */
        if (p->dir_fd < 0 || !p->handed_dir)
                return false;
        /* Removed, its name says so ("/proc/self/fd/N", read as the
         * kernel names a removed directory's path); renamed, it does not
         * (and is worked on at its new name). */
        p->buf[p->prefix_len - 1] = '\0';
        n = readlink(p->buf, target, sizeof target);
        p->buf[p->prefix_len - 1] = '/';
        if (n < (ssize_t) k || (size_t) n >= sizeof target || memcmp(target + n - k, deleted, k) != 0)
                return false;
        /* (a directory renamed to a name that ends so reads as removed:
         * its old name is walked again, beneath the root as ever; a
         * stat of the name read here would walk it from / instead) */
        ioctl_path_done(p);
        return true;
}
