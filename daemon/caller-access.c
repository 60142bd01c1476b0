/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caller-access.h"
#include "log.h"
#include "macro.h"

int caller_creds_get(sd_bus_message *message, CallerCreds *ret) {
        sd_bus_creds *c = NULL;
        const gid_t *groups = NULL;
        int n, r;

        *ret = (CallerCreds) {};
        r = sd_bus_query_sender_creds(message, SD_BUS_CREDS_EUID | SD_BUS_CREDS_EGID |
                                      SD_BUS_CREDS_SUPPLEMENTARY_GIDS, &c);
        if (r < 0)
                return r;
        r = sd_bus_creds_get_euid(c, &ret->uid);
        if (r < 0)
                goto out;
        /* dbus-daemon reports no gid, only the groups (a login's include
         * its primary group); without one, nobody's group stands in, so
         * that the caller is checked with less than it has, never more
         * (root's, 0, would be more). */
        if (sd_bus_creds_get_egid(c, &ret->gid) < 0)
                ret->gid = 65534;
        /* Without them the caller is checked with fewer groups than it
         * has: it may be told less, never more. */
        n = sd_bus_creds_get_supplementary_gids(c, &groups);
        if (n > 0) {
                ret->groups = malloc(sizeof(gid_t) * (size_t) n);
                if (!ret->groups) {
                        r = -ENOMEM;
                        goto out;
                }
                memcpy(ret->groups, groups, sizeof(gid_t) * (size_t) n);
                ret->n_groups = (size_t) n;
        }
        r = 0;
out:
        sd_bus_creds_unref(c);
        return r;
}

void caller_creds_done(CallerCreds *c) {
        free(c->groups);
        *c = (CallerCreds) {};
}

/* setgroups(2) for this thread alone: libc's wrapper changes every thread
 * of the process (the worker threads run jobs as root). */
static int thread_setgroups(size_t n, const gid_t *l) {
#ifdef SYS_setgroups32
        return (int) syscall(SYS_setgroups32, n, l);
#else
        return (int) syscall(SYS_setgroups, n, l);
#endif
}

typedef struct Saved {
        gid_t groups[64];
        int n_groups;
} Saved;

static void leave(const Saved *s) {
        /* (fsuid first: back to 0 brings the file capabilities back) */
        (void) setfsuid(0);
        (void) setfsgid(0);
        if (thread_setgroups((size_t) s->n_groups, s->groups) < 0 ||
            setfsuid((uid_t) -1) != 0 || setfsgid((gid_t) -1) != 0) {
                log_error("Cannot take back root's credentials after a caller's check: aborting.");
                abort();
        }
}

/* This thread's file-system credentials become the caller's; 0, or
 * -EPERM if they cannot (without CAP_SETUID and CAP_SETGID), nothing
 * changed then. */
static int enter(const CallerCreds *c, Saved *s) {
        s->n_groups = getgroups((int) ELEMENTSOF(s->groups), s->groups);
        if (s->n_groups < 0)
                return negative_errno();
        if (thread_setgroups(c->n_groups, c->groups) < 0)
                return negative_errno();
        (void) setfsgid(c->gid);
        (void) setfsuid(c->uid);
        /* setfsuid() says nothing of failure: ask what they are now. */
        if ((uid_t) setfsuid((uid_t) -1) != c->uid || (gid_t) setfsgid((gid_t) -1) != c->gid) {
                leave(s);
                return -EPERM;
        }
        return 0;
}

static int check(const CallerCreds *c, const char *dir, bool list) {
        _cleanup_free_ char *dot = NULL;
        struct stat st;
        Saved s;
        int r, e = 0;

        if (c->uid == 0)
                return 1;
        if (asprintf(&dot, "%s/.", streq(dir, "/") ? "" : dir) < 0)
                return -ENOMEM;
        r = enter(c, &s);
        if (r < 0)
                return r;
        if (stat(dot, &st) < 0)
                e = errno;
        else if (list) {
                int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);

                if (fd < 0)
                        e = errno;
                else
                        close(fd);
        }
        leave(&s);
        if (e == EACCES || e == EPERM)
                return 0;
        return e ? -e : 1;
}

int caller_may_search(const CallerCreds *c, const char *dir) {
        return check(c, dir, false);
}

int caller_may_list(const CallerCreds *c, const char *dir) {
        return check(c, dir, true);
}

char *path_parent(const char *path) {
        const char *slash = strrchr(path, '/');

        if (!slash || slash == path)
                return strdup("/");
        return strndup(path, (size_t) (slash - path));
}
