/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <dirent.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "macro.h"

/* Reads until @size bytes or the end of the file (EINTR retried): how
 * many, or -errno. */
ssize_t read_full(int fd, void *buf, size_t size);

/* Writes all @size bytes (EINTR retried): 0, or -errno (-EIO if the file
 * takes none). */
int write_all(int fd, const void *buf, size_t size);

/* The rest of @fd, NUL-terminated, into a new buffer (*ret; its length
 * without the NUL in *ret_size, if given): for files whose size stat()
 * does not tell, /proc's.  -EFBIG past @max bytes. */
int read_whole(int fd, size_t max, char **ret, size_t *ret_size);

/* Is @fd a regular file of memory open for reading (O_RDONLY or
 * O_RDWR): a memfd, or a regular file of tmpfs or hugetlbfs (one that
 * answers F_GET_SEALS)?  Reading one waits on no other process (at most
 * on swap; shmem's reads take no lock a writer holds), so an event loop
 * may.  (Writing to one a caller holds may wait: the caller's own write
 * can hold its inode lock for as long as its source page takes to fault
 * in.)  Its seals (F_SEAL_*, >= 0) and, if @ret_st, its stat; or
 * -EBADFD. */
int memory_file_check(int fd, struct stat *ret_st);

/* A directory stream over the directory open as @dfd, read from its
 * start, on a duplicate of it (@dfd stays open and the caller's; the two
 * share one file offset, so one stream at a time): 0 and *@ret, or
 * -errno. */
int opendir_dup(int dfd, DIR **ret);
DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir);
