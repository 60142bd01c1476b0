/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.calculinux.OverlayRestore1.Manager */
#include <errno.h>
#include <stdlib.h>

#include "bus-util.h"
#include "job.h"
#include "mount.h"
#include "pending-dbus.h"
#include "polkit.h"
#include "restore-request.h"
#include "state.h"
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
                if (r >= 0 && i->present)
                        r = sd_bus_message_append(reply, "(so)", i->mount_point, i->object_path);
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
        r = resolve_caller_path(m, path, true, &mnt, error);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(message, "so", mnt->mount_point, mnt->object_path);
}

static int reply_states(sd_bus_message *message, Manager *m, char **paths, sd_bus_error *error) {
        sd_bus_message *reply = NULL;
        int r;

        r = bus_reply_array_new(message, "(ssasu)", &reply);
        if (r < 0)
                return r;
        for (char **p = paths; r >= 0 && *p; p++) {
                OvlMount *mnt;
                OvlState st;

                r = resolve_caller_path(m, *p, false, &mnt, error);
                if (r < 0)
                        break;
                r = state_get(mnt, *p, &st);
                if (r == -ENOENT || r == -ENOTDIR) {
                        r = sd_bus_error_setf(error, ERROR_INVALID_PATH,
                                              "%s: the parent directory does not exist in the overlay.", *p);
                        break;
                }
                if (r < 0) {
                        r = sd_bus_error_set_errnof(error, -r, "%s: %m", *p);
                        break;
                }
                r = bus_append_state(reply, *p, &st);
        }
        return bus_reply_array_send(reply, r);
}

typedef struct StateQuery {
        Manager *manager;
        char **paths;
} StateQuery;

static int on_state_authorized(sd_bus_message *message, void *userdata, int r, sd_bus_error *error) {
        StateQuery *q = userdata;
        sd_bus_error e = SD_BUS_ERROR_NULL;

        if (r > 0) {
                r = reply_states(message, q->manager, q->paths, &e);
                if (r < 0)
                        (void) (sd_bus_error_is_set(&e) ? sd_bus_reply_method_error(message, &e)
                                                        : sd_bus_reply_method_errno(message, r, NULL));
                sd_bus_error_free(&e);
        } else
                (void) sd_bus_reply_method_error(message, error);
        strv_free(q->paths);
        free(q);
        return 0;
}

static int method_get_state(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_strv_free_ char **paths = NULL;
        StateQuery *q;
        int r;

        r = bus_read_strv(message, m->max_paths, &paths);
        if (r == -E2BIG)
                return sd_bus_error_setf(error, ERROR_LIMIT_EXCEEDED,
                                         "Too many paths in one call (%u at most).", m->max_paths);
        if (r < 0)
                return r;
        /* Validate before asking anyone anything; the mount point detail
         * is the overlay all paths are on, empty when they are on several. */
        _cleanup_free_ char *mount_point = NULL;
        bool several = false;
        for (char **p = paths; *p; p++) {
                OvlMount *mnt;

                /* (may rescan the mount table: keep a copy, not mnt's) */
                r = resolve_caller_path(m, *p, false, &mnt, error);
                if (r < 0)
                        return r;
                if (!mount_point) {
                        mount_point = strdup(mnt->mount_point);
                        if (!mount_point)
                                return -ENOMEM;
                } else if (!streq(mount_point, mnt->mount_point))
                        several = true;
        }
        _cleanup_free_ char *joined = polkit_join_paths(NULL, paths);
        if (!joined)
                return -ENOMEM;
        q = calloc(1, sizeof(*q));
        if (!q)
                return -ENOMEM;
        q->manager = m;
        q->paths = TAKE_PTR(paths);
        {
                char *details[] = { (char *) "paths", joined,
                                    (char *) "mount_point", several || !mount_point ? (char *) "" : mount_point,
                                    NULL };
                r = polkit_check(m, message, ACTION_INSPECT, details, on_state_authorized, q);
        }
        if (r < 0) {
                strv_free(q->paths);
                free(q);
                return r;
        }
        return 1;
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
                if (r >= 0)
                        r = sd_bus_message_append(reply, "(ussso)", j->id, "restore", j->mount_point,
                                                  job_state_to_string(j->state), j->object_path);
        return bus_reply_array_send(reply, r);
}

const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", property_get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("KernelInterface", "s", property_get_kernel_interface, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("DefaultMethod", "s", property_get_default_method, 0,
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
