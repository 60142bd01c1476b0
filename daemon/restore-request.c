/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-path.h"
#include "bus-util.h"
#include "job.h"
#include "log.h"
#include "mount.h"
#include "paths-fd.h"
#include "path-util.h"
#include "polkit.h"
#include "restore-options.h"
#include "restore-request.h"
#include "state.h"
#include "strv.h"

typedef struct Group {
        OvlMount *mount;        /* a reference */
        PathList paths;         /* relative to its mount point: the job takes them */
} Group;

typedef struct Request {
        Manager *manager;
        bool single;
        RestoreOptions options;
        uid_t uid;
        Group *groups;
        size_t n_groups;
} Request;

static void request_free(Request *q) {
        for (size_t i = 0; i < q->n_groups; i++) {
                ovl_mount_unref(q->groups[i].mount);
                path_list_done(&q->groups[i].paths);
        }
        free(q->groups);
        free(q);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(Request *, request_free);

/* @raw: the caller's path decoded, on @mnt. */
static int group_add(Request *q, OvlMount *mnt, const char *raw) {
        const char *rel = path_below(raw, mnt->mount_point);
        Group *g = NULL, *n;
        int64_t r;

        for (size_t i = 0; i < q->n_groups; i++)
                if (q->groups[i].mount == mnt)
                        g = &q->groups[i];
        if (!g) {
                n = realloc(q->groups, sizeof(Group) * (q->n_groups + 1));
                if (!n)
                        return -ENOMEM;
                q->groups = n;
                g = &n[q->n_groups++];
                g->mount = ovl_mount_ref(mnt);
                g->paths = (PathList) {};
        }
        if (!rel)
                return -EINVAL;         /* (resolve_caller_path() said it is) */
        r = path_list_add(&g->paths, rel, strlen(rel));
        return r < 0 ? (int) r : 0;
}

static int check_supported(Manager *m, OvlMount *mnt, const RestoreOptions *o, sd_bus_error *error) {
        if (mnt->options_unreadable)
                return sd_bus_error_setf(error, ERROR_UNSUPPORTED,
                                         "The options of the overlay at %s hold %s: its layers cannot be "
                                         "told, and nothing is done on it.", mnt->mount_point,
                                         OPTIONS_UNREADABLE_WHAT);
        if (!mnt->upper_dir)
                return sd_bus_error_setf(error, ERROR_UNSUPPORTED,
                                         "The overlay at %s has no upper layer: nothing is hidden there.",
                                         mnt->mount_point);
        if (o->method == RESTORE_METHOD_IOCTL && !m->kernel_ioctl)
                return sd_bus_error_setf(error, ERROR_UNSUPPORTED,
                                         "The running kernel lacks the overlayfs restore ioctls "
                                         "(KernelInterface=none). Use method 'auto' or 'remount'.");
        /* The kernel removes whiteouts, and upper copies and opaque marks
         * where it has their flags (KernelModes); otherwise the remount
         * method does (auto takes that then). */
        if (o->method == RESTORE_METHOD_IOCTL && !manager_ioctl_can(m, o->mode))
                return sd_bus_error_setf(error, ERROR_UNSUPPORTED,
                                         "Mode '%s' needs method 'remount' or 'auto': the running kernel's "
                                         "restore ioctl lacks it (see KernelModes).",
                                         restore_mode_to_string(o->mode));
        if (o->mode == RESTORE_MODE_OPAQUE && o->recursive)
                return sd_bus_error_setf(error, ERROR_UNSUPPORTED,
                                         "Option 'recursive' goes with modes 'whiteout' and 'discard' only.");
        if (mnt->n_queued >= m->max_queued_per_mount)
                return sd_bus_error_setf(error, ERROR_LIMIT_EXCEEDED,
                                         "Too many jobs queued on %s (%u). Wait for some to finish.",
                                         mnt->mount_point, m->max_queued_per_mount);
        return 0;
}

/* Room for the request's jobs among those queued and running: their
 * number, and what their paths hold. */
static int check_room(Request *q, sd_bus_error *error) {
        Manager *m = q->manager;
        size_t bytes = 0;

        if (manager_active_jobs(m) + q->n_groups > m->max_jobs)
                return sd_bus_error_setf(error, ERROR_LIMIT_EXCEEDED,
                                         "Too many jobs (%u at most). Wait for some to finish.", m->max_jobs);
        for (size_t i = 0; i < q->n_groups; i++)
                bytes += job_paths_bytes(&q->groups[i].paths);
        if (manager_active_bytes(m) + bytes > m->max_active_bytes)
                return sd_bus_error_setf(error, ERROR_LIMIT_EXCEEDED,
                                         "The jobs queued and running would hold more than %zu MiB of paths. "
                                         "Wait for some to finish, or pass fewer paths at a time.",
                                         m->max_active_bytes >> 20);
        return 0;
}

static int create_jobs(Request *q, sd_bus_message *message) {
        Manager *m = q->manager;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        if (m->exiting) {
                sd_bus_error_setf(&error, ERROR_SHUTTING_DOWN,
                                  "ovl-restored is exiting and takes no new jobs: call again.");
                return sd_bus_reply_method_error(message, &error);
        }
        /* Limits again: things may have changed while polkit thought. */
        if (check_room(q, &error) < 0)
                return sd_bus_reply_method_error(message, &error);
        for (size_t i = 0; i < q->n_groups; i++) {
                OvlMount *mnt = q->groups[i].mount;

                if (!mnt->present)
                        sd_bus_error_setf(&error, ERROR_NO_SUCH_MOUNT, "The overlay at %s went away.",
                                          mnt->mount_point);
                else if (mnt->n_queued >= m->max_queued_per_mount)
                        sd_bus_error_setf(&error, ERROR_LIMIT_EXCEEDED,
                                          "Too many jobs queued on %s (%u). Wait for some to finish.",
                                          mnt->mount_point, m->max_queued_per_mount);
                else
                        continue;
                return sd_bus_reply_method_error(message, &error);
        }

        r = sd_bus_message_new_method_return(message, &reply);
        if (r < 0)
                return r;
        if (!q->single) {
                r = sd_bus_message_open_container(reply, 'a', "o");
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < q->n_groups; i++) {
                sd_bus *b;
                Job *j;

                r = job_new(m, q->groups[i].mount, &q->groups[i].paths, &q->options, q->uid, &j);
                if (r < 0)
                        return r;
                MANAGER_FOREACH_BUS(b, m)
                        (void) sd_bus_emit_object_added(b, j->object_path);
                r = sd_bus_message_append(reply, "o", j->object_path);
                if (r < 0)
                        return r;
                job_enqueue(j);
        }
        if (!q->single) {
                r = sd_bus_message_close_container(reply);
                if (r < 0)
                        return r;
        }
        return sd_bus_send(NULL, reply, NULL);
}

static int on_authorized(sd_bus_message *message, void *userdata, int r, sd_bus_error *error) {
        Request *q = userdata;

        /* Always 0: @q is gone once this returns, whatever happened. */
        if (r > 0)
                r = create_jobs(q, message);
        else
                r = sd_bus_reply_method_error(message, error);
        if (r < 0)
                (void) sd_bus_reply_method_errno(message, r, NULL);
        request_free(q);
        return 0;
}

static const char *group_path(const void *userdata, size_t i) {
        return path_list_get(&((const Group *) userdata)->paths, i);
}

/* The "paths" detail of @g: the first ones as the caller gave them. */
static char *group_join_paths(const Group *g) {
        return polkit_paths_below(g->mount->mount_point, group_path, g, g->paths.n);
}

static void strv_array_free(char ***a) {
        for (char ***l = a; l && *l; l++)
                strv_free(*l);
        free(a);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(char ***, strv_array_free);

/* One question per overlay, each with that overlay's details only. */
static int ask(Request *q, sd_bus_message *message, size_t held) {
        const char *action = q->options.mode == RESTORE_MODE_DISCARD ? ACTION_DISCARD : ACTION_RESTORE;
        size_t n = q->n_groups;         /* (@q may be gone when polkit_check_each() returns) */
        /* (both NULL-terminated, filled in order) */
        _cleanup_(strv_array_freep) char ***details = calloc(n + 1, sizeof(char **));
        _cleanup_strv_free_ char **joined = calloc(n + 1, sizeof(char *));

        if (!details || !joined)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                Group *g = &q->groups[i];
                const char *d[] = {
                        "mount_point", g->mount->mount_point,
                        "upper_dir", g->mount->upper_dir ?: "",
                        "mode", restore_mode_to_string(q->options.mode),
                        "paths", joined[i] = group_join_paths(g),
                        "n_paths", NULL,
                        "recursive", q->options.recursive ? "true" : "false",
                        NULL,
                };
                char count[24];

                if (!joined[i])
                        return -ENOMEM;
                snprintf(count, sizeof count, "%zu", g->paths.n);
                d[9] = count;
                details[i] = strv_copy((char **) d);
                if (!details[i])
                        return -ENOMEM;
        }
        return polkit_check_each(q->manager, message, action, (char * const * const *) details, n, held,
                                 on_authorized, q);
}

/* What reading a call's paths needs to know, and what it found. */
typedef struct Reading {
        Request *q;
        OvlMount *only;
        unsigned n;             /* paths so far */
        unsigned n_fd;          /* of them, from the paths-fd */
        size_t held, room;      /* bytes held while polkit answers, and how many may be (polkit.h) */
        char *mount_point;      /* the first path that is one */
        sd_bus_error *error;
} Reading;

/* One path of the call, straight into its overlay's group (the job's one
 * copy of it). */
static int read_path(const char *p, void *userdata) {
        Reading *d = userdata;
        Manager *m = d->q->manager;
        _cleanup_free_ char *raw = NULL;
        OvlMount *mnt;
        size_t len;
        int r;

        if (++d->n > m->max_paths)
                return sd_bus_error_setf(d->error, ERROR_LIMIT_EXCEEDED,
                                         "Too many paths in one call (%u at most): split the request.",
                                         m->max_paths);
        /* (the copy, and the message's string if it is one: polkit.h) */
        len = strlen(p);
        d->held += len + 1 + POLKIT_HELD_INDEXED + (d->n_fd > 0 ? 0 : POLKIT_HELD_IN_MESSAGE(len));
        if (d->held > d->room)
                return polkit_room_exceeded(m, d->held, d->error);
        r = resolve_caller_path(m, p, true, &mnt, &raw, d->error);
        if (r < 0)
                return r;
        if (d->only && mnt != d->only)
                return sd_bus_error_setf(d->error, ERROR_INVALID_PATH, "%s is not on the overlay at %s.", p,
                                         d->only->mount_point);
        if (!d->mount_point && streq(mnt->mount_point, raw ?: p) && !(d->mount_point = strdup(p)))
                return -ENOMEM;
        return group_add(d->q, mnt, raw ?: p);
}

/* A path of the paths-fd: what sd-bus checks in a string of a message,
 * then as one of the message; an error says which path of the file it
 * was. */
static int read_fd_path(const char *p, void *userdata) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        Reading *d = userdata;
        int r;

        d->n_fd++;
        if (!utf8_valid(p))
                return sd_bus_error_setf(d->error, ERROR_INVALID_PATH,
                                         "Path %u of paths-fd is not UTF-8: write such bytes as \\xNN.",
                                         d->n_fd);
        r = read_path(p, userdata);
        /* (a limit of the whole request names no path) */
        if (r >= 0 || !sd_bus_error_is_set(d->error) || sd_bus_error_has_name(d->error, ERROR_LIMIT_EXCEEDED))
                return r;
        sd_bus_error_move(&e, d->error);
        return sd_bus_error_setf(d->error, e.name, "Path %u of paths-fd: %s", d->n_fd, e.message);
}

