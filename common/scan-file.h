/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* The file of Mount.ScanByFileDescriptor (README.md): the entries of
 * Scan's reply, a(ssasu), in the same order, each as four fields, each
 * field ended by a NUL:
 *
 *   PATH \0 STATE \0 FLAGS \0 MODE \0
 *
 * PATH in the bus form (bus-path.h), STATE as in the reply (none,
 * whiteout, upper), FLAGS the reply's flags joined by ',' (empty: none;
 * a flag holds no ',' and no NUL), MODE in octal digits (0 for none).
 * Nothing else: an empty file is a Scan that found nothing. */

/* The most one entry of a @path_len-byte path takes (the state, every
 * flag joined, a 32-bit mode in octal, four NULs, with room to spare). */
#define SCAN_FILE_ENTRY_BYTES(path_len) ((size_t) (path_len) + 128)
/* The most flags one entry has. */
#define SCAN_FILE_FLAGS_MAX 16

/* Formats one entry into @buf (SCAN_FILE_ENTRY_BYTES(@path_len) bytes at
 * least); its length.  @path is @path_len bytes; @flags holds @n_flags
 * names (at most SCAN_FILE_FLAGS_MAX, none with ',' or NUL). */
size_t scan_file_format(char *buf, const char *path, size_t path_len, const char *state,
                        const char *const *flags, size_t n_flags, uint32_t mode);

typedef int (*ScanFileEntry)(const char *path, const char *state, char **flags, uint32_t mode, void *userdata);

/* Calls @f for each entry of the @size bytes at @data, in order, up to its
 * first negative return, which it returns; @flags is NULL-terminated (and
 * its strings, like @path and @state, valid during the call only).
 * -EBADMSG where the bytes are not entries of that form (a field not
 * ended, an empty path or state, a mode not octal or past 32 bits, more
 * than SCAN_FILE_FLAGS_MAX flags or an empty one, a flags field of
 * SCAN_FILE_ENTRY_BYTES(0) bytes or more). */
int scan_file_parse(const char *data, size_t size, ScanFileEntry f, void *userdata);

/* The same for the file @fd a ScanByFileDescriptor answered with, read
 * through a mapping: -EBADMSG too unless it is a regular file of memory
 * (io-util.h's memory_file_check()) sealed against shrinking, as the
 * daemon makes it (so that the mapping cannot fault), or -errno. */
int scan_file_read_fd(int fd, ScanFileEntry f, void *userdata);
