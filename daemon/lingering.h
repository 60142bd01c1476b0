/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

typedef struct Manager Manager;

/* Superblocks a remount left alive elsewhere.  When a remount's unmount
 * does not shut the overlay's superblock down (another mount namespace, a
 * detached mount keeps it), the overlay is mounted back: a second
 * superblock on the same upper layer.  Until the first one dies, that
 * upper layer must not be edited by a later remount either.  The inotify
 * watch on the first one's root stays open to tell when it dies
 * (IN_UNMOUNT).  A record in <state_dir>/lingering outlives the daemon
 * (idle exit, restart): a later instance, which cannot watch that
 * superblock, refuses remounts of that upper layer until the next boot.
 * Worker threads ask and add: the set has its own lock, and the restore
 * engine is given the set alone (restore.h), not the Manager that holds
 * it. */
typedef struct LingeringSet {
        pthread_mutex_t lock;   /* guards the entries and the records */
        struct Lingering *entries;
        size_t n;
} LingeringSet;

#define LINGERING_SET_INIT ((LingeringSet) { .lock = PTHREAD_MUTEX_INITIALIZER })

/* Has the superblock an inotify fd watches (IN_UNMOUNT) shut down?  Reads
 * what is queued, without blocking. */
bool inotify_saw_unmount(int fd);

/* Takes @fd (an inotify fd watching that superblock's root); @upper_fd
 * and @st are the upper directory's (it is known by device and inode,
 * whatever path leads to it, and by its birth time).  Its record goes in
 * @state_dir. */
void lingering_add(LingeringSet *set, const char *state_dir, const char *upper_dir, int upper_fd,
                   const struct stat *st, int fd);
/* Is a superblock on the upper directory @upper_fd (its stat @st) still
 * alive elsewhere, by the set or by a record in @state_dir? */
bool lingering_alive(LingeringSet *set, const char *state_dir, int upper_fd, const struct stat *st);
/* (at exit, the main thread) */
void lingering_free_all(Manager *m);

/* The mount again after a remount failed (EBUSY: with index=on, overlayfs
 * refuses a second superblock on an upper layer in use) while the former
 * superblock on @st lives on.  From a worker: marks it; the main thread's
 * lingering_watch() (after the job) then watches it and, once it goes,
 * mounts @mount_point again from its remount record; until then the daemon
 * does not exit for idleness.  (At the next start, the record mounts it
 * again if it can.) */
int lingering_mount_back(LingeringSet *set, const struct stat *st, const char *mount_point);
void lingering_watch(Manager *m);

/* At start: the remount records of @mount_points met EBUSY (index=on, a
 * former superblock this instance cannot watch): tried again until they
 * mount. */
void lingering_recover_later(Manager *m, char **mount_points);
