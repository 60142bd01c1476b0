/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "layers.h"
#include "macro.h"
#include "manager.h"
#include "path-list.h"
#include "restore.h"
#include "strv.h"
#include "worker-pool.h"

typedef enum JobState {
        JOB_QUEUED,
        JOB_RUNNING,
        JOB_DONE,
        JOB_FAILED,
        JOB_CANCELLED,
} JobState;

/* One path's outcome, 2 bytes by the path's index in Job.paths: 0 while
 * it has none, else the outcome (RestoreOutcome + 1, 3 bits) and the
 * index of its message in Job.messages ("" first, 13 bits). */
#define JOB_RESULT(outcome, message) ((uint16_t) ((unsigned) (message) << 3 | ((unsigned) (outcome) + 1)))
#define JOB_RESULT_OUTCOME(r) ((RestoreOutcome) (((r) & 7) - 1))
#define JOB_RESULT_MESSAGE(r) ((size_t) ((r) >> 3))
#define JOB_MESSAGES_MAX (UINT16_MAX >> 3)

/* What a job holds for its paths: their text, and for each a 4-byte
 * offset (path-list.h) and a 2-byte outcome (JOB_RESULT()). */
static inline size_t job_paths_bytes(const PathList *l) {
        return l->size + l->n * (sizeof(uint32_t) + sizeof(uint16_t));
}

struct Job {
        Manager *manager;
        OvlMount *mount;        /* a reference */
        uint32_t id;
        char *object_path;
        char *mount_point;
        /* The paths given, then (recursive) what they expand to, relative
         * to mount_point: the job's one copy of each. */
        PathList paths;
        size_t n_given;
        size_t bytes_given;     /* job_paths_bytes() of those given (the active jobs' limit) */
        RestoreOptions options;
        uid_t uid;
        uint64_t created_usec, finished_usec;

        JobState state;
        const char *method;     /* as chosen when it starts */

        /* The mount as it was when the job started, for the worker (until
         * the job ends). */
        MountSnapshot snapshot;
        const char *no_deferred;        /* why a deferred restore cannot work now, or NULL */
        char *error;            /* why it failed, for the Error property */
        char *error_name;       /* a D-Bus error name for it, if any */

        /* Written by the worker, read by the event loop. */
        pthread_mutex_t lock;
        uint16_t *results;      /* JOB_RESULT() of each path, in paths' order */
        StrvBuilder messages;   /* each distinct message once */
        uint16_t last_message_index;    /* the last one added */
        _Atomic uint64_t total, processed, restored, skipped, failed;
        atomic_bool cancel;
        atomic_bool worker_failed;
        atomic_bool deferred_instead;   /* auto: the overlay was in use */

        Task task;              /* restore_run() on a worker (worker-pool.h) */
        sd_event_source *progress_source, *linger_source;
        bool results_read;      /* GetResults answered after it finished */
        bool results_dropped;   /* for others' room (max_finished_bytes): none kept */
        bool results_too_large; /* for one reply: none kept (job_results_too_large()) */
        size_t bytes_held;      /* finished: what it keeps for GetResults (job_bytes()) */
        uint64_t last_processed;

        LIST_FIELDS(Job, jobs);         /* Manager.jobs */
        LIST_FIELDS(Job, queue);        /* OvlMount.queue */
};

/* Takes @paths (relative to @mnt's mount point) whatever it returns. */
int job_new(Manager *m, OvlMount *mnt, PathList *paths, const RestoreOptions *o, uid_t uid, Job **ret);
/* Puts the job on its mount's queue and starts it if the mount is idle. */
int job_enqueue(Job *j);
int job_cancel(Job *j);
void job_free(Job *j);
Job *manager_find_job(Manager *m, uint32_t id);

/* Worker side: record the outcome of path @path (an index in j->paths,
 * once each); @message NULL or "" says nothing more. */
void job_add_result(Job *j, uint32_t path, RestoreOutcome outcome, const char *message);

/* GetResults answered for a finished job: it goes --job-linger later. */
void job_results_read(Job *j);
/* GetResults could not answer finished job @j, its results more than one
 * reply carries: they are let go of, and it goes --job-linger later. */
void job_results_too_large(Job *j);
/* Queued and running jobs (the limit counts only these), and what their
 * paths as given hold. */
unsigned manager_active_jobs(Manager *m);
size_t manager_active_bytes(Manager *m);

/* The mount went away: its queued jobs fail, the running one is told. */
void job_mount_gone(OvlMount *mnt);

const char *job_state_to_string(JobState s);

extern const sd_bus_vtable job_vtable[];
int job_object_find(sd_bus *bus, const char *path, const char *interface,
                    void *userdata, void **found, sd_bus_error *error);
int job_node_enumerator(sd_bus *bus, const char *path, void *userdata,
                        char ***nodes, sd_bus_error *error);
