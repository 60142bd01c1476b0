/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.calculinux.OverlayRestore1.Mount */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus-options.h"
#include "bus-path.h"
#include "bus-util.h"
#include "job.h"
#include "mount.h"
#include "path-util.h"
#include "polkit.h"
#include "restore-request.h"
#include "scan-output.h"
#include "state.h"
#include "worker-pool.h"
#include "strv.h"
#include "test-hooks.h"

#define SCAN_MAX 100000
/* Scans at once, over all callers but root, and root's apart: each walks
 * a subtree in a thread of its own and, with "compare", reads files. */
#define SCANS_MAX 4
#define ROOT_SCANS_MAX 16

static int property_get_method(sd_bus *bus, const char *path, const char *interface,
                               const char *property, sd_bus_message *reply, void *userdata,
                               sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", ovl_mount_method(userdata));
}

static int property_get_lower_dirs(sd_bus *bus, const char *path, const char *interface,
                                   const char *property, sd_bus_message *reply, void *userdata,
                                   sd_bus_error *error) {
        OvlMount *mnt = userdata;
        int r = sd_bus_message_open_container(reply, 'a', "s");

        for (char **l = mnt->lower_dirs; r >= 0 && l && *l; l++)
                r = bus_append_path(reply, *l);
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

static int property_get_active_job(sd_bus *bus, const char *path, const char *interface,
                                   const char *property, sd_bus_message *reply, void *userdata,
                                   sd_bus_error *error) {
        OvlMount *mnt = userdata;
        return sd_bus_message_append(reply, "o", mnt->active_job ? mnt->active_job->object_path : "/");
}

static int method_restore(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        OvlMount *mnt = userdata;
        return restore_request_handle(mnt->manager, mnt, message, error);
}

/* Scan walks a whole subtree: it runs on a worker (worker-pool.h), on the
 * mount's layers opened for it on the event loop.  What the walk finds
 * goes into the reply (ScanByFileDescriptor: into its file,
 * scan-output.h) on the event loop as it is found, SCAN_BATCH entries at
 * a time, while the walk goes on: a large Scan's reply is built beside
 * its walk, and the event loop is never held for all of it at once. */
typedef struct ScanBatch {
        ScanResult found;
        struct ScanBatch *next;
} ScanBatch;

typedef struct ScanQuery {
        sd_bus_message *message;
        OvlMount *mnt;          /* a reference */
        char *path, *mount_point;
        char *raw_path;         /* the bytes @path stands for (bus-path.h) */
        Layers layers;
        CallerCreds caller;     /* what the caller could list itself is all it is told */
        bool busy;              /* counted as work in flight */
        unsigned *place;        /* the count of Scans it is one of (manager's), or NULL */
        bool compare;           /* option "compare" */
        ScanResult result;      /* the walk's, then what it left */
        int r;
        char *unreadable;       /* where the walk could not read on */
        pthread_mutex_t lock;   /* guards ready: the walk adds, the event loop takes */
        ScanBatch *ready, *ready_tail;
        sd_bus_message *reply;  /* (the event loop's) */
        int reply_r;            /* the first failure to build it, or to write the file */
        size_t reply_bytes;     /* what it may take, at most (BUS_STATE_ENTRY_BYTES) */
        bool to_file;           /* ScanByFileDescriptor: the entries go into @output, the reply is its fd */
        ScanOutput output;
        Task task;
} ScanQuery;

static void scan_batches_free(ScanBatch *b) {
        while (b) {
                ScanBatch *next = b->next;

                scan_result_done(&b->found);
                free(b);
                b = next;
        }
}

static void scan_query_free(ScanQuery *q) {
        if (q->place)
                (*q->place)--;
        if (q->busy)
                manager_busy_unref(q->mnt->manager);
        sd_bus_message_unref(q->message);
        sd_bus_message_unref(q->reply);
        scan_output_done(&q->output);
        scan_result_done(&q->result);
        scan_batches_free(q->ready);
        pthread_mutex_destroy(&q->lock);
        layers_close(&q->layers);
        caller_creds_done(&q->caller);
        ovl_mount_unref(q->mnt);
        free(q->path), free(q->mount_point), free(q->raw_path), free(q->unreadable);
        free(q);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(ScanQuery *, scan_query_free);

/* (on the walk's thread) */
static void scan_flush(ScanResult *found, void *userdata) {
        ScanQuery *q = userdata;
        ScanBatch *b = malloc(sizeof(*b));

        if (!b)
                return;         /* (it stays in @found, which grows on) */
        *b = (ScanBatch) { .found = *found };
        *found = (ScanResult) {};
        pthread_mutex_lock(&q->lock);
        if (q->ready_tail)
                q->ready_tail->next = b;
        else
                q->ready = b;
        q->ready_tail = b;
        pthread_mutex_unlock(&q->lock);
        worker_pool_post(&q->task);
}

static void scan_task_run(Task *t) {
        ScanQuery *q = container_of(t, ScanQuery, task);

        pause_point("scan-worker");
        q->r = state_scan(&q->layers, q->mount_point, q->raw_path, &q->caller, q->compare, SCAN_MAX,
                          scan_flush, q, &q->result, &q->unreadable);
}

/* -EMSGSIZE once the reply would pass BUS_REPLY_BYTES_MAX (the file's
 * too: its entries take no more than the reply's). */
static int scan_reply_append(ScanQuery *q, const ScanResult *found) {
        int r = 0;

        for (size_t i = 0; r >= 0 && i < found->n; i++) {
                const ScanEntry *en = &found->entries[i];
                _cleanup_free_ char *encoded = NULL;
                char full[PATH_MAX];
                ssize_t len;

                /* (names are bytes: bus-path.h; most need no escape, and
                 * no copy) */
                len = bus_path_below(full, sizeof full, q->mount_point, path_list_get(&found->paths, en->path),
                                     &encoded);
                if (len < 0) {
                        r = (int) len;
                        break;
                }
                q->reply_bytes += BUS_STATE_ENTRY_BYTES(len);
                if (q->reply_bytes > BUS_REPLY_BYTES_MAX)
                        return -EMSGSIZE;
                if (q->to_file)
                        r = scan_output_add(&q->output, encoded ?: full, (size_t) len, &en->state, en->diff);
                else
                        r = bus_append_scan_entry(q->reply, encoded ?: full, (size_t) len, &en->state,
                                                  en->diff);
        }
        return r;
}

/* What the walk has handed over so far, into the reply. */
static void scan_task_posted(Task *t) {
        ScanQuery *q = container_of(t, ScanQuery, task);
        ScanBatch *b;

        pthread_mutex_lock(&q->lock);
        b = q->ready;
        q->ready = q->ready_tail = NULL;
        pthread_mutex_unlock(&q->lock);
        for (ScanBatch *i = b; i && q->reply_r >= 0; i = i->next)
                q->reply_r = scan_reply_append(q, &i->found);
        scan_batches_free(b);
}

/* The walk could not read on in directory q->unreadable (relative to the
 * mount point) of the upper layer: its error, naming that directory (in
 * the bus form: names are bytes, bus-path.h). */
static void scan_reply_unreadable(ScanQuery *q) {
        _cleanup_free_ char *dir = NULL, *mp = bus_path_encode(q->mount_point);
        bool damaged = q->r == -EIO || q->r == -EBADMSG || q->r == -EUCLEAN;
        char full[PATH_MAX];
        int r = -ENOMEM;

        if (path_join_below(full, sizeof full, q->mount_point, q->unreadable) >= 0)
                dir = bus_path_encode(full);
        if (dir && mp)
                r = sd_bus_reply_method_errorf(q->message, SD_BUS_ERROR_IO_ERROR,
                                               "Cannot read the directory %s in the upper layer of the overlay "
                                               "at %s (%s): the Scan of %s cannot be complete.%s", dir, mp,
                                               strerror(-q->r), q->path,
                                               damaged ? " Its file system may need a check (fsck)." : "");
        if (r < 0)
                (void) sd_bus_reply_method_errno(q->message, q->r, NULL);
}

static void scan_task_done(Task *t) {
        ScanQuery *q = container_of(t, ScanQuery, task);
        sd_bus_error e = SD_BUS_ERROR_NULL;

        /* (first: a directory the walk had opened may still refuse its
         * reading, EACCES from a security module, which is no fault of
         * the caller's) */
        if (q->r < 0 && q->unreadable)
                scan_reply_unreadable(q);
        else if (q->r == -E2BIG || q->r == -ELOOP) {
                if (q->r == -E2BIG)
                        sd_bus_error_setf(&e, ERROR_LIMIT_EXCEEDED,
                                          "More than %u entries to report below %s: scan a subdirectory.",
                                          SCAN_MAX, q->path);
                else
                        sd_bus_error_setf(&e, ERROR_LIMIT_EXCEEDED,
                                          "Directories below %s are nested more than 256 deep: scan a "
                                          "subdirectory.", q->path);
                (void) sd_bus_reply_method_error(q->message, &e);
                sd_bus_error_free(&e);
        } else if (q->r == -EXDEV)
                (void) sd_bus_reply_method_errorf(q->message, ERROR_INVALID_PATH,
                                                  "%s: goes through a symbolic link or another mount inside "
                                                  "the overlay: name the path itself.", q->path);
        else if (q->r == -EACCES)
                (void) sd_bus_reply_method_errorf(q->message, SD_BUS_ERROR_ACCESS_DENIED,
                                                  "Cannot scan %s: you may not look up entries in its "
                                                  "directory yourself.", q->path);
        else if (q->r < 0)
                (void) sd_bus_reply_method_errno(q->message, q->r, NULL);
        else {
                int r = q->reply_r;

                if (r >= 0)
                        r = scan_reply_append(q, &q->result);
                if (q->to_file) {
                        if (r >= 0)
                                r = scan_output_finish(&q->output);
                        if (r >= 0)
                                r = sd_bus_reply_method_return(q->message, "h", q->output.fd);
                } else
                        r = bus_reply_array_send(TAKE_PTR(q->reply), r);
                if (r == -EMSGSIZE)
                        (void) sd_bus_reply_method_errorf(q->message, ERROR_LIMIT_EXCEEDED,
                                                          "What was found below %s is more than %s (%u MiB): "
                                                          "scan a subdirectory.", q->path,
                                                          q->to_file ? "a Scan's file may hold" :
                                                          "the system bus carries in one message",
                                                          BUS_REPLY_BYTES_MAX >> 20);
                else if (r < 0 && q->output.error < 0)
                        (void) sd_bus_reply_method_errnof(q->message, q->output.error,
                                                          "Cannot write or seal the file of the Scan's "
                                                          "entries: %m");
                else if (r < 0)
                        (void) sd_bus_reply_method_errno(q->message, r, NULL);
        }
        scan_query_free(q);
}

static int on_scan_authorized(sd_bus_message *message, void *userdata, int r, sd_bus_error *error) {
        _cleanup_(scan_query_freep) ScanQuery *q = userdata;

        if (r <= 0) {
                (void) sd_bus_reply_method_error(message, error);
                return 0;
        }
        if (!q->mnt->present) {
                (void) sd_bus_reply_method_errorf(message, ERROR_NO_SUCH_MOUNT,
                                                  "The overlay at %s was unmounted.", q->mount_point);
                return 0;
        }
        r = caller_creds_get(message, &q->caller);
        if (r == -ENODATA) {
                (void) sd_bus_reply_method_errorf(message, SD_BUS_ERROR_ACCESS_DENIED,
                                                  "Cannot scan: your process's credentials cannot be read, "
                                                  "so what you may see cannot be checked.");
                return 0;
        }
        if (r >= 0 && q->mnt->upper_dir)
                r = ovl_mount_open_layers(q->mnt, &q->layers);
        if (r >= 0)
                r = q->to_file ? scan_output_open(&q->output) : bus_reply_array_new(message, "(ssasu)", &q->reply);
        if (r >= 0) {
                q->task = (Task) { .run = scan_task_run, .done = scan_task_done, .posted = scan_task_posted };
                r = worker_pool_submit(q->mnt->manager->workers, &q->task);
        }
        if (r >= 0) {
                q->busy = true;
                manager_busy_ref(q->mnt->manager);
        }
        if (r < 0) {
                (void) sd_bus_reply_method_errno(message, r, NULL);
                return 0;
        }
        TAKE_PTR(q);    /* scan_task_done() frees it */
        return 0;
}

typedef struct ScanOptions {
        bool compare;
} ScanOptions;

static const BusOption scan_options[] = {
        BUS_OPTION_BOOL("compare", ScanOptions, compare),
};

/* Scan and ScanByFileDescriptor (@to_file), for the caller @uid. */
static int scan_start(sd_bus_message *message, OvlMount *mnt, uid_t uid, bool to_file, sd_bus_error *error) {
        OvlMount *found;
        const char *path;
        ScanOptions o = {};
        _cleanup_(scan_query_freep) ScanQuery *q = NULL;
        unsigned *place;
        int r;

        if (mnt->manager->exiting)
                return sd_bus_error_setf(error, ERROR_SHUTTING_DOWN,
                                         "ovl-restored is exiting and starts no Scan: call again.");
        r = sd_bus_message_read(message, "s", &path);
        if (r < 0)
                return r;
        r = bus_read_options(message, "Scan", scan_options, ELEMENTSOF(scan_options), &o, error);
        if (r < 0)
                return r;
        /* (looking the path up may catch up with the mount table, and let
         * go of the object the call came to: held until the answer) */
        _cleanup_(ovl_mount_unrefp) OvlMount *hold = ovl_mount_ref(mnt);
        r = resolve_caller_path(mnt->manager, path, true, &found, NULL, error);
        if (r < 0)
                return r;
        if (found != mnt)
                return sd_bus_error_setf(error, ERROR_INVALID_PATH, "%s is not on the overlay at %s.",
                                         path, mnt->mount_point);
        if (mnt->options_unreadable)
                return sd_bus_error_setf(error, ERROR_UNSUPPORTED,
                                         "The options of the overlay at %s hold %s: its layers cannot be "
                                         "told, so neither can what they hold.", mnt->mount_point,
                                         OPTIONS_UNREADABLE_WHAT);
        /* (a place is taken before polkit is asked, so that no password
         * is asked for to be refused after; root's Scans have places of
         * their own, so that callers waiting for polkit cannot keep root's
         * out) */
        place = uid == 0 ? &mnt->manager->n_root_scans : &mnt->manager->n_scans;
        if (*place >= (uid == 0 ? ROOT_SCANS_MAX : SCANS_MAX))
                return sd_bus_error_setf(error, ERROR_LIMIT_EXCEEDED,
                                         "%u Scans are running already: call again when one has "
                                         "answered.", *place);
        q = calloc(1, sizeof(*q));
        if (!q)
                return -ENOMEM;
        pthread_mutex_init(&q->lock, NULL);
        q->place = place;
        (*place)++;
        q->compare = o.compare;
        q->to_file = to_file;
        q->output = SCAN_OUTPUT_NULL;
        q->layers = (Layers) { .upper_fd = -1 };
        q->message = sd_bus_message_ref(message);
        q->mnt = ovl_mount_ref(mnt);
        q->path = strdup(path);
        q->mount_point = strdup(mnt->mount_point);
        if (!q->path || !q->mount_point || bus_path_decode(path, &q->raw_path) < 0)
                return -ENOMEM;

        char *details[] = {
                (char *) "mount_point", mnt->mount_point,
                (char *) "upper_dir", mnt->upper_dir ?: (char *) "",
                (char *) "paths", q->path,
                (char *) "n_paths", (char *) "1",
                (char *) "recursive", (char *) "true",  /* (all below it) */
                NULL,
        };
        r = polkit_check(mnt->manager, message, ACTION_INSPECT, details, on_scan_authorized, q);
        if (r < 0)
                return r;
        TAKE_PTR(q);    /* on_scan_authorized() frees it */
        return 1;
}

static int method_scan(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        uid_t uid;
        int r;

        r = bus_message_get_uid(message, &uid);
        if (r < 0)
                return r;
        return scan_start(message, userdata, uid, false, error);
}

static int method_scan_by_fd(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        uid_t uid;
        int r;

        if (test_without("ScanByFileDescriptor"))
                return sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_METHOD, "Unknown method "
                                         "ScanByFileDescriptor or interface " MOUNT_IFACE ".");
        /* (a peer of the private socket that did not ask for descriptors.
         * On the system bus this is our link to the bus daemon, which
         * takes them: a caller there that cannot is not known, and the
         * bus daemon does not deliver it the reply) */
        if (sd_bus_can_send(sd_bus_message_get_bus(message), SD_BUS_TYPE_UNIX_FD) <= 0)
                return sd_bus_error_set(error, SD_BUS_ERROR_NOT_SUPPORTED,
                                        "This connection cannot carry file descriptors: call Scan.");
        /* (the file's pages are charged to our cgroup for as long as the
         * caller keeps them, which no count of ours can follow: a pipe
         * spliced from the file keeps its pages past its last close) */
        r = bus_message_get_uid(message, &uid);
        if (r < 0)
                return r;
        if (uid != 0)
                return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED,
                                        "ScanByFileDescriptor is root's alone: its file's memory would be "
                                        "charged to ovl-restored, not to you. Call Scan.");
        return scan_start(message, userdata, uid, true, error);
}

