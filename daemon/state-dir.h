/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* Opens the subdirectory @sub ("pending", "remount") of the daemon's
 * state directory, O_DIRECTORY, refusing a symlink there; with @create,
 * the state directory (its missing parents 0755) and @sub are made 0700
 * first.  A file descriptor or a negative errno. */
int state_subdir_open(const char *state_dir, const char *sub, bool create);
