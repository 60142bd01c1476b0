/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The "paths-fd" of a Restore call (README.md): more of its paths, in a
 * file the caller made, so that a long list need not pass through the bus
 * (a 100,000-path message is 5 MiB, held by the bus daemon and by us).
 * The file is a memfd, or another regular file of memory, open for
 * reading (io-util.h's memory_file_check()), which the event loop may
 * read.
 * It holds paths in the bus form (bus-path.h), each ended by a NUL (the
 * last one's may be missing), read from offset 0 to its end, at most
 * PATHS_FD_MAX bytes (what the system bus takes in one message); the
 * caller's file offset is left alone. */

#define PATHS_FD_MAX (32u * 1024 * 1024)
/* Bytes read at a time: with room for an unfinished path before them,
 * the buffer stays below the daemon's M_MMAP_THRESHOLD (main.c). */
#define PATHS_FD_CHUNK (32 * 1024)

typedef int (*PathsFdFunc)(const char *path, void *userdata);

/* Calls @f for each path, up to its first negative return, which it
 * returns.  -EBADFD if @fd is not a regular file of memory open for
 * reading, -EBADMSG for an empty path (two NULs in a row), -ENAMETOOLONG
 * for one of PATH_MAX bytes or more, -EFBIG past PATHS_FD_MAX bytes,
 * -ENOMEM, or a read's -errno. */
int paths_fd_read(int fd, PathsFdFunc f, void *userdata);
