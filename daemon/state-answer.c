/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GetState's answer, once polkit allowed it.  On the event loop: the
 * paths resolved again (an overlay may have come or gone meanwhile) and
 * each overlay opened once (state.h's StateSource).  Then, on a worker
 * for a large call: for each path, the caller's search permission on its
 * directory (once per directory) and the state, read as the caller.  The
 * reply is built on the event loop: from a worker, STATE_BATCH states at a
 * time while it reads on (worker_pool_post()). */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "bus-util.h"
#include "caller-access.h"
#include "macro.h"
#include "mount.h"
#include "state.h"
#include "state-answer.h"
#include "strv.h"
#include "test-hooks.h"
#include "worker-pool.h"

#define STATE_BATCH 2048

typedef enum StateFailure {
        FAILURE_ERRNO,          /* r */
        FAILURE_DENIED,         /* the caller may not search the path's directory */
        FAILURE_LAYER_DENIED,   /* ...in a layer, though it may in the merged view */
        FAILURE_NO_PARENT,      /* the path's directory does not exist */
        FAILURE_GONE,           /* the overlay polkit was asked about went away */
        FAILURE_CHECK,          /* the caller's permission could not be checked */
        FAILURE_NOT_BENEATH,    /* the path's directory is not one of the overlay itself */
        FAILURE_UNREADABLE,     /* the overlay's layers cannot be told (its options) */
} StateFailure;

typedef struct StateAnswer {
        Manager *manager;
        sd_bus_message *message;
        const char **paths;     /* as the caller gave them (bus form; @message's strings) */
        char **decoded;         /* what each stands for, if not itself (NULL) */
        char **mounts;
        size_t *which;
        size_t n;
        StateSource *sources;   /* one per mounts[k] */
        size_t n_sources;
        CallerCreds caller;
        bool has_caller;
        OvlState *states;
        size_t n_done;          /* states read; a failure at paths[n_done] */
        int r;
        StateFailure failure;
        bool reserved;          /* holds a place (state_answer_reserve()) */
        bool worker;            /* on a worker: counted busy */
        atomic_size_t n_ready;  /* (on a worker) states read and handed over */
        sd_bus_message *reply;  /* (the event loop's) */
        size_t n_appended;      /* states in it */
        int reply_r;            /* the first failure to build it */
        Task task;
} StateAnswer;

static void answer_free(StateAnswer *a) {
        if (!a)
                return;
        if (a->reserved)
                state_answer_release(a->manager);
        if (a->worker)
                manager_busy_unref(a->manager);
        sd_bus_message_unref(a->message);
        sd_bus_message_unref(a->reply);
        free(a->paths);
        for (size_t i = 0; a->decoded && i < a->n; i++)
                free(a->decoded[i]);
        free(a->decoded);
        strv_free(a->mounts);
        free(a->which);
        for (size_t k = 0; k < a->n_sources; k++)
                state_source_close(&a->sources[k]);
        free(a->sources);
        if (a->has_caller)
                caller_creds_done(&a->caller);
        free(a->states);
        free(a);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(StateAnswer *, answer_free);

/* The states, as the caller; stops at the first failure.  Touches no
 * daemon state: it may run on a worker (and posts what it has read to its
 * task then, worker-pool.h). */
static void answer_read(StateAnswer *a) {
        _cleanup_free_ char *checked = NULL;
        size_t i;
        int r = 0;

        for (i = 0; i < a->n; i++) {
                const char *raw = a->decoded[i] ?: a->paths[i];

                if (a->caller.uid != 0) {
                        _cleanup_free_ char *parent = path_parent(raw);

                        if (!parent) {
                                r = -ENOMEM;
                                break;
                        }
                        /* (paths often share a directory: checked once) */
                        if (!checked || !streq(checked, parent)) {
                                r = caller_may_search(&a->caller, a->mounts[a->which[i]], parent);
                                if (r == 0) {
                                        a->failure = FAILURE_DENIED;
                                        r = -EACCES;
                                        break;
                                }
                                /* (nothing is read as root that the check
                                 * did not allow) */
                                if (r < 0) {
                                        if (r == -EXDEV)
                                                a->failure = FAILURE_NOT_BENEATH;
                                        else if (r != -ENOENT && r != -ENOTDIR)
                                                a->failure = FAILURE_CHECK;
                                        break;
                                }
                                free(checked);
                                checked = TAKE_PTR(parent);
                        }
                }
                r = state_source_get(&a->sources[a->which[i]], raw, &a->caller, &a->states[i]);
                if (r < 0) {
                        if (a->sources[a->which[i]].path.unmounted)
                                a->failure = FAILURE_GONE;
                        else if (a->sources[a->which[i]].layer_denied)
                                a->failure = FAILURE_LAYER_DENIED;
                        break;
                }
                state_source_next(&a->sources[a->which[i]], raw,
                                  i + 1 < a->n && a->which[i + 1] == a->which[i] ?
                                          a->decoded[i + 1] ?: a->paths[i + 1] : NULL);
                /* (a task that posts: answered from a worker) */
                if (a->task.posted && (i + 1) % STATE_BATCH == 0) {
                        atomic_store(&a->n_ready, i + 1);
                        worker_pool_post(&a->task);
                }
        }
        /* (nothing of the overlay stays open while the reply is built) */
        for (size_t k = 0; k < a->n_sources; k++)
                state_source_release(&a->sources[k]);
        if (r < 0 && a->failure == FAILURE_ERRNO && (r == -ENOENT || r == -ENOTDIR))
                a->failure = FAILURE_NO_PARENT;
        if (r == -EXDEV && a->failure == FAILURE_ERRNO)
                a->failure = FAILURE_NOT_BENEATH;
        if (r == -EACCES && a->failure == FAILURE_ERRNO)
                a->failure = FAILURE_DENIED;
        a->n_done = i;
        a->r = r < 0 ? r : 0;
}

/* The states up to @until into the reply (on the event loop). */
static void answer_append(StateAnswer *a, size_t until) {
        for (; a->reply_r >= 0 && a->n_appended < until; a->n_appended++)
                a->reply_r = bus_append_state(a->reply, a->paths[a->n_appended], &a->states[a->n_appended]);
}

static int answer_reply(StateAnswer *a) {
        const char *p = a->n_done < a->n ? a->paths[a->n_done] : NULL;
        int r;

        if (a->r < 0)
                switch (a->failure) {
                case FAILURE_DENIED:
                        return sd_bus_reply_method_errorf(a->message, SD_BUS_ERROR_ACCESS_DENIED,
                                                          "Cannot inspect %s: you may not look up entries in "
                                                          "its directory yourself.", p);
                case FAILURE_LAYER_DENIED:
                        return sd_bus_reply_method_errorf(a->message, SD_BUS_ERROR_ACCESS_DENIED,
                                                          "Cannot inspect %s: a lower layer's directory on its "
                                                          "way is closed to you (its copy in the overlay is "
                                                          "not), so what it holds cannot be told to you; root "
                                                          "can inspect it.", p);
                case FAILURE_NO_PARENT:
                        return sd_bus_reply_method_errorf(a->message, ERROR_INVALID_PATH,
                                                          "%s: the parent directory does not exist in the "
                                                          "overlay.", p);
                case FAILURE_GONE:
                        return sd_bus_reply_method_errorf(a->message, ERROR_NO_SUCH_MOUNT,
                                                          "%s: the overlay at %s went away.", p,
                                                          a->mounts[a->which[a->n_done]]);
                case FAILURE_NOT_BENEATH:
                        return sd_bus_reply_method_errorf(a->message, ERROR_INVALID_PATH,
                                                          "%s: goes through a symbolic link or another mount "
                                                          "inside the overlay at %s: name the path itself.", p,
                                                          a->mounts[a->which[a->n_done]]);
                case FAILURE_UNREADABLE:
                        return sd_bus_reply_method_errorf(a->message, ERROR_UNSUPPORTED,
                                                          "The options of the overlay at %s hold %s: its layers "
                                                          "cannot be told, so neither can what they hold.",
                                                          a->mounts[a->which[a->n_done]], OPTIONS_UNREADABLE_WHAT);
                case FAILURE_CHECK:
                        return sd_bus_reply_method_errnof(a->message, -a->r, "Cannot check what you may "
                                                          "inspect of %s: %m", p);
                case FAILURE_ERRNO:
                        return sd_bus_reply_method_errnof(a->message, -a->r, "%s: %m", p);
                }
        if (!a->reply)
                a->reply_r = bus_reply_array_new(a->message, "(ssasu)", &a->reply);
        answer_append(a, a->n);
        r = bus_reply_array_send(TAKE_PTR(a->reply), a->reply_r);
        return r < 0 ? sd_bus_reply_method_errno(a->message, r, NULL) : r;
}

static void answer_task_run(Task *t) {
        pause_point("state-answer-worker");
        answer_read(container_of(t, StateAnswer, task));
}

static void answer_task_posted(Task *t) {
        StateAnswer *a = container_of(t, StateAnswer, task);

        answer_append(a, atomic_load(&a->n_ready));
}

static void answer_task_done(Task *t) {
        StateAnswer *a = container_of(t, StateAnswer, task);

        (void) answer_reply(a);
        answer_free(a);
}

/* On the event loop: each path's overlay, as polkit was asked about it,
 * opened once.  A failure is left for answer_reply(). */
static int answer_prepare(StateAnswer *a, sd_bus_error *error) {
        int r;

        a->decoded = calloc(a->n, sizeof(char *));
        a->states = calloc(a->n, sizeof(OvlState));
        a->sources = calloc(strv_length(a->mounts), sizeof(StateSource));
        if (!a->decoded || !a->states || !a->sources)
                return -ENOMEM;
        for (size_t i = 0; i < a->n; i++) {
                OvlMount *mnt;
                size_t k = a->which[i];

                r = resolve_caller_path(a->manager, a->paths[i], false, &mnt, &a->decoded[i], error);
                if (r < 0)
                        return r;
                /* (while polkit thought, another overlay may have been
                 * mounted over the path: not the one it was asked about) */
                if (!streq(mnt->mount_point, a->mounts[k])) {
                        a->n_done = i;
                        a->failure = FAILURE_GONE;
                        a->r = -ENOENT;
                        return 0;
                }
                /* (the mounts are opened in the order of their paths) */
                if (k == a->n_sources) {
                        r = state_source_open(mnt, &a->sources[k]);
                        if (r < 0) {
                                a->n_done = i;
                                a->r = r;
                                /* (unmounted meanwhile) */
                                a->failure = r == -ENOENT ? FAILURE_GONE :
                                             r == -EOPNOTSUPP ? FAILURE_UNREADABLE : FAILURE_ERRNO;
                                return 0;
                        }
                        a->n_sources++;
                }
        }
        return 0;
}

int state_answer_reserve(Manager *m, size_t n, uid_t uid) {
        if (n <= STATE_INLINE_MAX || uid == 0)
                return 0;
        if (m->n_state_workers >= STATE_WORKERS_MAX)
                return -EBUSY;
        m->n_state_workers++;
        return 1;
}

void state_answer_release(Manager *m) {
        m->n_state_workers--;
}

void state_answer(Manager *m, sd_bus_message *message, const char **paths, size_t n, char **mounts,
                  size_t *which, bool reserved) {
        _cleanup_(answer_freep) StateAnswer *a = calloc(1, sizeof(*a));
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        if (!a) {
                free(paths), strv_free(mounts), free(which);
                if (reserved)
                        state_answer_release(m);
                (void) sd_bus_reply_method_errno(message, -ENOMEM, NULL);
                return;
        }
        *a = (StateAnswer) { .manager = m, .message = sd_bus_message_ref(message), .paths = paths,
                             .mounts = mounts, .which = which, .n = n, .reserved = reserved };
        /* A caller is told the state of a name only if it could stat it
         * itself (caller-access.h). */
        r = caller_creds_get(message, &a->caller);
        if (r == -ENODATA) {
                (void) sd_bus_reply_method_errorf(message, SD_BUS_ERROR_ACCESS_DENIED,
                                                  "Cannot inspect: your process's credentials cannot be "
                                                  "read, so what you may see cannot be checked.");
                return;
        }
        a->has_caller = r >= 0;
        if (r >= 0)
                r = answer_prepare(a, &error);
        if (r < 0) {
                (void) (sd_bus_error_is_set(&error) ? sd_bus_reply_method_error(message, &error)
                                                    : sd_bus_reply_method_errno(message, r, NULL));
                return;
        }
        /* (an exiting daemon answers before it goes: no worker is waited for) */
        if (a->r < 0 || a->n <= STATE_INLINE_MAX || m->exiting) {
                if (a->r >= 0)
                        answer_read(a);
                (void) answer_reply(a);
                return;
        }
        a->task = (Task) { .run = answer_task_run, .done = answer_task_done, .posted = answer_task_posted };
        r = bus_reply_array_new(message, "(ssasu)", &a->reply);
        if (r >= 0)
                r = worker_pool_submit(m->workers, &a->task);
        if (r < 0) {
                (void) sd_bus_reply_method_errno(message, r, NULL);
                return;
        }
        a->worker = true;
        manager_busy_ref(m);
        TAKE_PTR(a);    /* answer_task_done() frees it */
}
