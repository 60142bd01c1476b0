/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "path-util.h"
#include "state-dir.h"

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
