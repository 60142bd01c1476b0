/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.calculinux.OverlayRestore1.Manager */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "bus-path.h"
#include "bus-util.h"
#include "caller-access.h"
#include "job.h"
#include "mount.h"
#include "pending-dbus.h"
#include "polkit.h"
#include "restore-request.h"
#include "state.h"
#include "state-answer.h"
#include "strv.h"

static int property_get_version(sd_bus *bus, const char *path, const char *interface,
                                const char *property, sd_bus_message *reply, void *userdata,
                                sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", PROJECT_VERSION);
}

static int property_get_kernel_interface(sd_bus *bus, const char *path, const char *interface,
                                         const char *property, sd_bus_message *reply,
                                         void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "s", m->kernel_ioctl ? "ioctl" : "none");
}

static int property_get_kernel_modes(sd_bus *bus, const char *path, const char *interface,
                                     const char *property, sd_bus_message *reply,
                                     void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        int r = sd_bus_message_open_container(reply, 'a', "s");

        for (RestoreMode mode = RESTORE_MODE_WHITEOUT; r >= 0 && mode <= RESTORE_MODE_DISCARD; mode++)
                if (manager_ioctl_can(m, mode))
                        r = sd_bus_message_append(reply, "s", restore_mode_to_string(mode));
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

static int property_get_default_method(sd_bus *bus, const char *path, const char *interface,
                                       const char *property, sd_bus_message *reply,
                                       void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "s", m->kernel_ioctl ? "ioctl" : "remount");
}

static int method_list_mounts(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        sd_bus_message *reply = NULL;
        int r;

        r = bus_reply_array_new(message, "(so)", &reply);
        if (r < 0)
                return r;
        LIST_FOREACH(mounts, i, m->mounts)
                if (r >= 0 && i->present) {
                        r = sd_bus_message_open_container(reply, 'r', "so");
                        if (r >= 0)
                                r = bus_append_path(reply, i->mount_point);
                        if (r >= 0)
                                r = sd_bus_message_append(reply, "o", i->object_path);
                        if (r >= 0)
                                r = sd_bus_message_close_container(reply);
                }
        return bus_reply_array_send(reply, r);
}

static int method_get_mount_for_path(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        OvlMount *mnt;
        const char *path;
        int r;

        r = sd_bus_message_read(message, "s", &path);
        if (r < 0)
                return r;
        r = resolve_caller_path(m, path, true, &mnt, NULL, error);
        if (r < 0)
                return r;
        _cleanup_free_ char *mp = bus_path_encode(mnt->mount_point);
        if (!mp)
                return -ENOMEM;
        return sd_bus_reply_method_return(message, "so", mp, mnt->object_path);
}

typedef struct StateQuery {
        Manager *manager;
        bool reserved;          /* a place for a large GetState (state-answer.h) */
        sd_bus_message *message;        /* the call: it holds the strings of @paths */
        const char **paths;
        size_t n_paths;
        char **mounts;          /* the overlays polkit was asked about... */
        size_t *which;          /* ...paths[i]'s is mounts[which[i]] */
} StateQuery;

static void state_query_free(StateQuery *q) {
        if (q->reserved)
                state_answer_release(q->manager);
        sd_bus_message_unref(q->message);
        free(q->paths);
        strv_free(q->mounts);
        free(q->which);
        free(q);
}

static int on_state_authorized(sd_bus_message *message, void *userdata, int r, sd_bus_error *error) {
        StateQuery *q = userdata;

        if (r > 0) {
                state_answer(q->manager, message, TAKE_PTR(q->paths), q->n_paths, TAKE_PTR(q->mounts),
                             TAKE_PTR(q->which), q->reserved);
                q->reserved = false;
        } else
                (void) sd_bus_reply_method_error(message, error);
        state_query_free(q);
        return 0;
}

/* The details of question @k: overlay @mount_point and the @paths on it
 * (@which[i] == @k), in their order. */
static int state_details(const char * const *paths, const size_t *which, size_t k, const char *mount_point,
                         char ***ret) {
        const char *shown[POLKIT_PATHS_SHOWN + 1];
        _cleanup_free_ char *joined = NULL;
        size_t n_mine = 0;
        char n[24];

        for (size_t i = 0; paths[i]; i++)
                if (which[i] == k) {
                        if (n_mine < POLKIT_PATHS_SHOWN)
                                shown[n_mine] = paths[i];
                        n_mine++;
                }
        shown[n_mine < POLKIT_PATHS_SHOWN ? n_mine : POLKIT_PATHS_SHOWN] = NULL;
        joined = polkit_join_paths(shown, n_mine);
        if (!joined)
                return -ENOMEM;
        snprintf(n, sizeof n, "%zu", n_mine);
        const char *d[] = { "paths", joined, "n_paths", n, "mount_point", mount_point, NULL };
        *ret = strv_copy((char **) d);
        return *ret ? 0 : -ENOMEM;
}

