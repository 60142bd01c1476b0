/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* A deferred restore, as recorded in the daemon's state directory and
 * applied at the next boot before the overlay is mounted.  The file is
 * text, one record per line, each field C-escaped (\\, \n, \t and other
 * control bytes as \xNN), and ends with "end", so a torn write is never
 * taken for a whole one:
 *
 *     ovl-restore-pending 1
 *     mount /etc
 *     upper /data/overlay/etc/upper
 *     lower /etc
 *     userxattr 0
 *     mode whiteout
 *     path ntp.conf
 *     path ssl/certs/ca.pem
 *     end
 *
 * Paths are relative to the overlay's root, normalized, never empty,
 * never "..". */
typedef struct PendingEntry {
        char *mount_point;
        char *upper_dir;
        char **lower_dirs;
        bool userxattr;
        char *mode;             /* whiteout|opaque|discard */
        char **paths;
} PendingEntry;

#define PENDING_MAX_PATHS 100000
#define PENDING_MAX_SIZE (64u << 20)

void pending_entry_done(PendingEntry *e);

/* Parses the text of one entry; -EBADMSG for anything malformed or
 * incomplete (the entry is then ignored, never half applied).  @ret NULL:
 * only checks it, keeping none of its names. */
int pending_entry_parse(const char *text, size_t size, PendingEntry *ret);

/* The text of @e, malloc'ed; NUL-terminated, *ret_size without the NUL. */
int pending_entry_format(const PendingEntry *e, char **ret, size_t *ret_size);