static int read_paths_fd(Reading *d, int fd) {
        int r = paths_fd_read(fd, read_fd_path, d);

        if (r >= 0 || r == -ENOMEM || sd_bus_error_is_set(d->error))
                return r;
        switch (r) {
        case -EBADFD:
                return sd_bus_error_setf(d->error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Restore option 'paths-fd' takes a memfd (or a regular file on "
                                         "tmpfs) open for reading.");
        case -EBADMSG:
                return sd_bus_error_setf(d->error, ERROR_INVALID_PATH,
                                         "Path %u of paths-fd is empty: end each path with one NUL.",
                                         d->n_fd + 1);
        case -ENAMETOOLONG:
                return sd_bus_error_setf(d->error, ERROR_INVALID_PATH,
                                         "Path %u of paths-fd is too long, or not ended by a NUL.", d->n_fd + 1);
        case -EFBIG:
                return sd_bus_error_setf(d->error, ERROR_LIMIT_EXCEEDED,
                                         "paths-fd holds more than %u MiB of paths: split the request.",
                                         PATHS_FD_MAX / 1024 / 1024);
        default:
                return sd_bus_error_set_errnof(d->error, r, "Cannot read paths-fd: %m");
        }
}

static void reading_done(Reading *d) {
        free(d->mount_point);
}

int restore_request_handle(Manager *m, OvlMount *only, sd_bus_message *message, sd_bus_error *error) {
        /* (a rescan while the paths are resolved may drop it) */
        _cleanup_(ovl_mount_unrefp) OvlMount *hold = only ? ovl_mount_ref(only) : NULL;
        _cleanup_(request_freep) Request *q = NULL;
        _cleanup_(reading_done) Reading d = { .only = only, .error = error };
        const char *p;
        int r, paths_fd;

        if (m->exiting)
                return sd_bus_error_setf(error, ERROR_SHUTTING_DOWN,
                                         "ovl-restored is exiting and takes no new jobs: call again.");
        q = calloc(1, sizeof(*q));
        if (!q)
                return -ENOMEM;
        q->manager = m;
        q->single = only != NULL;
        d.q = q;

        /* One pass over the paths, each read from the message in place:
         * sd-bus checks a string each time it is read, so a second pass
         * would cost a third of a large call.  The options come after the
         * paths: a mount point is taken here, and refused below unless they
         * allow it.  Then the paths of the paths-fd, if given. */
        r = bus_message_get_uid(message, &q->uid);
        if (r < 0)
                return r;
        /* (a caller with as many requests waiting for polkit as it may have
         * gets its answer before its paths are read) */
        d.held = POLKIT_HELD_PER_REQUEST;
        r = polkit_may_wait(m, q->uid, d.held, error);
        if (r < 0)
                return r;
        d.room = polkit_room(m, q->uid);

        r = sd_bus_message_enter_container(message, 'a', "s");
        /* (read_basic(): sd_bus_message_read() parses its signature each
         * time, a fifth of the reading) */
        while (r >= 0 && (r = sd_bus_message_read_basic(message, 's', &p)) > 0)
                r = read_path(p, &d);
        if (r >= 0)
                r = sd_bus_message_exit_container(message);
        if (r >= 0)
                r = restore_options_read(message, &q->options, &paths_fd, error);
        if (r >= 0 && paths_fd >= 0)
                r = read_paths_fd(&d, paths_fd);
        if (r < 0)
                return r;
        if (d.n == 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "No paths given.");
        /* (a recursive job may name the mount point: everything in the
         * overlay) */
        if (d.mount_point && !(q->options.recursive && q->options.mode != RESTORE_MODE_OPAQUE))
                return sd_bus_error_setf(error, ERROR_INVALID_PATH,
                                         "%s is the overlay's mount point, not an entry in it.", d.mount_point);
        for (size_t i = 0; i < q->n_groups; i++) {
                r = check_supported(m, q->groups[i].mount, &q->options, error);
                if (r < 0)
                        return r;
        }
        r = check_room(q, error);
        if (r < 0)
                return r;

        r = ask(q, message, d.held);
        if (r < 0)
                return r;
        TAKE_PTR(q);    /* on_authorized() frees it */
        return 1;       /* the reply comes later */
}
