/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io-util.h"
#include "macro.h"

ssize_t read_full(int fd, void *buf, size_t size) {
        size_t done = 0;

        while (done < size) {
                ssize_t n = read(fd, (char *) buf + done, size - done);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negative_errno();
                if (n == 0)
                        break;
                done += (size_t) n;
        }
        return (ssize_t) done;
}

int write_all(int fd, const void *buf, size_t size) {
        for (size_t done = 0; done < size;) {
                ssize_t n = write(fd, (const char *) buf + done, size - done);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negative_errno();
                if (n == 0)
                        return -EIO;
                done += (size_t) n;
        }
        return 0;
}

int read_whole(int fd, size_t max, char **ret, size_t *ret_size) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, cap = 0;

        for (;;) {
                size_t want;
                ssize_t n;

                if (cap - size < 1024) {
                        size_t c = cap ? cap * 2 : 4096;
                        char *m;

                        if (cap > max)
                                return -EFBIG;
                        m = realloc(buf, c);
                        if (!m)
                                return -ENOMEM;
                        buf = m;
                        cap = c;
                }
                want = cap - size - 1;
                n = read_full(fd, buf + size, want);
                if (n < 0)
                        return (int) n;
                size += (size_t) n;
                if ((size_t) n < want)
                        break;
        }
        if (size > max)
                return -EFBIG;
        buf[size] = '\0';
        if (ret_size)
                *ret_size = size;
        *ret = TAKE_PTR(buf);
        return 0;
}

int opendir_dup(int dfd, DIR **ret) {
        int fd = fcntl(dfd, F_DUPFD_CLOEXEC, 3), r;
        DIR *d;

        if (fd < 0)
                return negative_errno();
        d = fdopendir(fd);
        if (!d) {
                r = negative_errno();
                close(fd);
                return r;
        }
        /* (a duplicate shares the offset of @dfd, which may have been read) */
        rewinddir(d);
        *ret = d;
        return 0;
}

int memory_file_check(int fd, struct stat *ret_st) {
        struct stat st;
        int flags, seals;

        /* F_GET_SEALS first: it looks at the file only, where an fstat()
         * may ask a file system (FUSE, NFS) that never answers.  It
         * answers for regular files of tmpfs and hugetlbfs (6.1: those
         * with shmem's address space operations); S_ISREG as well, in case
         * a kernel lets a FIFO or device node of tmpfs answer too. */
        seals = fcntl(fd, F_GET_SEALS);
        if (seals < 0)
                return -EBADFD;
        flags = fcntl(fd, F_GETFL);
        if (flags < 0 || ((flags & O_ACCMODE) != O_RDONLY && (flags & O_ACCMODE) != O_RDWR) ||
            fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return -EBADFD;
        if (ret_st)
                *ret_st = st;
        return seals;
}
