/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "layers.h"
#include "restore.h"

/* How deep below a path a recursive job looks, as Scan does. */
#define EXPAND_DEPTH_MAX 256

/* The merged paths a job on the overlay at @mount_point works on: each of
 * @paths, and for a recursive job what lies below a directory of them
 * (mode whiteout: the whiteouts below it, the directory too, which may be
 * one; mode discard: the upper copies of lower non-directories below it,
 * deepest first, instead of the directory).  The overlay's mount point
 * stands for its whole upper layer.  *@ret_empty gets the directories of a
 * recursive discard with nothing below to revert.  -ELOOP: nested deeper
 * than EXPAND_DEPTH_MAX; -E2BIG: more than @max paths; -ENAMETOOLONG: a
 * path below is too long. */
int restore_expand(Layers *l, const char *mount_point, char **paths, const RestoreOptions *o, size_t max,
                   char ***ret, char ***ret_empty);
