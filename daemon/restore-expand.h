/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "layers.h"
#include "path-list.h"
#include "restore.h"

/* How deep below a path a recursive job looks, as Scan does. */
#define EXPAND_DEPTH_MAX 256

/* What a recursive job on the overlay at @mount_point works on, in order,
 * as indices into @given (its paths, relative to the mount point) followed
 * by @ret_extra (what it found, which the caller appends to @given): each
 * given path, and what lies below a directory of them (mode whiteout: the
 * whiteouts below it, the directory too, which may be one; mode discard:
 * the upper copies of lower non-directories below it, deepest first,
 * instead of the directory).  @given is only read (GetResults may read it
 * meanwhile).
 * The overlay's mount point ("") stands for its whole upper layer.
 * @ret_empty gets the directories of a recursive discard with nothing
 * below to revert.  -ELOOP: nested deeper than EXPAND_DEPTH_MAX; -E2BIG:
 * more than @max paths; -ENAMETOOLONG: a path below is too long. */
int restore_expand(Layers *l, const char *mount_point, const PathList *given, const RestoreOptions *o,
                   size_t max, PathList *ret_extra, IndexList *ret_work, IndexList *ret_empty);
