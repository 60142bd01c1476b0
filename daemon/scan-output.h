/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stddef.h>

#include "state.h"

/* The file of Mount.ScanByFileDescriptor (README.md): the Scan's entries
 * in common/scan-file.h's form, in a memfd of the daemon's own, sealed
 * once written and handed to the caller in the reply.  A large Scan's
 * answer is never held whole in the daemon's memory, nor carried by the
 * bus; no other process holds the file while it is written (a file of
 * the caller's could be held busy, its inode locked, by a write of the
 * caller's that never ends, and the event loop with it).  Its pages are
 * charged to the daemon's cgroup for as long as the caller keeps them:
 * root's alone (mount-dbus.c). */

/* Bytes gathered before they are written: below the daemon's
 * M_MMAP_THRESHOLD (main.c) with room for the longest entry (a bus-form
 * path is at most 4 * PATH_MAX bytes). */
#define SCAN_OUTPUT_CHUNK (32 * 1024)

typedef struct ScanOutput {
        int fd;                 /* the memfd, or -EBADF */
        char *buf;              /* SCAN_OUTPUT_CHUNK + room for the longest entry */
        size_t len;             /* of buf, not yet written */
        int error;              /* a write's or the seal's failure (-errno), or 0: tells
                                 * the call's error reply what failed */
} ScanOutput;

#define SCAN_OUTPUT_NULL ((ScanOutput) { .fd = -EBADF })

/* Makes the memfd: 0, or -errno. */
int scan_output_open(ScanOutput *o);
/* One entry: @path_len bytes of @path (the bus form, at most 4 *
 * PATH_MAX), @st, and what "compare" found (ScanEntry.diff).  0, or a
 * write's -errno (kept in @o->error); no call is made after one. */
int scan_output_add(ScanOutput *o, const char *path, size_t path_len, const OvlState *st, unsigned diff);
/* Writes what is left and seals the file against any change (writing,
 * growing, shrinking, more seals): 0 or -errno (@o->error too).  The
 * file stays @o's, for the reply. */
int scan_output_finish(ScanOutput *o);
void scan_output_done(ScanOutput *o);
