/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io-util.h"
#include "macro.h"
#include "path-util.h"
#include "state-dir.h"
#include "test-hooks.h"

int state_subdir_open(const char *state_dir, const char *sub, bool create) {
        _cleanup_free_ char *dir = NULL;
        bool made = false;
        int fd, r;

        if (asprintf(&dir, "%s/%s", state_dir, sub) < 0)
                return -ENOMEM;
        /* (made already, after the first time: nothing to create) */
again:
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd >= 0 || errno != ENOENT || !create || made)
                return fd < 0 ? negative_errno() : fd;
        r = mkdir_parents_mode(state_dir, 0700);
        if (r < 0)
                return r;
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return negative_errno();
        made = true;
        goto again;
}

static void write_point(const char *sub, const char *step) {
        char name[64];

        snprintf(name, sizeof name, "%s-write-%s", sub, step);
        crash_point(name);
}

int state_file_write(const char *state_dir, const char *sub, const char *name, const void *text, size_t size,
                     bool exclusive) {
        _cleanup_close_ int dfd = -EBADF, fd = -EBADF;
        _cleanup_free_ char *tmp = NULL;
        int r;

        if (asprintf(&tmp, ".%s.tmp", name) < 0)
                return -ENOMEM;
        dfd = state_subdir_open(state_dir, sub, true);
        if (dfd < 0)
                return dfd;
        fd = openat(dfd, tmp, O_WRONLY | O_CREAT | (exclusive ? O_EXCL : O_TRUNC) | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return negative_errno();
        r = write_all(fd, text, size);
        write_point(sub, "tmp");
        if (r >= 0 && fsync(fd) < 0)
                r = negative_errno();
        if (r >= 0) {
                write_point(sub, "fsync");
                if (renameat(dfd, tmp, dfd, name) < 0)
                        r = negative_errno();
        }
        if (r < 0) {
                (void) unlinkat(dfd, tmp, 0);
                return r;
        }
        write_point(sub, "rename");
        return fsync(dfd) < 0 ? negative_errno() : 0;
}

/* Is @name the temporary file of a state_file_write()? */
static bool state_name_is_tmp(const char *name) {
        size_t n = strlen(name);

        return name[0] == '.' && n > strlen("..tmp") && strcmp(name + n - strlen(".tmp"), ".tmp") == 0;
}

/* Every temporary file of @sub: how many went, or the first error (the
 * others are still removed). */
static int subdir_sweep(const char *state_dir, const char *sub) {
        _cleanup_close_ int dfd = state_subdir_open(state_dir, sub, false);
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        int n = 0, r;

        if (dfd < 0)
                return dfd == -ENOENT ? 0 : dfd;
        r = opendir_dup(dfd, &d);
        if (r < 0)
                return r;
        while ((de = readdir(d)))
                if (state_name_is_tmp(de->d_name)) {
                        if (unlinkat(dfd, de->d_name, 0) == 0)
                                n++;
                        else if (r == 0)
                                r = negative_errno();
                }
        if (n > 0 && fsync(dfd) < 0 && r == 0)
                r = negative_errno();
        return r < 0 ? r : n;
}

int state_dir_sweep(const char *state_dir, const char **ret_where) {
        static const char *const subs[] = { "pending", "remount", "lingering" };
        int n = 0, first = 0;

        for (size_t i = 0; i < ELEMENTSOF(subs); i++) {
                int r = subdir_sweep(state_dir, subs[i]);

                if (r >= 0)
                        n += r;
                else if (first == 0) {
                        first = r;
                        *ret_where = subs[i];
                }
        }
        return first < 0 ? first : n;
}

int state_dir_lock(const char *state_dir, bool create) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (create) {
                r = mkdir_parents_mode(state_dir, 0700);
                if (r < 0)
                        return r;
        }
        /* (the directory itself: nothing to create, read-only too) */
        fd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        if (flock(fd, LOCK_EX | LOCK_NB) < 0)
                return errno == EWOULDBLOCK ? -EBUSY : negative_errno();
        return TAKE_FD(fd);
}