static int method_get_state(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_free_ const char **paths = NULL;
        _cleanup_strv_free_ char **mounts = NULL;
        _cleanup_free_ size_t *which = NULL;
        char ***details = NULL;
        bool reserved;
        size_t n = 0, n_paths, held = POLKIT_HELD_PER_REQUEST;
        StateQuery *q;
        uid_t uid;
        int r;

        /* (the strings stay the message's: polkit's question and the
         * answer hold a reference to it) */
        r = bus_read_strings(message, m->max_paths, &paths, &n_paths);
        if (r == -E2BIG)
                return sd_bus_error_setf(error, ERROR_LIMIT_EXCEEDED,
                                         "Too many paths in one call (%u at most).", m->max_paths);
        if (r < 0)
                return r;
        if (!paths[0])          /* nothing to ask about, nothing revealed */
                return sd_bus_reply_method_return(message, "a(ssasu)", 0);
        {
                size_t reply_bytes = 0;

                for (size_t i = 0; paths[i]; i++)
                        reply_bytes += BUS_STATE_ENTRY_BYTES(strlen(paths[i]));
                if (reply_bytes > BUS_REPLY_BYTES_MAX)
                        return sd_bus_error_setf(error, ERROR_LIMIT_EXCEEDED,
                                                 "The answer to %zu paths could be larger than the system bus "
                                                 "carries in one message (%u MiB): ask for fewer at a time.",
                                                 n_paths, BUS_REPLY_BYTES_MAX >> 20);
        }
        /* (what the call holds while polkit answers, polkit.h: its message,
         * and a pointer and an index per path; a caller at its limit is
         * refused before anything else; root's is not counted) */
        r = bus_message_get_uid(message, &uid);
        if (r >= 0 && polkit_room(m, uid) != SIZE_MAX) {
                for (size_t i = 0; paths[i]; i++)
                        held += POLKIT_HELD_IN_MESSAGE(strlen(paths[i])) + POLKIT_HELD_INDEXED;
                r = polkit_may_wait(m, uid, held, error);
        }
        if (r < 0)
                return r;
        /* Validate before asking anyone anything, noting each path's
         * overlay: polkit is asked once per overlay, with its mount point
         * and its paths, as for Restore. */
        which = calloc(n_paths, sizeof(size_t));
        mounts = strv_new0();
        if (!which || !mounts)
                return -ENOMEM;
        for (size_t i = 0; paths[i]; i++) {
                OvlMount *mnt;
                size_t k = 0;

                /* (may rescan the mount table: keep copies, not mnt's) */
                r = resolve_caller_path(m, paths[i], false, &mnt, NULL, error);
                if (r < 0)
                        return r;
                while (mounts[k] && !streq(mounts[k], mnt->mount_point))
                        k++;
                if (!mounts[k] && strv_push(&mounts, mnt->mount_point) < 0)
                        return -ENOMEM;
                which[i] = k;
        }

        /* (a large call's place is taken before polkit is asked: no
         * password is asked for to be refused after) */
        r = state_answer_reserve(m, n_paths, uid);
        if (r == -EBUSY)
                return sd_bus_error_setf(error, ERROR_LIMIT_EXCEEDED,
                                         "%u GetState calls of more than %u paths are being answered: call "
                                         "again when one has been.", STATE_WORKERS_MAX, STATE_INLINE_MAX);
        if (r < 0)
                return r;
        reserved = r > 0;
        q = calloc(1, sizeof(*q));
        details = calloc(strv_length(mounts), sizeof(char **));
        r = q && details ? 0 : -ENOMEM;
        for (; r >= 0 && mounts[n]; n++)
                r = state_details(paths, which, n, mounts[n], &details[n]);
        if (r < 0 && reserved)
                state_answer_release(m);
        if (r >= 0) {
                *q = (StateQuery) { .manager = m, .reserved = reserved, .message = sd_bus_message_ref(message),
                                    .paths = TAKE_PTR(paths), .n_paths = n_paths, .mounts = TAKE_PTR(mounts),
                                    .which = TAKE_PTR(which) };
                r = polkit_check_each(m, message, ACTION_INSPECT, (char * const * const *) details, n, held,
                                      on_state_authorized, q);
                if (r < 0)
                        state_query_free(q);
        } else
                free(q);
        for (size_t i = 0; details && i < n; i++)
                strv_free(details[i]);
        free(details);
        return r < 0 ? r : 1;
}

static int method_restore(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        return restore_request_handle(userdata, NULL, message, error);
}

static int method_list_jobs(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        sd_bus_message *reply = NULL;
        int r;

        r = bus_reply_array_new(message, "(ussso)", &reply);
        if (r < 0)
                return r;
        LIST_FOREACH(jobs, j, m->jobs)
                if (r >= 0) {
                        _cleanup_free_ char *mp = bus_path_encode(j->mount_point);

                        r = mp ? sd_bus_message_append(reply, "(ussso)", j->id, "restore", mp,
                                                       job_state_to_string(j->state), j->object_path)
                               : -ENOMEM;
                }
        return bus_reply_array_send(reply, r);
}

const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", property_get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("KernelInterface", "s", property_get_kernel_interface, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("DefaultMethod", "s", property_get_default_method, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("KernelModes", "as", property_get_kernel_modes, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_ARGS("ListMounts", SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("a(so)", mounts), method_list_mounts, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetMountForPath", SD_BUS_ARGS("s", path),
                                SD_BUS_RESULT("s", mount_point, "o", mount), method_get_mount_for_path, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetState", SD_BUS_ARGS("as", paths),
                                SD_BUS_RESULT("a(ssasu)", states), method_get_state, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Restore", SD_BUS_ARGS("as", paths, "a{sv}", options),
                                SD_BUS_RESULT("ao", jobs), method_restore, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListJobs", SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("a(ussso)", jobs), method_list_jobs, SD_BUS_VTABLE_UNPRIVILEGED),
        PENDING_VTABLE_METHODS,
        SD_BUS_SIGNAL_WITH_ARGS("JobNew", SD_BUS_ARGS("u", id, "o", job, "s", mount_point), 0),
        SD_BUS_SIGNAL_WITH_ARGS("JobRemoved", SD_BUS_ARGS("u", id, "o", job, "s", result), 0),
        SD_BUS_VTABLE_END,
};
