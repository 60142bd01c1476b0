/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "state.h"

/* The file of a Scan's option "output-fd" (README.md), which gets the
 * Scan's entries instead of its reply (common/scan-file.h's form): a
 * regular file of memory open for writing (io-util.h's
 * memory_file_check()), which the event loop may write.  The entries are
 * written from offset 0 on, and the file cut to their end once all are
 * written; the caller's file offset is left alone.  A large Scan's
 * answer is never held whole in the daemon's memory, nor carried by the
 * bus: the daemon keeps SCAN_OUTPUT_CHUNK bytes of it at most. */

/* Bytes gathered before they are written: below the daemon's
 * M_MMAP_THRESHOLD (main.c), with room for one more entry. */
#define SCAN_OUTPUT_CHUNK (32 * 1024)

typedef struct ScanOutput {
        int fd;                 /* ours (a duplicate), or -EBADF: no output-fd */
        char *buf;              /* SCAN_OUTPUT_CHUNK + room for the longest entry */
        size_t len;             /* of buf, not yet written */
        uint64_t written;       /* from offset 0 on */
        int error;              /* the first write's failure (-errno), or 0 */
} ScanOutput;

#define SCAN_OUTPUT_NULL ((ScanOutput) { .fd = -EBADF })

/* Takes a duplicate of the caller's @fd (the message's): 0, -EBADFD if
 * it is not a file that can be written so, -ENOMEM, -EMFILE. */
int scan_output_open(ScanOutput *o, int fd);
/* One entry: @path_len bytes of @path (the bus form), @st, and what
 * "compare" found (ScanEntry.diff).  0, or a write's -errno (kept in
 * @o->error, and returned by every call after). */
int scan_output_add(ScanOutput *o, const char *path, size_t path_len, const OvlState *st, unsigned diff);
/* Writes what is left and cuts the file there: 0 or -errno (@o->error
 * too). */
int scan_output_finish(ScanOutput *o);
void scan_output_done(ScanOutput *o);