const sd_bus_vtable mount_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("MountPoint", "s", bus_property_get_path, offsetof(OvlMount, mount_point),
                        SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("LowerDirs", "as", property_get_lower_dirs, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("UpperDir", "s", bus_property_get_path, offsetof(OvlMount, upper_dir),
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("WorkDir", "s", bus_property_get_path, offsetof(OvlMount, work_dir),
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Options", "s", bus_property_get_path, offsetof(OvlMount, options),
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("ReadOnly", "b", bus_property_get_bool, offsetof(OvlMount, read_only),
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Method", "s", property_get_method, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("QueuedJobs", "u", NULL, offsetof(OvlMount, n_queued), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("ActiveJob", "o", property_get_active_job, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_ARGS("Restore", SD_BUS_ARGS("as", paths, "a{sv}", options),
                                SD_BUS_RESULT("o", job), method_restore, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Scan", SD_BUS_ARGS("s", path, "a{sv}", options),
                                SD_BUS_RESULT("a(ssasu)", entries), method_scan, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ScanByFileDescriptor", SD_BUS_ARGS("s", path, "a{sv}", options),
                                SD_BUS_RESULT("h", entries), method_scan_by_fd, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

static const char *mount_step(const void *object, const void **next) {
        const OvlMount *mnt = object;

        *next = mnt->mounts_next;
        return mnt->present ? mnt->object_path : NULL;
}

int mount_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                      void **found, sd_bus_error *error) {
        return bus_list_find(((Manager *) userdata)->mounts, mount_step, path, found);
}

int mount_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes,
                          sd_bus_error *error) {
        return bus_list_nodes(((Manager *) userdata)->mounts, mount_step, nodes);
}
