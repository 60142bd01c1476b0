/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "io-util.h"
#include "macro.h"
#include "paths-fd.h"

int paths_fd_read(int fd, PathsFdFunc f, void *userdata) {
        _cleanup_free_ char *buf = NULL;
        size_t have = 0;        /* bytes of an unfinished path, at buf's start */
        off_t offset = 0;
        int r;

        r = memory_file_check(fd, NULL);
        if (r < 0)
                return r;
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
