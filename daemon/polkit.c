/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Authorization through polkit's D-Bus API, asynchronously: the subject is
 * the caller's unique bus name, interactivity comes from the message's
 * ALLOW_INTERACTIVE_AUTHORIZATION flag. */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-path.h"
#include "bus-util.h"
#include "list.h"
#include "log.h"
#include "macro.h"
#include "path-util.h"
#include "polkit.h"
#include "sender-creds.h"
#include "strv.h"

typedef struct Query {
        Manager *manager;       /* set while it counts as work in flight and waiting */
        uid_t uid;              /* the caller's: counted while on manager->polkit_queries */
        size_t held;            /* bytes its request holds meanwhile (polkit_may_wait()) */
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
DEFINE_TRIVIAL_CLEANUP_FUNC(Query *, query_free);

int bus_message_get_uid(sd_bus_message *m, uid_t *ret) {
        pid_t pid;

        return sender_creds_get(m, ret, &pid);
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
        /* (off the waiting list first, but counted busy until the callback
         * has run: what it starts, a worker for instance, counts itself
         * before an idle or exiting daemon could stop) */
        LIST_REMOVE(queries, q->manager->polkit_queries, q);
        q->cb(q->message, q->userdata, r, &error);
        sd_bus_error_free(&error);
        manager_busy_unref(q->manager);
        q->manager = NULL;
        query_free(q);
        return 0;
}

/* Whether @uid's requests are limited while they wait (root is not asked). */
static bool waits_limited(Manager *m, uid_t uid) {
        return uid != 0 || m->force_polkit;
}

size_t polkit_room(Manager *m, uid_t uid) {
        size_t held = 0;

        if (!waits_limited(m, uid))
                return SIZE_MAX;
        LIST_FOREACH(queries, i, m->polkit_queries)
                if (i->uid == uid)
                        held += i->held;
        return held < m->max_polkit_bytes_per_uid ? m->max_polkit_bytes_per_uid - held : 0;
}

int polkit_may_wait(Manager *m, uid_t uid, size_t held, sd_bus_error *error) {
        unsigned waiting = 0;

        /* Each waiting request holds its paths, and an interactive
         * question may wait minutes: a caller gets a few at a time, and a
         * few MiB of paths between them, so that one cannot take the
         * memory, or the answers, of all. */
        if (!waits_limited(m, uid))
                return 0;
        LIST_FOREACH(queries, i, m->polkit_queries)
                if (i->uid == uid)
                        waiting++;
        if (waiting >= m->max_polkit_per_uid)
                return sd_bus_error_setf(error, ERROR_LIMIT_EXCEEDED,
                                         "Too many of your requests are waiting for authorization "
                                         "(%u at most). Wait for their answers.", m->max_polkit_per_uid);
        if (held > polkit_room(m, uid))
                return polkit_room_exceeded(m, held, error);
        return 0;
}

int polkit_room_exceeded(Manager *m, size_t held, sd_bus_error *error) {
        double mib = m->max_polkit_bytes_per_uid / 1048576.0;

        if (held > m->max_polkit_bytes_per_uid)
                return sd_bus_error_setf(error, ERROR_LIMIT_EXCEEDED,
                                         "This request alone would hold more than %.1f MiB of paths while it "
                                         "waits for authorization: split it (a Restore's path costs about "
                                         "half as much in a paths-fd as in the message).", mib);
        return sd_bus_error_setf(error, ERROR_LIMIT_EXCEEDED,
                                 "Your requests waiting for authorization would hold more than %.1f MiB of "
                                 "paths between them. Wait for their answers, or pass fewer paths at a "
                                 "time.", mib);
}

/* @interactive: < 0 as the message allows, else whether to allow it. */
static int ask(Manager *m, sd_bus_message *message, const char *action, char **details,
               int interactive, size_t held, polkit_callback_t cb, void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(query_freep) Query *q = NULL;
        const char *sender = sd_bus_message_get_sender(message);
        sd_bus *bus = sd_bus_message_get_bus(message);
        uid_t uid;
        int r;

        r = bus_message_get_uid(message, &uid);
        if (r >= 0 && uid == 0 && !m->force_polkit) {
                (void) cb(message, userdata, 1, NULL);
                return 0;
        }
        if (r < 0)
                return r;

        r = polkit_may_wait(m, uid, held, &error);
        if (r < 0) {
                (void) cb(message, userdata, r, &error);
                return 0;
        }

        /* Peer-to-peer connections (the root-only socket) have no polkit. */
        if (!sender || !m->bus || bus != m->bus) {
                r = sd_bus_error_setf(&error, SD_BUS_ERROR_ACCESS_DENIED,
                                      "Access denied: %s needs polkit, which this connection "
                                      "cannot reach.", action);
                (void) cb(message, userdata, r, &error);
                return 0;
        }

        q = calloc(1, sizeof(*q));
        if (!q)
                return -ENOMEM;
        q->uid = uid;
        q->held = held;
        q->message = sd_bus_message_ref(message);
        q->cb = cb;
        q->userdata = userdata;
        q->action = strdup(action);
        if (!q->action)
                return -ENOMEM;

        r = sd_bus_message_new_method_call(bus, &call, "org.freedesktop.PolicyKit1",
                                           "/org/freedesktop/PolicyKit1/Authority",
                                           "org.freedesktop.PolicyKit1.Authority",
                                           "CheckAuthorization");
        if (r < 0)
                return r;
        r = sd_bus_message_append(call, "(sa{sv})s", "system-bus-name", 1, "name", "s", sender, action);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(call, 'a', "{ss}");
        if (r < 0)
                return r;
        for (char **d = details; d && d[0] && d[1]; d += 2) {
                /* (a name from the file system may not be UTF-8: bus-path.h) */
                _cleanup_free_ char *enc = utf8_valid(d[1]) ? NULL : bus_path_encode(d[1]);

                r = utf8_valid(d[1]) || enc ? sd_bus_message_append(call, "{ss}", d[0], enc ?: d[1]) : -ENOMEM;
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(call);
        if (r < 0)
                return r;
        if (interactive < 0)
                interactive = sd_bus_message_get_allow_interactive_authorization(message) > 0;
        r = sd_bus_message_append(call, "us", (uint32_t) interactive, "");
        if (r < 0)
                return r;
        /* polkit may wait for a password: allow it five minutes. */
        r = sd_bus_call_async(bus, &q->slot, call, on_reply, q, 300 * 1000000ULL);
        if (r < 0)
                return r;
        log_debug("Asking polkit whether %s may %s%s.", sender, action,
                  interactive ? " (interactively)" : "");
        /* An interactive check may wait minutes for a password: idle
         * exit waits for it. */
        q->manager = m;
        manager_busy_ref(m);
        LIST_PREPEND(queries, m->polkit_queries, TAKE_PTR(q));
        return 0;
}

int polkit_check(Manager *m, sd_bus_message *message, const char *action,
                 char **details, polkit_callback_t cb, void *userdata) {
        return ask(m, message, action, details, -1, POLKIT_HELD_PER_REQUEST, cb, userdata);
}

/* A request on several overlays: each overlay's question is asked first
 * without interaction, so that a rule sees exactly one mount point in each
 * and a refusal anywhere refuses the call before anyone is asked for a
 * password.  The overlays whose answer was "authenticate" are then asked
 * about together, interactively, in one question: one password for a
 * discard on /etc and /usr, not two.  That question is of its own action,
 * ACTION_SEVERAL (auth_admin by default), so that rules written for one
 * overlay at a time never see it: a rule keyed on mount_point could
 * otherwise answer a question without one more weakly than the questions
 * it stands for. */
typedef struct Chain {
        Manager *manager;
        char *action;
        char ***details;        /* n sets, each a strv of key, value, ... */
        size_t n, next;
        bool interactive;       /* the second round has begun */
        bool *challenged;       /* the first round's "authenticate" answers */
        sd_bus_error challenge; /* the first challenge: the answer if the caller allows no interaction */
        size_t *group, n_group; /* the sets the interactive question covers */
        size_t held;            /* bytes the request holds (each question counts them) */
        polkit_callback_t cb;
        void *userdata;
} Chain;

static void chain_free(Chain *c) {
        if (c->manager)
                manager_busy_unref(c->manager);
        for (size_t i = 0; i < c->n; i++)
                strv_free(c->details[i]);
        free(c->details);
        free(c->challenged);
        free(c->group);
        free(c->action);
        sd_bus_error_free(&c->challenge);
        free(c);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(Chain *, chain_free);

static const char *detail(char * const *d, const char *key) {
        for (; d && d[0] && d[1]; d += 2)
                if (streq(d[0], key))
                        return d[1];
        return NULL;
}

/* Appends @key and @value, which it takes (NULL: out of memory). */
static int push_pair(char ***l, const char *key, char *value) {
        int r = value ? strv_push(l, key) : -ENOMEM;

        if (r >= 0)
                r = strv_push(l, value);
        free(value);
        return r;
}

_printf_(1, 2) static char *format(const char *fmt, ...) {
        va_list ap;
        char *s;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        return r < 0 ? NULL : s;
}

/* The details of one question about the sets c->group[]: a single set's
 * own; for several, "action" (the action they are questions of),
 * "mount_points" and "n_mounts" in place of "mount_point", "paths" the
 * first POLKIT_PATHS_SHOWN over all of them and "n_paths" their sum, every other detail
 * all the sets agree on, and a message that names the overlays to
 * whoever is asked for the password. */
static char **merged_details(Chain *c) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *mounts = NULL, *paths = NULL;
        size_t n_paths = 0, shown = 0, ml = 0, pl = 0;
        char * const *first = c->details[c->group[0]];
        FILE *f;

        if (c->n_group == 1)
                return strv_copy(first);
        l = strv_new0();
        if (!l || push_pair(&l, "action", strdup(c->action)) < 0)
                return NULL;
        for (char * const *d = first; d[0] && d[1]; d += 2) {
                bool same = true;

                if (streq(d[0], "mount_point") || streq(d[0], "paths") || streq(d[0], "n_paths"))
                        continue;
                for (size_t g = 1; g < c->n_group && same; g++)
                        same = streq_ptr(detail(c->details[c->group[g]], d[0]), d[1]);
                if (same && push_pair(&l, d[0], strdup(d[1])) < 0)
                        return NULL;
        }
        f = open_memstream(&mounts, &ml);
        if (!f)
                return NULL;
        for (size_t g = 0; g < c->n_group; g++)
                fprintf(f, "%s%s", g ? "\n" : "", detail(c->details[c->group[g]], "mount_point") ?: "");
        if (fclose(f) != 0)
                return NULL;
        if (push_pair(&l, "mount_points", strdup(mounts)) < 0 ||
            push_pair(&l, "n_mounts", format("%zu", c->n_group)) < 0)
                return NULL;
        if (detail(first, "paths") && detail(first, "n_paths")) {
                f = open_memstream(&paths, &pl);
                if (!f)
                        return NULL;
                for (size_t g = 0; g < c->n_group; g++) {
                        char * const *d = c->details[c->group[g]];
                        const char *p = detail(d, "paths") ?: "";
                        size_t k = strtoul(detail(d, "n_paths") ?: "0", NULL, 10);

                        n_paths += k;
                        /* (a set's own list: its first ones, then "(N more)") */
                        for (size_t i = 0; i < k && i < POLKIT_PATHS_SHOWN && *p; i++) {
                                size_t len = strcspn(p, "\n");

                                if (shown < POLKIT_PATHS_SHOWN) {
                                        fprintf(f, "%s%.*s", shown ? "\n" : "", (int) len, p);
                                        shown++;
                                }
                                p += len + (p[len] == '\n');
                        }
                }
                if (n_paths > shown)
                        fprintf(f, "\n(%zu more)", n_paths - shown);
                if (fclose(f) != 0)
                        return NULL;
                if (push_pair(&l, "paths", strdup(paths)) < 0 ||
                    push_pair(&l, "n_paths", format("%zu", n_paths)) < 0)
                        return NULL;
        }
        for (char *s = mounts; *s; s++)
                if (*s == '\n')
                        *s = ' ';
        if (push_pair(&l, "polkit.message",
                           format("Authentication is required for %s on %zu overlay mounts at "
                                         "once: %s.", c->action, c->n_group, mounts)) < 0)
                return NULL;
        return TAKE_PTR(l);
}

static int chain_step(sd_bus_message *message, void *userdata, int r, sd_bus_error *error);

/* The interactive question about every set the first round answered
 * "authenticate": a single set's own question; for several, one of
 * ACTION_SEVERAL.  0 if there is none. */
static int ask_interactively(Chain *c, sd_bus_message *message) {
        _cleanup_strv_free_ char **d = NULL;

        c->n_group = 0;
        for (size_t i = 0; i < c->n; i++)
                if (c->challenged[i])
                        c->group[c->n_group++] = i;
        if (c->n_group == 0)
                return 0;
        d = merged_details(c);
        if (!d)
                return -ENOMEM;
        c->interactive = true;
        return ask(c->manager, message, c->n_group == 1 ? c->action : ACTION_SEVERAL, d, true, c->held,
                   chain_step, c) ?: 1;
}

static int chain_step(sd_bus_message *message, void *userdata, int r, sd_bus_error *error) {
        Chain *c = userdata;
        sd_bus_error e = SD_BUS_ERROR_NULL;

        if (!c->interactive && r < 0 && sd_bus_error_has_name(error, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED)) {
                /* "authenticate": asked about again, with the others */
                c->challenged[c->next] = true;
                if (!sd_bus_error_is_set(&c->challenge))
                        (void) sd_bus_error_copy(&c->challenge, error);
                r = 1;
        }
        if (r <= 0 || c->interactive)
                goto done;      /* (the interactive question's answer is the answer) */
        if (++c->next < c->n) {
                r = ask(c->manager, message, c->action, c->details[c->next], false, c->held, chain_step, c);
                if (r >= 0)
                        return r;       /* the next step has it */
                goto failed;
        }
        /* The first round is over: every set allowed, or "authenticate". */
        if (sd_bus_error_is_set(&c->challenge) &&
            !(sd_bus_message_get_allow_interactive_authorization(message) > 0)) {
                r = c->cb(message, c->userdata, -EACCES, &c->challenge);
                chain_free(c);
                return r;
        }
        r = ask_interactively(c, message);
        if (r > 0)
                return 0;       /* that question has it */
        if (r == 0) {
                r = c->cb(message, c->userdata, 1, NULL);
                chain_free(c);
                return r;
        }
failed:
        sd_bus_error_set_errno(&e, r);
        error = &e;
done:
        r = c->cb(message, c->userdata, r, error);
        sd_bus_error_free(&e);
        chain_free(c);
        return r;
}

int polkit_check_each(Manager *m, sd_bus_message *message, const char *action,
                      char * const * const *details, size_t n, size_t held, polkit_callback_t cb,
                      void *userdata) {
        _cleanup_(chain_freep) Chain *c = NULL;
        int r;

        assert(n > 0);
        if (n == 1)     /* one question, as the caller allows it */
                return ask(m, message, action, (char **) details[0], -1, held, cb, userdata);
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        /* (work in flight from the first question to the last: no exit
         * in between, which would leave the caller without an answer) */
        *c = (Chain) { .manager = m, .held = held, .cb = cb, .userdata = userdata,
                       .challenge = SD_BUS_ERROR_NULL };
        manager_busy_ref(m);
        c->action = strdup(action);
        c->details = calloc(n, sizeof(char **));
        c->challenged = calloc(n, sizeof(bool));
        c->group = calloc(n, sizeof(size_t));
        if (!c->action || !c->details || !c->challenged || !c->group)
                return -ENOMEM;
        for (; c->n < n; c->n++) {
                c->details[c->n] = strv_copy(details[c->n]);
                if (!c->details[c->n])
                        return -ENOMEM;
                /* (the copies wait too: up to 64 paths per overlay) */
                for (char **d = c->details[c->n]; *d; d++)
                        c->held += strlen(*d) + 1 + sizeof(char *);
        }
        r = ask(m, message, c->action, c->details[0], false, c->held, chain_step, c);
        if (r >= 0)
                TAKE_PTR(c);    /* (chain_step()'s now) */
        return r;
}

/* The "paths" detail for polkit rules: newline-separated, the first
 * POLKIT_PATHS_SHOWN only, then a line saying how many more there are (@total in all: @l
 * may hold just the first ones). */
char *polkit_join_paths(const char * const *l, size_t total) {
        size_t n = 32, shown = 0;
        char *s, *p;

        for (const char * const *i = l; *i && i - l < POLKIT_PATHS_SHOWN; i++)
                n += strlen(*i) + 1;
        s = p = malloc(n);
        if (!s)
                return NULL;
        *s = '\0';
        for (const char * const *i = l; *i && shown < POLKIT_PATHS_SHOWN; i++, shown++) {
                p = stpcpy(p, shown ? "\n" : "");
                p = stpcpy(p, *i);
        }
        if (total > shown)
                sprintf(p, "\n(%zu more)", total - shown);
        return s;
}

char *polkit_paths_below(const char *mount_point, const char *(*rel)(const void *userdata, size_t i),
                         const void *userdata, size_t total) {
        char *shown[POLKIT_PATHS_SHOWN + 1] = {};
        char *joined = NULL;
        size_t n;

        for (n = 0; n < total && n < POLKIT_PATHS_SHOWN; n++) {
                _cleanup_free_ char *encoded = NULL;
                char full[2 * PATH_MAX];

                if (bus_path_below(full, sizeof full, mount_point, rel(userdata, n), &encoded) < 0 ||
                    !(shown[n] = path_escape_controls(encoded ?: full)))
                        goto out;
        }
        joined = polkit_join_paths((const char * const *) shown, total);
out:
        for (size_t i = 0; i < n; i++)
                free(shown[i]);
        return joined;
}
