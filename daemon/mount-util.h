/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* The mount ID (as in mountinfo) of the mount @fd is on. */
int fd_mount_id(int fd);

/* Before a remount job unmounts the overlay at @mount_point: is what is
 * mounted there still the overlay that was inspected (mount ID @mnt_id,
 * superblock device @dev), and is that superblock mounted nowhere else in
 * this mount namespace (a bind mount of it would stay, and its upper layer
 * would be edited under a live overlay)?  0, or -ESTALE (another mount is
 * there now), -EBUSY with *ret_other set to another mount point of it.
 * Safe in a worker thread (reads the mount table itself). */
/* Is an overlay with this upper directory mounted in this namespace (the
 * same directory, however its path is spelt)?  Then its upper layer must
 * not be edited underneath it. */
bool overlay_upper_in_use(const char *upper_dir);

int overlay_check_before_unmount(const char *mount_point, int mnt_id, dev_t dev, char **ret_other);
