/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.calculinux.OverlayRestore1.Job */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "bus-path.h"
#include "bus-util.h"
#include "job.h"
#include "mount.h"
#include "polkit.h"
#include "strv.h"

#define GETTER(name) \
        static int name(sd_bus *bus, const char *path, const char *interface, const char *property, \
                        sd_bus_message *reply, void *userdata, sd_bus_error *error)

GETTER(property_get_operation) {
        return sd_bus_message_append(reply, "s", "restore");
}

GETTER(property_get_state) {
        Job *j = userdata;
        return sd_bus_message_append(reply, "s", job_state_to_string(j->state));
}

/* Error and ErrorName: set by the worker, under the job's lock. */
static int append_error_field(sd_bus_message *reply, Job *j, bool name) {
        _cleanup_free_ char *e = NULL;

        pthread_mutex_lock(&j->lock);
        e = bus_path_encode((name ? j->error_name : j->error) ?: "");
        pthread_mutex_unlock(&j->lock);
        return e ? sd_bus_message_append(reply, "s", e) : -ENOMEM;
}

GETTER(property_get_error) {
        return append_error_field(reply, userdata, false);
}

GETTER(property_get_error_name) {
        return append_error_field(reply, userdata, true);
}

GETTER(property_get_mount) {
        Job *j = userdata;
        return sd_bus_message_append(reply, "o", j->mount->object_path);
}

GETTER(property_get_progress) {
        Job *j = userdata;
        uint64_t total = atomic_load(&j->total), done = atomic_load(&j->processed);
        double p = j->state >= JOB_DONE ? 1.0 : total ? (double) done / (double) total : 0.0;
        return sd_bus_message_append(reply, "d", p > 1.0 ? 1.0 : p);
}

typedef int (*job_action_t)(sd_bus_message *message, Job *j, sd_bus_error *error);

typedef struct JobQuery {
        Manager *manager;
        uint32_t id;
        job_action_t action;
} JobQuery;

static int on_job_authorized(sd_bus_message *message, void *userdata, int r, sd_bus_error *error) {
        _cleanup_free_ JobQuery *q = userdata;
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        Job *j;

        if (r <= 0) {
                (void) sd_bus_reply_method_error(message, error);
                return 0;
        }
        j = manager_find_job(q->manager, q->id);
        if (!j) {
                sd_bus_error_setf(&e, ERROR_NO_SUCH_JOB, "Job %u is gone: finished jobs stay for a while "
                                  "(--job-linger), then go.", q->id);
                (void) sd_bus_reply_method_error(message, &e);
                return 0;
        }
        r = q->action(message, j, &e);
        if (r < 0)
                (void) (sd_bus_error_is_set(&e) ? sd_bus_reply_method_error(message, &e)
                                                : sd_bus_reply_method_errno(message, r, NULL));
        return 0;
}

/* The job's owner and root may act on it; anyone else needs manage-jobs. */
static int job_authorize(sd_bus_message *message, Job *j, job_action_t action, sd_bus_error *error) {
        _cleanup_free_ JobQuery *q = NULL;
        char id[16];
        uid_t uid;
        int r;

        r = bus_message_get_uid(message, &uid);
        if (r < 0)
                return r;
        if (uid == j->uid && !j->manager->force_polkit)
                return action(message, j, error);
        q = calloc(1, sizeof(*q));
        if (!q)
                return -ENOMEM;
        *q = (JobQuery) { .manager = j->manager, .id = j->id, .action = action };
        snprintf(id, sizeof id, "%u", j->id);
        char *details[] = { (char *) "mount_point", j->mount_point, (char *) "job", id, NULL };
        r = polkit_check(j->manager, message, ACTION_MANAGE_JOBS, details, on_job_authorized, q);
        if (r < 0)
                return r;
        TAKE_PTR(q);    /* on_job_authorized() frees it */
        return 1;
}

static int do_cancel(sd_bus_message *message, Job *j, sd_bus_error *error) {
        int r = job_cancel(j);

        if (r == -ESTALE)
                return sd_bus_error_setf(error, ERROR_NO_SUCH_JOB,
                                         "Job %u has already finished (%s).", j->id, job_state_to_string(j->state));
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(message, NULL);
}

/* (ovlctl knows this error by "more than the system bus carries") */
static int results_too_large(Job *j, sd_bus_error *error) {
        return sd_bus_error_setf(error, ERROR_LIMIT_EXCEEDED,
                                 "The results of job %u are more than the system bus carries in one "
                                 "message (%u MiB), so they cannot be read. Its state and counts stay "
                                 "(%" PRIu64 " restored, %" PRIu64 " skipped, %" PRIu64 " failed).",
                                 j->id, BUS_REPLY_BYTES_MAX >> 20, atomic_load(&j->restored),
                                 atomic_load(&j->skipped), atomic_load(&j->failed));
}

/* (path, outcome, message), each string as bus_append_checked_string()
 * takes it: a job's results can be 100,000 */
