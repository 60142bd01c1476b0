/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ioctl-path.h"
#include "layers.h"
#include "macro.h"

void ioctl_path_done(IoctlPath *p) {
        if (p->dir_fd >= 0)
                close(p->dir_fd);
        p->dir_fd = -1;
}

/* Walks directory @rel[0..n) beneath the root and keeps it. */
static int walk(IoctlPath *p, const char *rel, size_t n) {
        char dir[sizeof p->dir + 2];
        int fd;

        if (n + 3 > sizeof dir)
                return -ENAMETOOLONG;
        /* ("DIR/.": DIR itself may be no link either) */
        memcpy(dir, rel, n);
        strcpy(dir + n, n ? "/." : ".");
        ioctl_path_done(p);
        fd = openat_beneath(p->root_fd, dir, O_PATH | O_DIRECTORY);
        if (fd < 0)
                return fd == -ELOOP || fd == -EXDEV ? -EXDEV : fd;
        p->dir_fd = fd;
        p->dir_len = n;
        memcpy(p->dir, rel, n);
        p->dir[n] = '\0';
        p->prefix_len = (size_t) snprintf(p->buf, sizeof p->buf, "/proc/self/fd/%d/", fd);
        return 0;
}

/* Does /proc/self/fd/N lead to the directory kept?  (buf: "/proc/self/fd/N/") */
static int proc_leads(IoctlPath *p) {
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
        *ret = p->buf;
        return 0;
}
