/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "io-util.h"
#include "layers-diff.h"
#include "macro.h"

#define CHUNK (64 * 1024)

/* Opens for reading without touching the access time where the caller
 * may (it owns the file, or has CAP_FOWNER). */
static int open_read(int dir, const char *name) {
        int flags = O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC;
        int fd = openat(dir, name, flags | O_NOATIME);

        if (fd < 0 && errno == EPERM)
                fd = openat(dir, name, flags);
        return fd < 0 ? negative_errno() : fd;
}

static bool unreadable(int r) {
        return r == -EACCES || r == -EPERM;
}

/* 1 if the data of two regular files differ, 0 if not. */
static int data_differ(int upper_dir, int lower_dir, const char *name) {
        _cleanup_close_ int a = -1, b = -1;
        _cleanup_free_ char *buf = NULL;

        a = open_read(upper_dir, name);
        if (a < 0)
                return a;
        b = open_read(lower_dir, name);
        if (b < 0)
                return b;
        buf = malloc(2 * CHUNK);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t na = read_full(a, buf, CHUNK), nb = read_full(b, buf + CHUNK, CHUNK);

                if (na < 0)
                        return (int) na;
                if (nb < 0)
                        return (int) nb;
                if (na != nb || memcmp(buf, buf + CHUNK, (size_t) na) != 0)
                        return 1;
                if (na < CHUNK)
                        return 0;
        }
}

static int link_differs(int upper_dir, int lower_dir, const char *name) {
        char a[PATH_MAX], b[PATH_MAX];
        ssize_t na, nb;

        na = readlinkat(upper_dir, name, a, sizeof a);
        if (na < 0)
                return negative_errno();
        nb = readlinkat(lower_dir, name, b, sizeof b);
        if (nb < 0)
                return negative_errno();
        return na != nb || memcmp(a, b, (size_t) na) != 0;
}

/* The entry's extended attributes, read through /proc/self/fd (an O_PATH
 * descriptor has no xattr calls of its own; the magic link leads to the
 * entry itself, a symlink too). */
typedef struct Xattrs {
        int fd;
        char proc[64];
        char *names;
        ssize_t size;
} Xattrs;

static void xattrs_done(Xattrs *x) {
        if (x->fd >= 0)
                close(x->fd);
        free(x->names);
}

static int xattrs_open(Xattrs *x, int dir, const char *name) {
        *x = (Xattrs) { .fd = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC) };
        if (x->fd < 0)
                return negative_errno();
        snprintf(x->proc, sizeof x->proc, "/proc/self/fd/%d", x->fd);
        for (;;) {
                ssize_t n = listxattr(x->proc, NULL, 0);

                if (n < 0)
                        return errno == ENOTSUP ? 0 : negative_errno();
                free(x->names);
                x->names = malloc((size_t) n + 1);
                if (!x->names)
                        return -ENOMEM;
                x->size = listxattr(x->proc, x->names, (size_t) n);
                if (x->size >= 0)
                        return 0;
                if (errno != ERANGE)    /* (ERANGE: one was added meanwhile) */
                        return negative_errno();
        }
}

/* One value, in a buffer of its own (NULL, 0 for none). */
static int xattr_value(const Xattrs *x, const char *attr, char **ret, ssize_t *ret_size) {
        for (;;) {
                ssize_t n = getxattr(x->proc, attr, NULL, 0);
                char *v;

                if (n < 0 && errno == ENODATA) {
                        *ret = NULL, *ret_size = -1;
                        return 0;
                }
                if (n < 0)
                        return negative_errno();
                v = malloc((size_t) n + 1);
                if (!v)
                        return -ENOMEM;
                *ret_size = getxattr(x->proc, attr, v, (size_t) n);
                if (*ret_size >= 0) {
                        *ret = v;
                        return 0;
                }
                free(v);
                if (errno != ERANGE)
                        return negative_errno();
        }
}

/* Overlayfs's own attributes, and for a caller other than root the
 * trusted.* ones: the daemon's CAP_SYS_ADMIN reads them whatever the
 * thread's fsuid, and the caller could not. */
static bool is_skipped(const Layers *l, const char *attr, bool privileged) {
        const char *prefix = l->userxattr ? "user.overlay." : "trusted.overlay.";

        return strncmp(attr, prefix, strlen(prefix)) == 0 ||
               (!privileged && strncmp(attr, "trusted.", 8) == 0);
}

