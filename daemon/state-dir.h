/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Opens the subdirectory @sub ("pending", "remount", "lingering") of the
 * daemon's state directory, O_DIRECTORY, refusing a symlink there; with
 * @create, the state directory (its missing parents 0755) and @sub are
 * made 0700 first.  A file descriptor or a negative errno. */
int state_subdir_open(const char *state_dir, const char *sub, bool create);

/* Writes @text, @size bytes, durably as the file @name of subdirectory
 * @sub (made if need be): into ".@name.tmp" (0600; with @exclusive, made
 * new, else truncated), synced, renamed over @name, the directory synced.
 * The crash points (test-hooks.h) "@sub-write-tmp", "@sub-write-fsync"
 * and "@sub-write-rename" follow the write, its sync and the rename.  0 or
 * a negative errno; a failure before the rename leaves no file behind. */
int state_file_write(const char *state_dir, const char *sub, const char *name, const void *text, size_t size,
                     bool exclusive);

/* Removes from pending/, remount/ and lingering/ what a write cut short
 * by a kill or a power cut left there: the temporary files of
 * state_file_write(), never renamed, so never told to anyone.  Only with
 * state_dir_lock() held (no write is under way then).  How many, or the
 * first negative errno, and in *@ret_where the subdirectory where it
 * failed (what can be removed elsewhere still is). */
int state_dir_sweep(const char *state_dir, const char **ret_where);

/* Takes the daemon's lock on @state_dir (an exclusive flock of the
 * directory; with @create, made first as state_subdir_open() makes it),
 * held until the
 * returned file descriptor is closed: one process at a time recovers,
 * applies and writes the records there.  -EBUSY if another holds it. */
int state_dir_lock(const char *state_dir, bool create);
