/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* Opens the subdirectory @sub ("pending", "remount") of the daemon's
 * state directory, O_DIRECTORY, refusing a symlink there; with @create,
 * the state directory (its missing parents 0755) and @sub are made 0700
 * first.  A file descriptor or a negative errno. */
int state_subdir_open(const char *state_dir, const char *sub, bool create);

/* Takes the daemon's lock on @state_dir (an exclusive flock of the
 * directory; with @create, made first as state_subdir_open() makes it),
 * held until the
 * returned file descriptor is closed: one process at a time recovers,
 * applies and writes the records there.  -EBUSY if another holds it. */
int state_dir_lock(const char *state_dir, bool create);
