/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What an upper layer's copy of an entry changed, compared with the lower
 * layer's entry it shadows: the answer to "does /etc/foo.conf differ from
 * the image?". */

#include <stdbool.h>

#include "layers.h"

typedef enum LayersDiff {
        LAYERS_DIFF_TYPE       = 1 << 0,  /* another file type: nothing else compared */
        LAYERS_DIFF_MODE       = 1 << 1,  /* permission bits (07777) */
        LAYERS_DIFF_OWNER      = 1 << 2,  /* uid or gid */
        LAYERS_DIFF_CONTENT    = 1 << 3,  /* data, symlink target or device number */
        LAYERS_DIFF_XATTRS     = 1 << 4,  /* extended attributes, overlayfs's own aside */
        LAYERS_DIFF_UNREADABLE = 1 << 5,  /* content or xattrs could not be read: not compared */
} LayersDiff;

/* Compares entry @name of directory @upper_dir with entry @name of
 * @lower_dir (O_PATH directory fds, as layers_lookup_at() gives) and sets
 * *ret to the LAYERS_DIFF_* bits that differ; 0 for a copy that changed
 * nothing.  Times are not compared (a copy-up, a touch or a chmod back
 * leave the entry what the image has).  Regular files' data is read only
 * when their sizes agree; an upper file with overlayfs's metacopy mark
 * has the lower file's data (one that also has a redirect, another file's:
 * LAYERS_DIFF_UNREADABLE).  Reads with the calling thread's credentials:
 * what they may not read is LAYERS_DIFF_UNREADABLE, not a failure; with
 * !@privileged, trusted.* xattrs are not compared either.  -ENOENT if
 * either entry is gone. */
int layers_diff(Layers *l, int upper_dir, int lower_dir, const char *name, bool privileged,
                unsigned *ret);
