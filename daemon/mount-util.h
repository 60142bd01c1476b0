/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* Sets the propagation of the overlay mounted again at @mount_point as it
 * was (@propagation as OvlMount has it): shared where it was shared, else
 * private (slave mounts are never remounted: a new mount cannot be made
 * the slave of its old master again).  Logs a failure, which leaves the
 * mount as it is. */
void mount_restore_propagation(const char *mount_point, const char *propagation);

/* The mount ID (as in mountinfo) of the mount @fd is on. */
int fd_mount_id(int fd);
/* The mount ID and the device of what is mounted at @path (not followed,
 * not automounted). */
int path_mount_id(const char *path, int *ret_id, dev_t *ret_dev);
/* Is what is mounted at @path (followed), on top, an overlay mounted
 * there (the root of its mount)?  1, 0, or -errno
 * (-EOPNOTSUPP: a kernel that does not tell mount roots, before 5.8).
 * The kernel's answer, with no mount table read. */
int path_is_overlay_mount(const char *path);

/* A mount table larger than this is not read (-E2BIG): too many mounts to
 * be sure of. */
#define MOUNT_TABLE_MAX (8U << 20)

struct libmnt_table;
struct libmnt_fs;

/* Mount @id of @tb, or NULL.  (libmount's mnt_table_find_id() is newer
 * than Debian 12's 2.38.) */
struct libmnt_fs *mount_table_find_id(struct libmnt_table *tb, int id);
/* @fs's propagation, as OvlMount keeps it: "shared", "shared+slave",
 * "slave" or "private". */
const char *mount_propagation_of(struct libmnt_fs *fs);

/* Our mount namespace's table (/proc/self/mountinfo): its text as the
 * kernel wrote it, and parsed. */
int mountinfo_read_self(char **ret_text, struct libmnt_table **ret_tb);
/* The superblock options of mount @mnt_id in @text (a mountinfo), read
 * from the kernel's own escapes (ovl_options_from_mountinfo()): -ENOENT
 * if no such line (or no @text), -EINVAL if they cannot be read as
 * overlayfs would.  @hint (optional, NULL at first): where to look first,
 * so that looking up every mount of a table in its order reads it once. */
int mountinfo_super_options(const char *text, int mnt_id, const char **hint, char **ret);

/* Is an overlay with this upper directory mounted in this namespace (the
 * same directory, however its path is spelt)?  Then its upper layer must
 * not be edited underneath it.  1 if so (or if an overlay's options
 * cannot be read), 0 if not, a negative errno if the mount table cannot
 * be read (then nothing may be edited either). */
int overlay_upper_in_use(const char *upper_dir);

/* Is any overlay mounted in this namespace?  1 (and the mount point of
 * the first in *@ret_where), 0 if none, a negative errno if the mount
 * table cannot be read. */
int overlay_mounted_any(char **ret_where);

/* Before a remount job unmounts the overlay at @mount_point: is what is
 * mounted there still the overlay that was inspected (mount @mnt_id of
 * device @dev, on the layers its superblock options @mount_data name), and
 * would the unmount take that superblock away: mounted nowhere else in
 * this mount namespace, and in every other one only as copies that mount
 * propagation unmounts along (a bind mount of it, or a private
 * namespace's copy, would stay, and its upper layer would be edited under
 * a live overlay)?  0; -ESTALE: another mount is there now (even at the
 * same ID and device: the kernel reuses them); -EBUSY with *ret_other
 * where it is also mounted (a path in our namespace, or its place in
 * another one); -E2BIG: a mount table too large to read; another negative
 * errno if the tables cannot be read.  Safe in a worker thread (reads the
 * mount tables itself). */
int overlay_check_before_unmount(const char *mount_point, int mnt_id, dev_t dev, const char *mount_data,
                                 char **ret_other);
