/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libmount.h>

#include "layers.h"

/* The mount @path resolves into among the mounts listed before @stop (all
 * of them when @stop is NULL): the last of the deepest mount points at or
 * above @path.  NULL if none (or out of memory). */
struct libmnt_fs *mount_holding(struct libmnt_table *tb, const char *path, struct libmnt_fs *stop);

/* Opens (O_PATH) the layer directory @dir of the overlay @ovl as overlayfs
 * reached it when @ovl was mounted, even where a mount made since covers
 * that path.  Calculinux mounts each overlay on its own lower directory
 * (lowerdir=/etc at /etc): the path /etc then shows the merged view, and
 * the image is reached in a detached, non-recursive clone of the mount
 * that held /etc before (open_tree(OPEN_TREE_CLONE)).  Such a descriptor
 * does not pin the overlay: it can be unmounted while it is open.
 * -EBUSY: the mount that held @dir is itself covered where it is mounted
 * (stacked mounts), so it cannot be reached by any path. */
int layer_reach_dir(struct libmnt_table *tb, struct libmnt_fs *ovl, const char *dir);

/* The layers of @ovl, each reached as layer_reach_dir() does. */
int layers_open_reached(Layers *ret, struct libmnt_table *tb, struct libmnt_fs *ovl,
                        const char *upper_dir, char * const *lower_dirs, bool userxattr);