/* The names of @a that are not overlayfs's own; each must be in @b with
 * the same value.  1 if one is not, 0 if all are. */
static int xattrs_missing(const Layers *l, const Xattrs *a, const Xattrs *b, bool privileged,
                          size_t *ret_count) {
        size_t count = 0;

        for (const char *n = a->names; n && n < a->names + a->size; n += strlen(n) + 1) {
                _cleanup_free_ char *va = NULL, *vb = NULL;
                ssize_t sa, sb;
                int r;

                if (is_skipped(l, n, privileged))
                        continue;
                count++;
                r = xattr_value(a, n, &va, &sa);
                if (r >= 0)
                        r = xattr_value(b, n, &vb, &sb);
                if (r < 0)
                        return r;
                if (sa != sb || (sa > 0 && memcmp(va, vb, (size_t) sa) != 0))
                        return 1;
        }
        *ret_count = count;
        return 0;
}

static int xattrs_differ(const Layers *l, int upper_dir, int lower_dir, const char *name,
                         bool privileged) {
        _cleanup_(xattrs_done) Xattrs u = { .fd = -1 }, w = { .fd = -1 };
        size_t nu = 0, nw = 0;
        int r;

        r = xattrs_open(&u, upper_dir, name);
        if (r >= 0)
                r = xattrs_open(&w, lower_dir, name);
        if (r < 0)
                return r;
        /* Every name of one is in the other with the same value, and both
         * have as many: the same set. */
        r = xattrs_missing(l, &u, &w, privileged, &nu);
        if (r == 0)
                r = xattrs_missing(l, &w, &u, privileged, &nw);
        if (r != 0)
                return r;
        return nu != nw;
}

/* Overlayfs's attribute @which of entry @name is set. */
static bool has_attr(const Layers *l, int dir, const char *name, const char *which) {
        _cleanup_close_ int fd = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        char proc[64], attr[64];

        if (fd < 0)
                return false;
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
        snprintf(attr, sizeof attr, "%s.overlay.%s", l->userxattr ? "user" : "trusted", which);
        return getxattr(proc, attr, NULL, 0) >= 0;
}

int layers_diff(Layers *l, int upper_dir, int lower_dir, const char *name, bool privileged,
                unsigned *ret) {
        struct stat su, sl;
        unsigned diff = 0;
        int r = 0;

        if (fstatat(upper_dir, name, &su, AT_SYMLINK_NOFOLLOW) < 0 ||
            fstatat(lower_dir, name, &sl, AT_SYMLINK_NOFOLLOW) < 0) {
                r = negative_errno();
                if (!unreadable(r))
                        return r;
                *ret = LAYERS_DIFF_UNREADABLE;
                return 0;
        }
        if ((su.st_mode & S_IFMT) != (sl.st_mode & S_IFMT)) {
                *ret = LAYERS_DIFF_TYPE;
                return 0;
        }
        if ((su.st_mode & 07777) != (sl.st_mode & 07777))
                diff |= LAYERS_DIFF_MODE;
        if (su.st_uid != sl.st_uid || su.st_gid != sl.st_gid)
                diff |= LAYERS_DIFF_OWNER;

        switch (su.st_mode & S_IFMT) {
        case S_IFREG:
                if (su.st_size != sl.st_size)
                        r = 1;
                else if (!has_attr(l, upper_dir, name, "metacopy"))
                        r = data_differ(upper_dir, lower_dir, name);
                else if (has_attr(l, upper_dir, name, "redirect"))
                        r = -EACCES;    /* the data is another file's: not compared */
                break;
        case S_IFLNK:
                r = link_differs(upper_dir, lower_dir, name);
                break;
        case S_IFCHR:
        case S_IFBLK:
                r = su.st_rdev != sl.st_rdev;
                break;
        }
        if (r > 0)
                diff |= LAYERS_DIFF_CONTENT;
        else if (unreadable(r))
                diff |= LAYERS_DIFF_UNREADABLE;
        else if (r < 0)
                return r;

        r = xattrs_differ(l, upper_dir, lower_dir, name, privileged);
        if (r > 0)
                diff |= LAYERS_DIFF_XATTRS;
        else if (unreadable(r))
                diff |= LAYERS_DIFF_UNREADABLE;
        else if (r < 0 && r != -ENOTSUP)
                return r;

        *ret = diff;
        return 0;
}
