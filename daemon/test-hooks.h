/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* Points where tests stop a real daemon at an exact step, which nothing
 * else can do without sleeps.  Both do nothing unless their variable is
 * set in the daemon's environment:
 *
 *   OVL_RESTORED_CRASH_AT=POINT        kill the process with SIGKILL there;
 *   OVL_RESTORED_PAUSE_AT=POINT:FIFO   open FIFO there (which blocks until
 *                                      the test opens it for writing) and
 *                                      wait for one byte or for the test
 *                                      to close it.
 *
 * Every crash point is a pause point as well (the device harness cuts the
 * power of a QEMU guest paused there).  Points: pending-write-tmp,
 * pending-write-fsync, pending-write-rename, pending-apply-path-N,
 * pending-apply-unlink (deferred restores); remount-before-unmount,
 * remount-look-listed (its look at every mount table, the processes
 * listed), remount-checked, remount-write-tmp, remount-write-fsync,
 * remount-write-rename (its record), remount-unmounted (a remount job);
 * lingering-write-tmp, lingering-write-fsync, lingering-write-rename (the
 * record of a superblock that lived on);
 * ioctl-walked (a job with the ioctl: its first path's directory
 * walked, the ioctl not yet made); state-answer-worker (a large GetState,
 * on its worker); scan-worker (a Scan, on its worker); lower-ahead-thread
 * (a run of edits' lower lookups, on their thread, before the first);
 * startup-mounts-read (the mount table read at
 * start, watched already, the bus name not yet owned). */
void crash_point(const char *name);
void pause_point(const char *name);

/* OVL_RESTORED_LOWER_AHEAD=always: the lower lookups of a large run of
 * edits, and the lower listings of a Scan's large directory, go ahead on a
 * thread of their own on one CPU too (lower-ahead.h), so that their tests
 * do not depend on the machine's.  =late: the same, and a job's edits
 * take none of its answers before they are all done, or before 32,768
 * whiteouts wait for theirs, or another outcome for those before it
 * (upper-edit.c), so that the outcomes' tests do not depend on the
 * thread's pace either. */
bool test_force_lower_ahead(void);
bool test_lower_ahead_late(void);

/* OVL_RESTORED_WITHOUT=ScanByFileDescriptor: that method answers as a
 * daemon from before it would (UnknownMethod), so that a client's
 * fallback to Scan is tested against a real daemon. */
bool test_without(const char *method);
