/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "pending.h"

/* Deferred restores on disk: <state_dir>/pending/<id>.pending, one file per
 * deferred job (format: common/pending.h).  Written durably (a temporary
 * file, fsync, rename, fsync of the directory), so after a crash at any
 * point an entry is either all there or not at all; applied by
 * `ovl-restored --apply-pending` at boot before the overlays are mounted.
 *
 * For tests, OVL_RESTORED_CRASH_AT=POINT makes the process kill itself
 * with SIGKILL at that point (test-hooks.h). */

#ifndef DEFAULT_STATE_DIR       /* meson -Dstatedir= */
#define DEFAULT_STATE_DIR "/var/lib/ovl-restored"
#endif

int pending_store_write(const char *state_dir, const PendingEntry *e, char **ret_id);
/* Each readable entry, oldest first, read one at a time (an entry holds
 * up to 64 MiB of paths), handed to @visit (which may keep nothing of
 * it); malformed ones are skipped (logged).  A negative return of @visit
 * stops the walk, and is returned. */
typedef int (*PendingVisit)(const char *id, const PendingEntry *e, void *userdata);
int pending_store_foreach(const char *state_dir, PendingVisit visit, void *userdata);
/* One entry, by its id; -ENOENT if there is no such entry. */
int pending_store_read(const char *state_dir, const char *id, PendingEntry *ret);
/* -ENOENT if there is no such entry. */
int pending_store_remove(const char *state_dir, const char *id);
bool pending_id_valid(const char *id);

/* The boot step: applies every entry to its upper layer (the overlay must
 * not be mounted), then removes it.  Idempotent.  Returns 0 when all were
 * applied, 1 when some could not be (they stay for the next run);
 * *@ret_read tells whether the entries could be listed (or there were
 * none ever). */
int pending_apply_all(const char *state_dir, bool *ret_read);

/* That the boot step ran at this boot, before the overlays were mounted:
 * pending/applied-at-boot, this boot's id, written by --apply-pending
 * when it listed the entries with no overlay mounted at all (main.c): not
 * when run by hand on a running system, with nothing pending or not, whose
 * /sbin/preinit may lack the step.  Without it a deferred
 * restore would wait for ever (a /sbin/preinit that lacks the step, or
 * runs it too late): the daemon refuses method deferred, and auto does not
 * fall back to it.  (The write passes the pending-write-* crash points.) */
int pending_store_mark_boot(const char *state_dir);
bool pending_store_boot_step_ran(const char *state_dir);

