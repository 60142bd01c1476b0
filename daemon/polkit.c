/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Authorization through polkit's D-Bus API, asynchronously: the subject is
 * the caller's unique bus name, interactivity comes from the message's
 * ALLOW_INTERACTIVE_AUTHORIZATION flag. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "polkit.h"

typedef struct Query {
        Manager *manager;       /* set while it counts as work in flight */
        sd_bus_message *message;
        polkit_callback_t cb;
        void *userdata;
        char *action;
        sd_bus_slot *slot;
} Query;

static void query_free(Query *q) {
        if (q->manager)
                manager_busy_unref(q->manager);
        sd_bus_message_unref(q->message);
        sd_bus_slot_unref(q->slot);
        free(q->action);
        free(q);
}

int bus_message_get_uid(sd_bus_message *m, uid_t *ret) {
        sd_bus_creds *c = NULL;
        int r;

        r = sd_bus_query_sender_creds(m, SD_BUS_CREDS_EUID, &c);
        if (r < 0)
                return r;
        r = sd_bus_creds_get_euid(c, ret);
        sd_bus_creds_unref(c);
        return r;
}

static int on_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Query *q = userdata;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        const sd_bus_error *e;
        int authorized = 0, challenge = 0, r;

        e = sd_bus_message_get_error(reply);
        if (e) {
                log_notice("polkit did not answer for %s: %s", q->action, e->message ?: e->name);
                r = sd_bus_error_setf(&error, SD_BUS_ERROR_ACCESS_DENIED,
                                      "Access denied: the authorization service (polkit) is not "
                                      "available to check %s. Retry as root or once polkit runs.",
                                      q->action);
        } else {
                r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
                if (r >= 0)
                        r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
                if (r < 0)
                        r = sd_bus_error_setf(&error, SD_BUS_ERROR_ACCESS_DENIED,
                                              "Access denied: polkit's answer was malformed.");
                else if (authorized)
                        r = 1;
                else if (challenge)
                        r = sd_bus_error_setf(&error, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,
                                              "Interactive authentication is required for %s. "
                                              "Call again allowing interactive authorization "
                                              "(busctl: --allow-interactive-authorization=yes).",
                                              q->action);
                else
                        r = sd_bus_error_setf(&error, SD_BUS_ERROR_ACCESS_DENIED,
                                              "Access denied by polkit: action %s.", q->action);
        }
        q->cb(q->message, q->userdata, r, &error);
        sd_bus_error_free(&error);
        query_free(q);
        return 0;
}

int polkit_check(Manager *m, sd_bus_message *message, const char *action,
                 char **details, polkit_callback_t cb, void *userdata) {
        sd_bus_message *call = NULL;
        const char *sender = sd_bus_message_get_sender(message);
        sd_bus *bus = sd_bus_message_get_bus(message);
        sd_bus_error error = SD_BUS_ERROR_NULL;
        Query *q = NULL;
        uid_t uid;
        int r;

        r = bus_message_get_uid(message, &uid);
        if (r >= 0 && uid == 0 && !m->force_polkit)
                return cb(message, userdata, 1, NULL);

        /* Peer-to-peer connections (the root-only socket) have no polkit. */
        if (!sender || !m->bus || bus != m->bus) {
                r = sd_bus_error_setf(&error, SD_BUS_ERROR_ACCESS_DENIED,
                                      "Access denied: %s needs polkit, which this connection "
                                      "cannot reach.", action);
                r = cb(message, userdata, r, &error);
                sd_bus_error_free(&error);
                return r;
        }

        q = calloc(1, sizeof(*q));
        if (!q)
                return -ENOMEM;
        q->message = sd_bus_message_ref(message);
        q->cb = cb;
        q->userdata = userdata;
        q->action = strdup(action);
        if (!q->action) {
                r = -ENOMEM;
                goto fail;
        }

        r = sd_bus_message_new_method_call(bus, &call, "org.freedesktop.PolicyKit1",
                                           "/org/freedesktop/PolicyKit1/Authority",
                                           "org.freedesktop.PolicyKit1.Authority",
                                           "CheckAuthorization");
        if (r < 0)
                goto fail;
        r = sd_bus_message_append(call, "(sa{sv})s", "system-bus-name", 1, "name", "s", sender, action);
        if (r < 0)
                goto fail;
        r = sd_bus_message_open_container(call, 'a', "{ss}");
        if (r < 0)
                goto fail;
        for (char **d = details; d && d[0] && d[1]; d += 2) {
                r = sd_bus_message_append(call, "{ss}", d[0], d[1]);
                if (r < 0)
                        goto fail;
        }
        r = sd_bus_message_close_container(call);
        if (r < 0)
                goto fail;
        r = sd_bus_message_append(call, "us",
                                  (uint32_t) (sd_bus_message_get_allow_interactive_authorization(message) > 0),
                                  "");
        if (r < 0)
                goto fail;
        /* polkit may wait for a password: allow it five minutes. */
        r = sd_bus_call_async(bus, &q->slot, call, on_reply, q, 300 * 1000000ULL);
        if (r < 0)
                goto fail;
        log_debug("Asking polkit whether %s may %s.", sender, action);
        /* An interactive check may wait minutes for a password: idle
         * exit waits for it. */
        q->manager = m;
        manager_busy_ref(m);
        sd_bus_message_unref(call);
        return 0;

fail:
        sd_bus_message_unref(call);
        query_free(q);
        return r;
}

/* The "paths" detail for polkit rules: newline-separated, the first 64
 * only, then a line saying how many more there are; each path under
 * @prefix when that is given (a mount point; "/" adds nothing). */
char *polkit_join_paths(const char *prefix, char * const *l) {
        size_t n = 32, shown = 0, total = 0, k;
        char *s, *p;

        if (prefix && streq(prefix, "/"))
                prefix = "";
        k = prefix ? strlen(prefix) + 1 : 0;
        for (char * const *i = l; *i; i++, total++)
                if (total < 64)
                        n += k + strlen(*i) + 1;
        s = p = malloc(n);
        if (!s)
                return NULL;
        *s = '\0';
        for (char * const *i = l; *i && shown < 64; i++, shown++) {
                p = stpcpy(p, shown ? "\n" : "");
                if (prefix)
                        p = stpcpy(stpcpy(p, prefix), "/");
                p = stpcpy(p, *i);
        }
        if (total > shown)
                sprintf(p, "\n(%zu more)", total - shown);
        return s;
}
