/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Authorization through polkit's D-Bus API, asynchronously: the subject is
 * the caller's unique bus name, interactivity comes from the message's
 * ALLOW_INTERACTIVE_AUTHORIZATION flag. */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-path.h"
#include "list.h"
#include "log.h"
#include "macro.h"
#include "polkit.h"
#include "strv.h"

typedef struct Query {
        Manager *manager;       /* set while it counts as work in flight and waiting */
        uid_t uid;              /* the caller's: counted while on manager->polkit_queries */
        LIST_FIELDS(struct Query, queries);
        sd_bus_message *message;
        polkit_callback_t cb;
        void *userdata;
        char *action;
        sd_bus_slot *slot;
} Query;

/* Answered: no longer waiting (before its callback, which may ask the
 * next question of a chain), no longer work in flight. */
static void query_done_waiting(Query *q) {
        if (!q->manager)
                return;
        LIST_REMOVE(queries, q->manager->polkit_queries, q);
        manager_busy_unref(q->manager);
        q->manager = NULL;
}

static void query_free(Query *q) {
        query_done_waiting(q);
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
        query_done_waiting(q);
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
        if (r >= 0 && uid == 0 && !m->force_polkit) {
                (void) cb(message, userdata, 1, NULL);
                return 0;
        }
        if (r < 0)
                return r;

        /* Each waiting request holds its paths, and an interactive
         * question may wait minutes: a caller gets a few at a time, so
         * that one cannot take the memory, or the answers, of all. */
        unsigned waiting = 0;
        LIST_FOREACH(queries, i, m->polkit_queries)
                if (i->uid == uid)
                        waiting++;
        if (waiting >= m->max_polkit_per_uid) {
                r = sd_bus_error_setf(&error, ERROR_LIMIT_EXCEEDED,
                                      "Too many of your requests are waiting for authorization "
                                      "(%u at most). Wait for their answers.", m->max_polkit_per_uid);
                (void) cb(message, userdata, r, &error);
                sd_bus_error_free(&error);
                return 0;
        }

        /* Peer-to-peer connections (the root-only socket) have no polkit. */
        if (!sender || !m->bus || bus != m->bus) {
                r = sd_bus_error_setf(&error, SD_BUS_ERROR_ACCESS_DENIED,
                                      "Access denied: %s needs polkit, which this connection "
                                      "cannot reach.", action);
                (void) cb(message, userdata, r, &error);
                sd_bus_error_free(&error);
                return 0;
        }

        q = calloc(1, sizeof(*q));
        if (!q)
                return -ENOMEM;
        q->uid = uid;
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
                /* (a name from the file system may not be UTF-8: bus-path.h) */
                _cleanup_free_ char *enc = utf8_valid(d[1]) ? NULL : bus_path_encode(d[1]);

                r = utf8_valid(d[1]) || enc ? sd_bus_message_append(call, "{ss}", d[0], enc ?: d[1]) : -ENOMEM;
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
        LIST_PREPEND(queries, m->polkit_queries, q);
        sd_bus_message_unref(call);
        return 0;

fail:
        sd_bus_message_unref(call);
        query_free(q);
        return r;
}

/* One question per set of details, one after another (each overlay of a
 * request is asked about with its own details, so that a rule sees exactly
 * one mount point in each). */
typedef struct Chain {
        Manager *manager;
        char *action;
        char ***details;        /* n sets, each a strv of key, value, ... */
        size_t n, next;
        polkit_callback_t cb;
        void *userdata;
} Chain;

static void chain_free(Chain *c) {
        for (size_t i = 0; i < c->n; i++)
                strv_free(c->details[i]);
        free(c->details);
        free(c->action);
        free(c);
}

static int chain_step(sd_bus_message *message, void *userdata, int r, sd_bus_error *error) {
        Chain *c = userdata;
        sd_bus_error e = SD_BUS_ERROR_NULL;

        if (r > 0 && ++c->next < c->n) {
                r = polkit_check(c->manager, message, c->action, c->details[c->next], chain_step, c);
                if (r >= 0)
                        return r;       /* the next step has it */
                sd_bus_error_set_errno(&e, r);
                r = c->cb(message, c->userdata, r, &e);
                sd_bus_error_free(&e);
        } else
                r = c->cb(message, c->userdata, r, error);
        chain_free(c);
        return r;
}

int polkit_check_each(Manager *m, sd_bus_message *message, const char *action,
                      char * const * const *details, size_t n, polkit_callback_t cb, void *userdata) {
        Chain *c;
        int r;

        assert(n > 0);
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        *c = (Chain) { .manager = m, .cb = cb, .userdata = userdata };
        c->action = strdup(action);
        c->details = calloc(n, sizeof(char **));
        if (!c->action || !c->details) {
                chain_free(c);
                return -ENOMEM;
        }
        for (; c->n < n; c->n++) {
                c->details[c->n] = strv_copy(details[c->n]);
                if (!c->details[c->n]) {
                        chain_free(c);
                        return -ENOMEM;
                }
        }
        r = polkit_check(m, message, c->action, c->details[0], chain_step, c);
        if (r < 0)
                chain_free(c);
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
