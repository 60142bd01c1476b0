/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Manager.ListPending and Manager.CancelPending. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-path.h"
#include "bus-util.h"
#include "log.h"
#include "manager.h"
#include "pending-dbus.h"
#include "pending-store.h"
#include "polkit.h"
#include "strv.h"

typedef struct PendingReply {
        sd_bus_message *reply;
        size_t bytes;           /* an upper bound of its size */
} PendingReply;

static int append_pending(const char *id, const PendingEntry *e, void *userdata) {
        PendingReply *pr = userdata;
        /* (names are bytes: bus-path.h) */
        _cleanup_free_ char *mp = bus_path_encode(e->mount_point), *up = bus_path_encode(e->upper_dir);
        int r;

        if (!mp || !up)
                return -ENOMEM;
        /* (each string: its length, its NUL, padding; the struct's
         * alignment and the array's length) */
        pr->bytes += strlen(mp) + strlen(up) + strlen(id) + strlen(e->mode) + 64;
        r = sd_bus_message_open_container(pr->reply, 'r', "ssssas");
        if (r >= 0)
                r = sd_bus_message_append(pr->reply, "ssss", id, mp, up, e->mode);
        if (r >= 0)
                r = sd_bus_message_open_container(pr->reply, 'a', "s");
        /* (an entry's path is never "", the mount point itself, and it and
         * the mount point are each below PATH_MAX: pending.c checks them
         * as it reads an entry, so their join fits twice that) */
        for (char **p = e->paths; r >= 0 && *p; p++) {
                _cleanup_free_ char *encoded = NULL;
                char full[2 * PATH_MAX];
                ssize_t len = bus_path_below(full, sizeof full, e->mount_point, *p, &encoded);

                if (len < 0)
                        r = (int) len;
                else if ((pr->bytes += (size_t) len + 8) > BUS_REPLY_BYTES_MAX)
                        r = -EMSGSIZE;
                else
                        r = bus_append_checked_string(pr->reply, encoded ?: full, (size_t) len);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(pr->reply);
        if (r >= 0)
                r = sd_bus_message_close_container(pr->reply);
        return r;
}

static int reply_pending(sd_bus_message *message, Manager *m) {
        PendingReply pr = {};
        int r;

        r = bus_reply_array_new(message, "(ssssas)", &pr.reply);
        /* (one entry at a time, none read past the bound) */
        if (r >= 0)
                r = pending_store_foreach(m->state_dir, append_pending, &pr);
        if (pr.reply)
                r = bus_reply_array_send(pr.reply, r);
        /* (always a reply: polkit_check() does not look at what this returns) */
        if (r == -EMSGSIZE)
                (void) sd_bus_reply_method_errorf(message, ERROR_LIMIT_EXCEEDED,
                                                  "The deferred restores are more than the system bus carries in "
                                                  "one message (%u MiB): each is a file of %s/pending, named by "
                                                  "its id, to cancel with CancelPending.",
                                                  BUS_REPLY_BYTES_MAX >> 20, m->state_dir);
        else if (r < 0)
                (void) sd_bus_reply_method_errnof(message, -r, "Cannot read the pending restores: %m");
        return 0;
}

static int on_list_authorized(sd_bus_message *message, void *userdata, int r, sd_bus_error *error) {
        if (r <= 0)
                return sd_bus_reply_method_error(message, error);
        return reply_pending(message, userdata);
}

int method_list_pending(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        int r = polkit_check(userdata, message, ACTION_INSPECT, NULL, on_list_authorized, userdata);
        return r < 0 ? r : 1;
}

static int on_cancel_authorized(sd_bus_message *message, void *userdata, int r, sd_bus_error *error) {
        Manager *m = userdata;
        const char *id;

        if (r <= 0)
                return sd_bus_reply_method_error(message, error);
        r = sd_bus_message_read(message, "s", &id);
        if (r < 0)
                return sd_bus_reply_method_errno(message, r, NULL);
        r = pending_store_remove(m->state_dir, id);
        if (r == -ENOENT)
                return sd_bus_reply_method_errorf(message, ERROR_NO_SUCH_JOB,
                                                  "No pending restore '%s' (see ListPending).", id);
        if (r < 0)
                return sd_bus_reply_method_errnof(message, -r, "Cannot remove pending restore %s: %m", id);
        log_info("Pending restore %s cancelled.", id);
        return sd_bus_reply_method_return(message, NULL);
}

static const char *entry_path(const void *userdata, size_t i) {
        return ((const PendingEntry *) userdata)->paths[i];
}

/* The "paths" detail of @e (polkit_paths_below()). */
static char *detail_paths(const PendingEntry *e) {
        return polkit_paths_below(e->mount_point, entry_path, e, strv_length(e->paths));
}

/* Asks polkit with what admins' rules need to decide: the entry's id, and
 * (when it exists: an unknown id is answered only after authorization)
 * its overlay, upper layer, mode and paths. */
static int cancel_details(Manager *m, const char *id, sd_bus_message *message) {
        _cleanup_free_ char *paths = NULL;
        PendingEntry e = {};
        bool found;
        int r;

        /* Only this entry is read: the others are none of this call's
         * business (and may be many, or unreadable). */
        r = pending_store_read(m->state_dir, id, &e);
        if (r == -ENOMEM)
                return r;
        /* Whatever else keeps it from being read, nothing is said before
         * polkit has answered (and then the entry can still go). */
        found = r >= 0;
        if (found && !(paths = detail_paths(&e))) {
                pending_entry_done(&e);
                return -ENOMEM;
        }
        char count[24];
        snprintf(count, sizeof count, "%zu", found ? strv_length(e.paths) : 0);
        char *details[] = {
                (char *) "pending_id", (char *) id,
                (char *) "mount_point", found ? e.mount_point : (char *) "",
                (char *) "upper_dir", found ? e.upper_dir : (char *) "",
                (char *) "mode", found ? e.mode : (char *) "",
                (char *) "paths", paths ?: (char *) "",
                (char *) "n_paths", count,
                NULL,
        };
        r = polkit_check(m, message, ACTION_MANAGE_JOBS, details, on_cancel_authorized, m);
        pending_entry_done(&e);
        return r;
}

int method_cancel_pending(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        const char *id;
        int r;

        r = sd_bus_message_read(message, "s", &id);
        if (r < 0)
                return r;
        if (!pending_id_valid(id))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "'%s' is not a pending restore id (see ListPending).", id);
        r = sd_bus_message_rewind(message, true);
        if (r < 0)
                return r;
        r = cancel_details(userdata, id, message);
        return r < 0 ? r : 1;
}
