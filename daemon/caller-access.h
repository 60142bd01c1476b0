/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

/* What a caller could find out itself.  GetState and Scan (inspect) read as
 * root, but tell a caller other than root only what it could learn with
 * its own credentials: the state of a name only if it could stat it (search
 * on every directory down to its parent), the hidden entries of a directory
 * only if it could list it (read and search on it too).  The checks are the
 * kernel's own (permission bits, ACLs, the lower layers' as overlayfs
 * merges them): the calling thread's fsuid, fsgid and groups become the
 * caller's for the check, and root's again after it (per thread: a worker
 * thread's jobs are not touched). */
typedef struct CallerCreds {
        uid_t uid;
        gid_t gid;
        gid_t *groups;          /* supplementary */
        size_t n_groups;
} CallerCreds;

/* The credentials @message's sender would use for a stat() of its own:
 * the bus reports its euid and pid; its file-system uid and gid and its
 * groups are read from /proc/PID/status (whose euid must be the one the
 * bus reported).  -ENODATA for a caller other than root when they cannot
 * be read (the process is gone). */
int caller_creds_get(sd_bus_message *message, CallerCreds *ret);
void caller_creds_done(CallerCreds *c);

/* The calling thread's file-system credentials become the caller's
 * (fsuid, fsgid, groups; fs capabilities drop with fsuid 0), until
 * caller_leave() makes them root's again.  -EPERM (nothing changed)
 * without CAP_SETUID and CAP_SETGID.  Not for root callers. */
typedef struct CallerScope {
        gid_t groups[64];
        int n_groups;
} CallerScope;
int caller_enter(const CallerCreds *c, CallerScope *s);
void caller_leave(const CallerScope *s);

/* 1 if the caller may search @dir and every directory above it (a stat of
 * an entry of @dir would get past the path walk), 0 if not (EACCES, EPERM);
 * -ENOENT, -ENOTDIR, ... as the walk fails; -EXDEV if @dir is not a
 * directory of the overlay at @mount_point itself (below it, a symbolic
 * link or another mount).  Always 1 for root. */
int caller_may_search(const CallerCreds *c, const char *mount_point, const char *dir);
/* The same, and read on @dir: the caller could list it. */
int caller_may_list(const CallerCreds *c, const char *mount_point, const char *dir);

/* The parent directory of absolute @path ("/" for "/x"); NULL on ENOMEM. */
char *path_parent(const char *path);