static int bus_append_results_entry(sd_bus_message *reply, const char *path, size_t path_len, const char *outcome,
                                    const char *msg) {
        int r;

        r = sd_bus_message_open_container(reply, 'r', "sss");
        if (r >= 0)
                r = bus_append_checked_string(reply, path, path_len);
        if (r >= 0)
                r = bus_append_checked_string(reply, outcome, strlen(outcome));
        if (r >= 0)
                r = bus_append_checked_string(reply, msg, strlen(msg));
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

static int do_get_results(sd_bus_message *message, Job *j, sd_bus_error *error) {
        _cleanup_strv_free_ char **messages = NULL;
        sd_bus_message *reply = NULL;
        size_t bytes = 0;
        int r;

        if (j->results_too_large)
                return results_too_large(j, error);
        if (j->results_dropped) {
                /* (told once: it goes --job-linger later, as if read; ovlctl
                 * knows this error by "were dropped to make room") */
                job_results_read(j);
                return sd_bus_error_setf(error, ERROR_LIMIT_EXCEEDED,
                                         "The results of job %u were dropped to make room for newer ones: "
                                         "finished jobs keep %zu MiB of results at most between them, the "
                                         "oldest go first. Its state and counts stay (%" PRIu64 " restored, "
                                         "%" PRIu64 " skipped, %" PRIu64 " failed). Read results soon after "
                                         "a job ends.", j->id, j->manager->max_finished_bytes >> 20,
                                         atomic_load(&j->restored), atomic_load(&j->skipped),
                                         atomic_load(&j->failed));
        }
        r = bus_reply_array_new(message, "(sss)", &reply);
        if (r < 0)
                return r;
        pthread_mutex_lock(&j->lock);
        /* (names are bytes: bus-path.h; each distinct message encoded once) */
        messages = calloc(j->messages.n + 1, sizeof(char *));
        if (!messages)
                r = -ENOMEM;
        for (size_t i = 0; r >= 0 && i < j->messages.n; i++)
                if (!(messages[i] = bus_path_encode(j->messages.l[i])))
                        r = -ENOMEM;
        /* (in the paths' order: those given, then those found below) */
        for (size_t i = 0; r >= 0 && i < j->paths.n; i++) {
                uint16_t res = j->results[i];
                const char *outcome, *msg;
                char full[PATH_MAX];
                _cleanup_free_ char *encoded = NULL;
                ssize_t len;

                if (res == 0)
                        continue;       /* (none yet) */
                outcome = restore_outcome_to_string(JOB_RESULT_OUTCOME(res));
                msg = messages[JOB_RESULT_MESSAGE(res)];
                len = bus_path_below(full, sizeof full, j->mount_point, path_list_get(&j->paths, i), &encoded);
                if (len < 0) {
                        r = (int) len;
                        break;
                }
                /* (each string: its length, its NUL, padding; the struct's
                 * alignment: 32 bytes at most) */
                bytes += (size_t) len + strlen(outcome) + strlen(msg) + 32;
                if (bytes > BUS_REPLY_BYTES_MAX) {
                        r = -EMSGSIZE;
                        break;
                }
                r = bus_append_results_entry(reply, encoded ?: full, (size_t) len, outcome, msg);
        }
        pthread_mutex_unlock(&j->lock);
        r = bus_reply_array_send(reply, r);
        if (r == -EMSGSIZE) {
                /* (a finished job's are let go of, and it goes --job-linger
                 * later, as one whose results were dropped) */
                job_results_too_large(j);
                return results_too_large(j, error);
        }
        if (r >= 0)
                job_results_read(j);
        return r;
}

static int method_cancel(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        return job_authorize(message, userdata, do_cancel, error);
}

static int method_get_results(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        return job_authorize(message, userdata, do_get_results, error);
}

/* (sd-bus reads Id, StartedByUID, CreatedUSec, FinishedUSec and Method
 * from the fields themselves) */
_Static_assert(sizeof(uid_t) == sizeof(uint32_t), "StartedByUID is a u");

const sd_bus_vtable job_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Id", "u", NULL, offsetof(Job, id), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Operation", "s", property_get_operation, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("MountPoint", "s", bus_property_get_path, offsetof(Job, mount_point),
                        SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Mount", "o", property_get_mount, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("State", "s", property_get_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Method", "s", NULL, offsetof(Job, method), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Total", "t", bus_property_get_atomic_u64, offsetof(Job, total),
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Processed", "t", bus_property_get_atomic_u64, offsetof(Job, processed),
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Restored", "t", bus_property_get_atomic_u64, offsetof(Job, restored),
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Skipped", "t", bus_property_get_atomic_u64, offsetof(Job, skipped),
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Failed", "t", bus_property_get_atomic_u64, offsetof(Job, failed),
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Progress", "d", property_get_progress, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("StartedByUID", "u", NULL, offsetof(Job, uid), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("CreatedUSec", "t", NULL, offsetof(Job, created_usec), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("FinishedUSec", "t", NULL, offsetof(Job, finished_usec),
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Error", "s", property_get_error, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        /* An addition to DESIGN.md: the D-Bus error name of Error, for
         * programs ("...Error.Busy" when a remount found the overlay in use). */
        SD_BUS_PROPERTY("ErrorName", "s", property_get_error_name, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD("Cancel", NULL, NULL, method_cancel, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetResults", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(sss)", results),
                                method_get_results, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("Completed",
                                SD_BUS_ARGS("s", result, "t", restored, "t", skipped, "t", failed), 0),
        SD_BUS_VTABLE_END,
};

static const char *job_step(const void *object, const void **next) {
        const Job *j = object;

        *next = j->jobs_next;
        return j->object_path;
}

int job_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                    void **found, sd_bus_error *error) {
        return bus_list_find(((Manager *) userdata)->jobs, job_step, path, found);
}

int job_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes,
                        sd_bus_error *error) {
        return bus_list_nodes(((Manager *) userdata)->jobs, job_step, nodes);
}
