/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "paths-fd.h"

int paths_fd_read(int fd, PathsFdFunc f, void *userdata) {
        _cleanup_free_ char *buf = NULL;
        size_t have = 0;        /* bytes of an unfinished path, at buf's start */
        off_t offset = 0;
        struct stat st;
        int r, flags;

        /* F_GET_SEALS first: it looks at the file only, where an fstat()
         * may ask a file system (FUSE, NFS) that never answers.  It
         * answers for regular files of tmpfs and hugetlbfs (6.1: those
         * with shmem's address space operations); S_ISREG as well, in case
         * a kernel lets a FIFO or device node of tmpfs answer too. */
        if (fcntl(fd, F_GET_SEALS) < 0)
                return -EBADFD;
        flags = fcntl(fd, F_GETFL);
        if (flags < 0 || ((flags & O_ACCMODE) != O_RDONLY && (flags & O_ACCMODE) != O_RDWR) ||
            fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return -EBADFD;
        buf = malloc(PATH_MAX + PATHS_FD_CHUNK);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t k = pread(fd, buf + have, PATHS_FD_CHUNK, offset);
                size_t start = 0, end;
                char *nul;

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if ((uint64_t) offset + (uint64_t) k > PATHS_FD_MAX)
                        return -EFBIG;
                offset += k;
                end = have + (size_t) k;
                for (; (nul = memchr(buf + start, 0, end - start)); start = (size_t) (nul - buf) + 1) {
                        if (nul == buf + start)
                                return -EBADMSG;
                        if ((size_t) (nul - buf) - start >= PATH_MAX)
                                return -ENAMETOOLONG;
                        r = f(buf + start, userdata);
                        if (r < 0)
                                return r;
                }
                have = end - start;
                if (have >= PATH_MAX)
                        return -ENAMETOOLONG;
                memmove(buf, buf + start, have);
                if (k == 0)
                        break;
        }
        if (have == 0)
                return 0;
        buf[have] = 0;          /* the last path, without its NUL */
        r = f(buf, userdata);
        return r < 0 ? r : 0;
}
