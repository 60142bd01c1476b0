/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Restore jobs: one FIFO per overlay mount, one running job per mount, its
 * file-system work in a worker thread so that the event loop never blocks. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#include "bus-path.h"
#include "job.h"
#include "lingering.h"
#include "log.h"
#include "mount.h"
#include "pending-store.h"
#include "str-util.h"
#include "strv.h"

#define PROGRESS_INTERVAL_USEC (250 * 1000ULL)

static const char *const state_names[] = {
        [JOB_QUEUED] = "queued",
        [JOB_RUNNING] = "running",
        [JOB_DONE] = "done",
        [JOB_FAILED] = "failed",
        [JOB_CANCELLED] = "cancelled",
};

const char *job_state_to_string(JobState s) {
        return state_names[s];
}

static uint64_t now_usec(clockid_t clock) {
        struct timespec ts;

        clock_gettime(clock, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
}

Job *manager_find_job(Manager *m, uint32_t id) {
        LIST_FOREACH(jobs, j, m->jobs)
                if (j->id == id)
                        return j;
        return NULL;
}

static int on_linger_end(sd_event_source *s, uint64_t usec, void *userdata);
static void manager_trim_finished(Manager *m);

DEFINE_TRIVIAL_CLEANUP_FUNC(Job *, job_free);

int job_new(Manager *m, OvlMount *mnt, PathList *paths, const RestoreOptions *o, uid_t uid, Job **ret) {
        /* (not the manager's until it is listed: job_free() leaves the
         * manager's lists alone until then) */
        _cleanup_(job_freep) Job *j = NULL;
        char id[16];
        int r;

        manager_trim_finished(m);
        j = calloc(1, sizeof(*j));
        if (!j) {
                path_list_done(paths);
                return -ENOMEM;
        }
        j->paths = *paths;
        *paths = (PathList) {};
        j->snapshot = MOUNT_SNAPSHOT_NULL;
        pthread_mutex_init(&j->lock, NULL);
        j->mount = ovl_mount_ref(mnt);
        j->n_given = j->paths.n;
        j->bytes_given = job_paths_bytes(&j->paths);
        /* (calloc(0): a pointer or NULL, either fine for 0 paths) */
        j->results = calloc(j->n_given, sizeof(*j->results));
        if (!j->results && j->n_given > 0)
                return -ENOMEM;
        j->id = ++m->last_job_id;
        j->options = *o;
        j->uid = uid;
        j->state = JOB_QUEUED;
        j->method = restore_method_to_string(o->method);
        j->created_usec = now_usec(CLOCK_REALTIME);
        atomic_init(&j->total, j->n_given);

        snprintf(id, sizeof id, "%u", j->id);
        r = sd_bus_path_encode(JOB_PREFIX, id, &j->object_path);
        if (r < 0)
                return r;
        j->mount_point = strdup(mnt->mount_point);
        if (!j->mount_point)
                return -ENOMEM;
        /* (message 0: none) */
        r = strv_builder_push(&j->messages, "");
        if (r < 0)
                return r;
        j->manager = m;
        LIST_PREPEND(jobs, m->jobs, j);
        m->n_jobs++;
        *ret = TAKE_PTR(j);
        return 0;
}

void job_free(Job *j) {
        if (!j)
                return;
        if (j->task.in_flight)
                worker_pool_wait(j->manager->workers, &j->task);
        if (j->manager) {
                LIST_REMOVE(jobs, j->manager->jobs, j);
                j->manager->n_jobs--;
                if (j->finished_usec)
                        j->manager->n_finished--;
                j->manager->finished_bytes -= j->bytes_held;
        }
        sd_event_source_disable_unref(j->progress_source);
        sd_event_source_disable_unref(j->linger_source);
        free(j->results);
        strv_builder_done(&j->messages);
        pthread_mutex_destroy(&j->lock);
        ovl_mount_unref(j->mount);
        path_list_done(&j->paths);
        free(j->mount_point);
        free(j->object_path);
        free(j->error);
        free(j->error_name);
        mount_snapshot_done(&j->snapshot);
        free(j);
}

/* -- worker side -------------------------------------------------------- */

/* Each distinct message is kept once (there are few: constant texts and
 * errno strings; the last one is tried first).  By its text: the same
 * buffer may hold another message the next time.  Under j->lock. */
static uint16_t job_message_index(Job *j, const char *message) {
        size_t i;

        if (!message || !*message)
                return 0;
        if (j->last_message_index && streq(j->messages.l[j->last_message_index], message))
                return j->last_message_index;
        for (i = 1; i < j->messages.n; i++)
                if (streq(j->messages.l[i], message))
                        break;
        if (i == j->messages.n && (i > JOB_MESSAGES_MAX || strv_builder_push(&j->messages, message) < 0))
                return 0;       /* (too many, or no memory: the outcome still counts) */
        j->last_message_index = (uint16_t) i;
        return (uint16_t) i;
}

void job_add_result(Job *j, uint32_t path, RestoreOutcome outcome, const char *message) {
        pthread_mutex_lock(&j->lock);
        if (path < j->paths.n)
                j->results[path] = JOB_RESULT(outcome, job_message_index(j, message));
        pthread_mutex_unlock(&j->lock);

        if (outcome == OUTCOME_RESTORED || outcome == OUTCOME_WOULD_RESTORE)
                atomic_fetch_add(&j->restored, 1);
        else if (outcome == OUTCOME_FAILED)
                atomic_fetch_add(&j->failed, 1);
        else
                atomic_fetch_add(&j->skipped, 1);
        atomic_fetch_add(&j->processed, 1);
}

/* Takes @message. */
static void job_set_error(Job *j, const char *error_name, char *message) {
        pthread_mutex_lock(&j->lock);
        free(j->error);
        j->error = message;
        free(j->error_name);
        j->error_name = error_name ? strdup(error_name) : NULL;
        pthread_mutex_unlock(&j->lock);
        atomic_store(&j->worker_failed, true);
}

/* The job as a whole failed, before it ran. */
#define job_fail(j, error_name, ...) job_set_error((j), (error_name), strprintf(__VA_ARGS__))

/* -- the job as the restore engine's sink (restore.h) -------------------- */

static void sink_result(void *userdata, uint32_t path, RestoreOutcome outcome, const char *message) {
        job_add_result(userdata, path, outcome, message);
}

static void sink_fail(void *userdata, const char *error_name, char *message) {
        job_set_error(userdata, error_name, message);
}

static int sink_append_paths(void *userdata, PathList *extra) {
        Job *j = userdata;
        uint16_t *results;
        int r;

        /* (GetResults reads the paths and results under the lock) */
        pthread_mutex_lock(&j->lock);
        if (extra->n > SIZE_MAX / sizeof(*results) - j->paths.n)
                r = -E2BIG;
        else if (!(results = realloc(j->results, ((j->paths.n + extra->n) ?: 1) * sizeof(*results))))
                r = -ENOMEM;
        else {
                /* (results for more paths than there are harm nothing) */
                memset(results + j->paths.n, 0, extra->n * sizeof(*results));
                j->results = results;
                r = path_list_append(&j->paths, extra);
        }
        pthread_mutex_unlock(&j->lock);
        return r;
}

static const RestoreSink job_sink = {
        .result = sink_result,
        .fail = sink_fail,
        .append_paths = sink_append_paths,
};

static void job_task_run(Task *t) {
        Job *j = container_of(t, Job, task);
        RestoreRun run = {
                .id = j->id,
                .state_dir = j->manager->state_dir,
                .max_paths = j->manager->max_paths,
                .lingering = &j->manager->lingering,
                .paths = &j->paths,
                .n_given = j->n_given,
                .options = j->options,
                .method = j->method,
                .no_deferred = j->no_deferred,
                .mount_point = j->mount_point,
                .mount = &j->snapshot,
                .cancel = &j->cancel,
                .deferred_instead = &j->deferred_instead,
                .away = &j->mount->away,
                .total = &j->total,
                .sink = &job_sink,
                .sink_data = j,
        };

        restore_run(&run);
}

/* -- event loop side ---------------------------------------------------- */

/* What changes when (one PropertiesChanged each time, with just these). */
static char *const changed_at_start[] = { (char *) "State", (char *) "Method", NULL };
static char *const changed_by_progress[] = {
        (char *) "Total", (char *) "Processed", (char *) "Restored", (char *) "Skipped",
        (char *) "Failed", (char *) "Progress", NULL,
};
static char *const changed_at_end[] = {
        (char *) "State", (char *) "Method", (char *) "Total", (char *) "Processed", (char *) "Restored",
        (char *) "Skipped", (char *) "Failed", (char *) "Progress", (char *) "FinishedUSec",
        (char *) "Error", (char *) "ErrorName", NULL,
};

static void job_emit_changed(Job *j, char *const *properties) {
        sd_bus *b;

        MANAGER_FOREACH_BUS(b, j->manager)
                (void) sd_bus_emit_properties_changed_strv(b, j->object_path, JOB_IFACE, (char **) properties);
}

static int on_progress(sd_event_source *s, uint64_t usec, void *userdata) {
        Job *j = userdata;
        uint64_t p = atomic_load(&j->processed);

        if (p != j->last_processed) {
                j->last_processed = p;
                job_emit_changed(j, changed_by_progress);
        }
        return sd_event_source_set_time(s, usec + PROGRESS_INTERVAL_USEC);
}


static bool job_finished(Job *j) {
        return j->state == JOB_DONE || j->state == JOB_FAILED || j->state == JOB_CANCELLED;
}

unsigned manager_active_jobs(Manager *m) {
        return m->n_jobs - m->n_finished;
}

size_t manager_active_bytes(Manager *m) {
        size_t n = 0;

        LIST_FOREACH(jobs, j, m->jobs)
                if (!job_finished(j))
                        n += j->bytes_given;
        return n;
}

/* How long a finished job stays: --job-linger once its results were read;
 * unread, --job-linger-unread (a slow client must not lose them), at
 * least as long. */
static void job_arm_linger(Job *j, uint64_t usec) {
        Manager *m = j->manager;

        if (j->linger_source) {
                (void) sd_event_source_set_time_relative(j->linger_source, usec);
                (void) sd_event_source_set_enabled(j->linger_source, SD_EVENT_ONESHOT);
        } else
                (void) sd_event_add_time_relative(m->event, &j->linger_source, CLOCK_MONOTONIC, usec, 0,
                                                  on_linger_end, j);
}

void job_results_read(Job *j) {
        if (!job_finished(j) || j->results_read)
                return;
        j->results_read = true;
        job_arm_linger(j, j->manager->job_linger_usec);
}

/* What finished job @j holds for GetResults: its paths, their outcomes
 * and its messages (what is used: past glibc's mmap threshold, room not
 * written to takes no memory, path-list.h). */
static size_t job_bytes(const Job *j) {
        size_t n = job_paths_bytes(&j->paths) + j->messages.n * sizeof(char *);

        for (size_t i = 0; i < j->messages.n; i++)
                n += strlen(j->messages.l[i]) + 1;
        return n;
}

/* Lets go of what a finished job keeps for GetResults: its paths, their
 * outcomes and its messages (GetResults answers an empty list then). */
static void job_results_free(Job *j) {
        path_list_done(&j->paths);
        free(j->results);
        j->results = NULL;
        strv_builder_done(&j->messages);
}

void job_results_too_large(Job *j) {
        if (!job_finished(j) || j->results_too_large)
                return;
        log_info("Job %u: its results dropped, %zu bytes: more than the system bus carries in one message.",
                 j->id, j->bytes_held);
        j->manager->finished_bytes -= j->bytes_held;
        j->bytes_held = 0;
        j->results_too_large = true;
        job_results_free(j);
        job_results_read(j);
}

/* The finished job to let go of first (with results, if @with_results):
 * the oldest by id (not by a clock that may step), those whose results
 * were read before those nobody read; never @keep. */
static Job *oldest_finished(Manager *m, bool with_results, const Job *keep) {
        Job *oldest = NULL;

        LIST_FOREACH(jobs, i, m->jobs)
                if (job_finished(i) && i != keep && !(with_results && i->results_dropped) &&
                    (!oldest || (i->results_read && !oldest->results_read) ||
                     (i->results_read == oldest->results_read && i->id < oldest->id)))
                        oldest = i;
        return oldest;
}

/* Beyond max_finished_bytes held by finished jobs, the oldest ones drop
 * their results (the job stays, with its state and counts; GetResults
 * says what happened), never @keep, the job that has just finished. */
static void manager_trim_finished_bytes(Manager *m, const Job *keep) {
        Job *j;

        while (m->finished_bytes > m->max_finished_bytes && (j = oldest_finished(m, true, keep))) {
                log_info("Job %u: its results dropped, %zu bytes, to make room (finished jobs keep %zu at "
                         "most).", j->id, j->bytes_held, m->max_finished_bytes);
                m->finished_bytes -= j->bytes_held;
                j->bytes_held = 0;
                j->results_dropped = true;
                job_results_free(j);
        }
}

/* Room for one more finished job: beyond max_finished, the oldest goes
 * now.  Called when a job is created, never while the list is walked.
 * (The bytes are not looked at here: past the job ends' trimming, only
 * the newest job's can be over, and its caller is about to read them.) */
static void manager_trim_finished(Manager *m) {
        Job *oldest;
        sd_bus *b;

        while (m->n_finished >= m->max_finished && (oldest = oldest_finished(m, false, NULL))) {
                MANAGER_FOREACH_BUS(b, m)
                        (void) sd_bus_emit_object_removed(b, oldest->object_path);
                job_free(oldest);
        }
}

static int on_linger_end(sd_event_source *s, uint64_t usec, void *userdata) {
        Job *j = userdata;
        Manager *m = j->manager;
        sd_bus *b;

        MANAGER_FOREACH_BUS(b, m)
                (void) sd_bus_emit_object_removed(b, j->object_path);
        job_free(j);
        manager_check_idle(m);
        return 0;
}

static void job_start_next(OvlMount *mnt);

/* The end of @j, told: its state, its log line and its signals. */
static void job_announce_end(Job *j, JobState state) {
        Manager *m = j->manager;
        const char *result = state == JOB_DONE ? "done" : state == JOB_FAILED ? "failed" : "cancelled";
        sd_bus *b;

        j->state = state;
        j->finished_usec = now_usec(CLOCK_REALTIME);
        m->n_finished++;
        /* (what it keeps for GetResults, the others' bound: the worker is
         * done with it; one that failed before it ran has no outcome) */
        if (atomic_load(&j->processed) == 0)
                job_results_free(j);
        j->bytes_held = job_bytes(j);
        m->finished_bytes += j->bytes_held;
        manager_trim_finished_bytes(m, j);
        j->progress_source = sd_event_source_disable_unref(j->progress_source);
        log_info("Job %u on %s (uid " UID_FMT ", %zu paths, method %s): %s, %" PRIu64
                 " restored, %" PRIu64 " skipped, %" PRIu64 " failed%s%s",
                 j->id, j->mount_point, j->uid, j->n_given, j->method, result,
                 atomic_load(&j->restored), atomic_load(&j->skipped), atomic_load(&j->failed),
                 j->error ? ": " : "", j->error ?: "");
        job_emit_changed(j, changed_at_end);
        MANAGER_FOREACH_BUS(b, m) {
                (void) sd_bus_emit_signal(b, j->object_path, JOB_IFACE, "Completed", "sttt",
                                          result, atomic_load(&j->restored),
                                          atomic_load(&j->skipped), atomic_load(&j->failed));
                (void) sd_bus_emit_signal(b, MANAGER_PATH, MANAGER_IFACE, "JobRemoved", "uos",
                                          j->id, j->object_path, result);
        }
        job_arm_linger(j, m->job_linger_usec > m->job_unread_usec ? m->job_linger_usec : m->job_unread_usec);
}

/* ...and its mount handed to the next job queued on it. */
static void job_release_mount(Job *j) {
        if (j->mount->active_job == j) {
                j->mount->active_job = NULL;
                ovl_mount_emit_changed(j->mount, "ActiveJob");
                job_start_next(j->mount);
        }
        manager_check_idle(j->manager);
}

static void job_finish(Job *j, JobState state) {
        job_announce_end(j, state);
        job_release_mount(j);
}

static void job_task_done(Task *t) {
        Job *j = container_of(t, Job, task);
        bool remounted = j->mount->remounting;
        JobState state;

        /* Nothing of the layers is kept busy while the job lingers. */
        mount_snapshot_done(&j->snapshot);
        if (atomic_load(&j->deferred_instead))
                j->method = "deferred";
        /* (an overlay that waits for a former superblock to go) */
        lingering_watch(j->manager);
        if (remounted) {
                ovl_mount_set_remounting(j->mount, false);
                atomic_store(&j->mount->away, false);
        }

        if (atomic_load(&j->worker_failed))
                state = JOB_FAILED;
        else if (atomic_load(&j->cancel))
                state = JOB_CANCELLED;
        else if (atomic_load(&j->failed) > 0)
                state = JOB_FAILED;
        else
                state = JOB_DONE;
        job_announce_end(j, state);

        if (remounted) {
                int r;

                /* Read the mount table: the overlay is back (with the
                 * propagation set after the mount, which raises no event),
                 * or could not be mounted again and goes.  (The monitor
                 * has taken the events meanwhile, and takes those still
                 * pending now, of the mount just made: they ask for no
                 * second read; a failed read leaves the table to be read
                 * by the next who needs it.)  Read after the end is told,
                 * which the caller waits for: whatever it asks next is
                 * answered after this, as is the next job. */
                j->manager->mounts_stale = true;
                r = manager_catch_up_mounts(j->manager);
                if (r < 0)
                        log_warning("Cannot read the mount table after the remount of %s: %s",
                                    j->mount_point, strerror(-r));
        }
        job_release_mount(j);
}

/* --apply-pending runs at boot before the overlays are mounted (it counts
 * as the boot step only with none mounted: main.c): a layer on another
 * mount (a lower directory in another overlay's merged view, a tmpfs, a
 * bind mount made later) may be another directory at its path then, where
 * the entry would wait for ever or, in mode discard, the step would remove
 * an upper file of the wrong directory (ovl_mount_layer_off_boot()). */
#define LAYER_OFF_BOOT "a layer of it lies on a mount other than the root's and the state directory's, " \
        "which --apply-pending, at boot before the overlays are mounted, may not find there"

/* -EXDEV: a deferred restore refused, *@ret_off_boot its layer (in @j's
 * mount, valid until the event loop runs again). */
static int job_start(Job *j, const char **ret_off_boot) {
        OvlMount *mnt = j->mount;
        const char *off_boot;
        int r;

        if (j->options.method == RESTORE_METHOD_AUTO)
                j->method = restore_method_to_string(manager_auto_method(j->manager, j->options.mode));
        mount_snapshot_done(&j->snapshot);
        r = ovl_mount_snapshot(mnt, &j->snapshot);
        if (r < 0)
                return r;
        /* (taking it may have read the mount table again) */
        if (mnt->options_unreadable)
                return -EBADMSG;
        /* Deferred restores refused, before anything changes (dry runs
         * answer the same), and auto does not fall back to them. */
        off_boot = ovl_mount_layer_off_boot(mnt, &j->snapshot.layers, j->manager->state_dir);
        if (off_boot) {
                if (streq(j->method, "deferred")) {
                        *ret_off_boot = off_boot;
                        return -EXDEV;
                }
                if (!j->no_deferred)
                        j->no_deferred = LAYER_OFF_BOOT;
        }

        r = sd_event_add_time_relative(j->manager->event, &j->progress_source, CLOCK_MONOTONIC,
                                       PROGRESS_INTERVAL_USEC, 0, on_progress, j);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(j->progress_source, SD_EVENT_ON);

        j->state = JOB_RUNNING;
        mnt->active_job = j;
        /* The remount method takes the overlay away for a while: its
         * object stays until the job has ended (see job_task_done()). */
        ovl_mount_set_remounting(mnt, streq(j->method, "remount") && !j->options.dry_run);
        j->task = (Task) { .run = job_task_run, .done = job_task_done };
        r = worker_pool_submit(j->manager->workers, &j->task);
        if (r < 0) {
                mnt->active_job = NULL;
                return r;
        }
        log_info("Job %u started on %s (uid " UID_FMT ", %zu paths, mode %s, method %s%s%s)",
                 j->id, j->mount_point, j->uid, j->n_given,
                 restore_mode_to_string(j->options.mode), j->method,
                 j->options.recursive ? ", recursive" : "", j->options.dry_run ? ", dry run" : "");
        job_emit_changed(j, changed_at_start);
        ovl_mount_emit_changed(mnt, "ActiveJob");
        return 0;
}

/* A state directory on an overlay (see manager_state_dir_overlay()):
 * deferred restores are refused, and so are remounts of that overlay,
 * before anything changes (Unsupported: the method cannot work here, as
 * for a missing boot step); dry runs answer the same.  Method auto keeps
 * the remount but may not fall back to deferred (j->no_deferred). */
static bool job_refuse_state_dir(Job *j) {
        Manager *m = j->manager;
        RestoreMethod method = j->options.method;
        OvlMount *on = manager_state_dir_overlay(m);
        const char *what;

        if (method == RESTORE_METHOD_AUTO)
                method = manager_auto_method(m, j->options.mode);
        j->no_deferred = on ? "the state directory of ovl-restored lies on an overlay" : NULL;
        if (!on || method == RESTORE_METHOD_IOCTL)
                return false;
        if (method == RESTORE_METHOD_DEFERRED)
                what = "deferred restores are refused: --apply-pending runs at boot before that overlay is mounted";
        else if (on == j->mount)
                what = "a remount of that overlay is refused: it would take its own record away";
        else
                return false;
        log_error("Job %u: the state directory %s lies on the overlay at %s: %s. Point --state-dir at "
                  "a directory off the overlays (Calculinux: /data/ovl-restored).",
                  j->id, m->state_dir, on->mount_point, what);
        job_fail(j, ERROR_UNSUPPORTED, "The state directory %s of ovl-restored lies on the overlay at %s: %s "
                 "(nothing was changed). Configure --state-dir off the overlays.",
                 m->state_dir, on->mount_point, what);
        job_finish(j, JOB_FAILED);
        return true;
}

/* Deferred restores are carried out by `ovl-restored --apply-pending` at
 * boot, before the overlays are mounted (Calculinux: /sbin/preinit).
 * Where it did not run at this boot, one recorded now would wait for ever,
 * unseen: method deferred is refused, nothing recorded, and auto does not
 * fall back to it.  Dry runs answer the same. */
#define NO_BOOT_STEP "ovl-restored --apply-pending, which carries deferred restores out at boot before " \
        "the overlays are mounted, did not run at this boot (add it to /sbin/preinit: see ovl-restored(8))"

static bool job_refuse_unapplied(Job *j) {
        Manager *m = j->manager;

        if (j->no_deferred || (j->options.method != RESTORE_METHOD_DEFERRED &&
                               j->options.method != RESTORE_METHOD_AUTO))
                return false;
        if (pending_store_boot_step_ran(m->state_dir))
                return false;
        j->no_deferred = NO_BOOT_STEP;
        if (j->options.method == RESTORE_METHOD_AUTO)
                return false;
        log_warning("Job %u: a deferred restore on %s refused: %s.", j->id, j->mount_point, NO_BOOT_STEP);
        job_fail(j, ERROR_UNSUPPORTED, "Deferred restores are refused here: %s. Nothing was recorded; "
                 "restore with another method.", NO_BOOT_STEP);
        job_finish(j, JOB_FAILED);
        return true;
}

/* Starts @j (off the queue, its mount idle); one that cannot start
 * fails at once. */
static void job_run(Job *j) {
        OvlMount *mnt = j->mount;
        const char *layer = NULL;
        int r;

        if (job_refuse_state_dir(j) || job_refuse_unapplied(j))
                return;
        /* (another overlay may have been mounted in its place since the
         * job was queued) */
        r = mnt->options_unreadable ? -EBADMSG : job_start(j, &layer);
        if (r == -EBADMSG)
                job_fail(j, ERROR_UNSUPPORTED, "The options of the overlay at %s hold %s: its layers cannot "
                         "be told, and nothing was changed.", j->mount_point, OPTIONS_UNREADABLE_WHAT);
        else if (r == -EBUSY)
                job_fail(j, NULL, "Cannot reach the layers of %s: a layer directory is covered by "
                         "another mount (only the overlay itself may cover its lower directory); "
                         "nothing was changed.", j->mount_point);
        else if (r == -EXDEV) {
                log_error("Job %u: a deferred restore on %s refused: its layer %s lies on a mount other than "
                          "the root's and the state directory's.", j->id, j->mount_point, layer);
                job_fail(j, ERROR_UNSUPPORTED, "Deferred restores of %s are refused: its layer %s lies on a "
                         "mount other than the root's and the state directory's (another overlay, a tmpfs, "
                         "a bind mount made later), and --apply-pending, which carries them out at boot "
                         "before the overlays are mounted, may find another directory there. Nothing was "
                         "recorded; restore with another method.", j->mount_point, layer);
        } else if (r == -ENOSYS)
                job_fail(j, NULL, "Cannot reach the layers of %s: openat2() is not available (a kernel "
                         "older than 5.6, or a seccomp filter such as systemd's RestrictSUIDSGID= "
                         "blocks it); nothing was changed.", j->mount_point);
        else if (r < 0)
                job_fail(j, NULL, "Cannot start the job: %s", strerror(-r));
        if (r < 0) {
                ovl_mount_set_remounting(mnt, false);
                mnt->active_job = NULL;
                mount_snapshot_done(&j->snapshot);      /* (kept by none that failed) */
                job_finish(j, JOB_FAILED);
        }
}

static void job_start_next(OvlMount *mnt) {
        while (!mnt->active_job && mnt->queue) {
                Job *j = mnt->queue;

                LIST_REMOVE(queue, mnt->queue, j);
                mnt->n_queued--;
                ovl_mount_emit_changed(mnt, "QueuedJobs");
                job_run(j);
        }
}

int job_enqueue(Job *j) {
        OvlMount *mnt = j->mount;
        sd_bus *b;

        _cleanup_free_ char *mp = bus_path_encode(j->mount_point);
        MANAGER_FOREACH_BUS(b, j->manager)
                (void) sd_bus_emit_signal(b, MANAGER_PATH, MANAGER_IFACE, "JobNew",
                                          "uos", j->id, j->object_path, mp ?: "");
        /* An idle overlay starts it at once: its QueuedJobs stays as it was. */
        if (!mnt->active_job && !mnt->queue)
                job_run(j);
        else {
                LIST_APPEND(queue, mnt->queue, j);
                mnt->n_queued++;
                ovl_mount_emit_changed(mnt, "QueuedJobs");
        }
        manager_check_idle(j->manager);
        return 0;
}

int job_cancel(Job *j) {
        switch (j->state) {
        case JOB_QUEUED:
                /* (queued: on its mount's queue; job_run() starts one that
                 * is not before anything else runs) */
                if (j->mount->queue == j || j->queue_prev) {
                        LIST_REMOVE(queue, j->mount->queue, j);
                        j->mount->n_queued--;
                        ovl_mount_emit_changed(j->mount, "QueuedJobs");
                }
                for (size_t i = 0; i < j->n_given; i++)
                        job_add_result(j, (uint32_t) i, OUTCOME_CANCELLED, "cancelled before it started");
                atomic_store(&j->cancel, true);
                job_finish(j, JOB_CANCELLED);
                return 0;
        case JOB_RUNNING:
                atomic_store(&j->cancel, true);
                return 0;
        default:
                return -ESTALE;
        }
}

void job_mount_gone(OvlMount *mnt) {
        LIST_FOREACH_SAFE(queue, j, n, mnt->queue) {
                LIST_REMOVE(queue, mnt->queue, j);
                mnt->n_queued--;
                job_fail(j, ERROR_NO_SUCH_MOUNT, "The overlay at %s was unmounted", j->mount_point);
                job_finish(j, JOB_FAILED);
        }
        if (mnt->active_job)
                atomic_store(&mnt->active_job->cancel, true);
}
