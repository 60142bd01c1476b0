/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "layers.h"
#include "lingering.h"
#include "path-list.h"

typedef enum RestoreMode {
        RESTORE_MODE_WHITEOUT,
        RESTORE_MODE_OPAQUE,
        RESTORE_MODE_DISCARD,
} RestoreMode;

typedef enum RestoreMethod {
        RESTORE_METHOD_AUTO,
        RESTORE_METHOD_IOCTL,
        RESTORE_METHOD_REMOUNT,
        RESTORE_METHOD_DEFERRED,
} RestoreMethod;

/* What became of one path (the names are the D-Bus API's). */
typedef enum RestoreOutcome {
        OUTCOME_RESTORED,
        OUTCOME_SKIPPED,
        OUTCOME_FAILED,
        OUTCOME_WOULD_RESTORE,
        OUTCOME_CANCELLED,
        OUTCOME_DEFERRED,
} RestoreOutcome;

typedef struct RestoreOptions {
        bool recursive;
        bool dry_run;
        RestoreMode mode;
        RestoreMethod method;
} RestoreOptions;

const char *restore_mode_to_string(RestoreMode m);
const char *restore_method_to_string(RestoreMethod m);
const char *restore_outcome_to_string(RestoreOutcome o);

/* The overlay as it was when a run started, for the worker thread (the
 * mount object may change meanwhile): its layers opened beneath whatever
 * covers their paths, and what a remount needs to mount it again. */
typedef struct MountSnapshot {
        char *upper_dir, *work_dir;
        char **lower_dirs;
        Layers layers;
        bool userxattr;
        char *source;                   /* the mount source, for mount(2) */
        int mnt_id;                     /* the mount inspected, for the remount's checks */
        dev_t sb_dev;
        char *mount_data;               /* the options without "rw"/"ro", for mount(2) */
        unsigned long sb_flags;         /* MS_RDONLY if the superblock was "ro" */
        unsigned long vfs_flags;
        char *propagation;              /* "shared", "shared+slave", "slave", "private" */
} MountSnapshot;

#define MOUNT_SNAPSHOT_NULL ((MountSnapshot) { .layers = { .upper_fd = -1 } })
void mount_snapshot_done(MountSnapshot *s);

/* Where the engine reports, from its worker thread. */
typedef struct RestoreSink {
        /* the outcome of path @path (an index in RestoreRun.paths) */
        void (*result)(void *userdata, uint32_t path, RestoreOutcome outcome, const char *message);
        /* the run as a whole failed; takes @message (NULL: out of memory) */
        void (*fail)(void *userdata, const char *error_name, char *message);
        /* what a recursive run found, to append to its paths (which others
         * may read meanwhile); takes @extra's entries */
        int (*append_paths)(void *userdata, PathList *extra);
} RestoreSink;

/* One restore, as the engine sees it: what to do, the overlay as it was
 * when the run started (its layers already open), and where to report.
 * The engine knows no job, no bus, no mount object and no Manager: its
 * headers include none of theirs. */
typedef struct RestoreRun {
        uint32_t id;                    /* for the log */
        const char *state_dir;          /* remount records, deferred restores */
        unsigned max_paths;             /* what a recursive run may expand to */
        LingeringSet *lingering;        /* superblocks a remount left alive (lingering.h) */
        PathList *paths;                /* relative to mount_point: n_given given, then what they expand to */
        size_t n_given;
        RestoreOptions options;
        const char *method;             /* "ioctl", "remount", "deferred" */
        const char *no_deferred;        /* why a deferred restore cannot work now, or NULL */

        const char *mount_point;
        MountSnapshot *mount;

        atomic_bool *cancel;            /* set from outside: stop at the next path */
        atomic_bool *deferred_instead;  /* set here: auto deferred the run */
        atomic_bool *away;              /* set here: the overlay is unmounted for the run */
        _Atomic uint64_t *total;        /* set here: the paths the run works on */
        const RestoreSink *sink;
        void *sink_data;
} RestoreRun;

/* Runs on a worker thread: does the file-system work of @run. */
void restore_run(RestoreRun *run);
