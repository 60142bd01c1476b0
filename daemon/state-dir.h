/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* Opens the subdirectory @sub ("pending", "remount") of the daemon's
 * state directory, O_DIRECTORY, refusing a symlink there; with @create,
 * the state directory (its missing parents 0755) and @sub are made 0700
 * first.  A file descriptor or a negative errno. */
int state_subdir_open(const char *state_dir, const char *sub, bool create);

/* Takes the daemon's lock on @state_dir (its file "lock", made 0600;
 * the directory is made as state_subdir_open() makes it), held until the
 * returned file descriptor is closed: one daemon at a time recovers and
 * writes the records there.  -EBUSY if another process holds it. */
int state_dir_lock(const char *state_dir);
