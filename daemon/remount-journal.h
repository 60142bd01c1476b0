/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* A remount job unmounts an overlay, edits its upper layer and mounts it
 * again.  Killed in between (SIGKILL, a crash, OOM), the daemon would
 * leave the overlay unmounted.  So before unmounting it writes, durably,
 * how to mount it again: <state_dir>/remount/<hash>.remount (NUL-separated
 * fields: magic, boot id, mount point, flags, propagation, mount data,
 * mount source),
 * and removes the record once the overlay is back.  At start the daemon
 * mounts again, from the records of this boot, every overlay not mounted,
 * and drops the records of other boots (the boot mounted those afresh). */

int remount_journal_write(const char *state_dir, const char *mount_point, const char *source,
                          const char *data, unsigned long flags, const char *propagation);
void remount_journal_remove(const char *state_dir, const char *mount_point);

/* Returns the number of overlays mounted again, or a negative errno.
 * With @ret_busy (a strv), adds there (quietly) the mount points whose
 * mount met EBUSY (index=on: a former superblock still holds the upper
 * layer). */
int remount_journal_recover(const char *state_dir, char ***ret_busy);
/* The same for the record of @mount_point alone (@why: for the log;
 * EBUSY is returned quietly). */
int remount_journal_recover_one(const char *state_dir, const char *mount_point, const char *why);
