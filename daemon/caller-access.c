/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caller-access.h"
#include "io-util.h"
#include "layers.h"
#include "log.h"
#include "macro.h"
#include "path-util.h"
#include "sender-creds.h"

/* The numbers after @key in /proc/PID/status ("Uid:", "Gid:", "Groups:"). */
static int status_numbers(const char *status, const char *key, unsigned long **ret, size_t *ret_n) {
        const char *line = status;
        size_t klen = strlen(key), n = 0;
        unsigned long *l = NULL;

        while (line && strncmp(line, key, klen) != 0)
                line = (line = strchr(line, '\n')) ? line + 1 : NULL;
        if (!line)
                return -EBADMSG;
        for (const char *p = line + klen; *p && *p != '\n';) {
                char *end;
                unsigned long v;

                if (*p == ' ' || *p == '\t') {
                        p++;
                        continue;
                }
                v = strtoul(p, &end, 10);
                if (end == p) {
                        free(l);
                        return -EBADMSG;
                }
                unsigned long *m = realloc(l, sizeof(unsigned long) * (n + 1));
                if (!m) {
                        free(l);
                        return -ENOMEM;
                }
                l = m;
                l[n++] = v;
                p = end;
        }
        *ret = l;
        *ret_n = n;
        return 0;
}

int caller_creds_get(sd_bus_message *message, CallerCreds *ret) {
        _cleanup_free_ unsigned long *uids = NULL, *gids = NULL, *groups = NULL;
        _cleanup_free_ char *status = NULL;
        size_t n_uids = 0, n_gids = 0, n_groups = 0;
        char path[64];
        pid_t pid;
        int r;

        *ret = (CallerCreds) {};
        r = sender_creds_get(message, &ret->uid, &pid);
        if (r < 0)
                return r;
        if (ret->uid == 0)
                return 0;       /* (root: never checked) */
        if (pid <= 0)
                return -ENODATA;
        /* The bus reports no groups (dbus-daemon gives none to sd-bus):
         * they come from the caller's process, as polkit reads a caller's
         * uid from it.  Exactly its groups: fewer could let it in through
         * the "other" bits where its group is refused.  The file-system
         * uid and gid, which its own stat() would use; the process must
         * still be the caller's (its euid the one the bus reported). */
        snprintf(path, sizeof path, "/proc/%d/status", (int) pid);
        {
                _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);

                /* (whole: a long Groups: line cut short would be fewer groups) */
                if (fd < 0 || read_whole(fd, 1U << 20, &status, NULL) < 0)
                        return -ENODATA;
        }
        if (status_numbers(status, "Uid:", &uids, &n_uids) < 0 || n_uids != 4 ||
            status_numbers(status, "Gid:", &gids, &n_gids) < 0 || n_gids != 4 ||
            status_numbers(status, "Groups:", &groups, &n_groups) < 0 ||
            uids[1] != ret->uid)
                return -ENODATA;
        /* A process that changed its ids since it called (it ran a setgid
         * program, say) is not checked with ids it did not call with: all
         * four the same, or nothing. */
        for (size_t i = 1; i < 4; i++)
                if (uids[i] != uids[0] || gids[i] != gids[0])
                        return -ENODATA;
        ret->uid = (uid_t) uids[3];
        ret->gid = (gid_t) gids[3];
        if (ret->uid == 0)
                return -ENODATA;        /* (not root by the bus, fsuid 0: nothing sane to check) */
        if (n_groups > 0) {
                ret->groups = malloc(sizeof(gid_t) * n_groups);
                if (!ret->groups)
                        return -ENOMEM;
                for (size_t i = 0; i < n_groups; i++)
                        ret->groups[i] = (gid_t) groups[i];
                ret->n_groups = n_groups;
        }
        return 0;
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

void caller_leave(const CallerScope *s) {
        /* (fsuid first: back to 0 brings the file capabilities back) */
        (void) setfsuid(0);
        (void) setfsgid(0);
        if (thread_setgroups((size_t) s->n_groups, s->groups) < 0 ||
            setfsuid((uid_t) -1) != 0 || setfsgid((gid_t) -1) != 0) {
                log_error("Cannot take back root's credentials after a caller's check: aborting.");
                abort();
        }
        /* (a change of fsuid made the process not dumpable) */
        (void) prctl(PR_SET_DUMPABLE, 1);
}

/* This thread's file-system credentials become the caller's; 0, or
 * -EPERM if they cannot (without CAP_SETUID and CAP_SETGID), nothing
 * changed then. */
int caller_enter(const CallerCreds *c, CallerScope *s) {
        s->n_groups = getgroups((int) ELEMENTSOF(s->groups), s->groups);
        if (s->n_groups < 0)
                return negative_errno();
        if (thread_setgroups(c->n_groups, c->groups) < 0)
                return negative_errno();
        (void) setfsgid(c->gid);
        (void) setfsuid(c->uid);
        /* setfsuid() says nothing of failure: ask what they are now. */
        if ((uid_t) setfsuid((uid_t) -1) != c->uid || (gid_t) setfsgid((gid_t) -1) != c->gid) {
                caller_leave(s);
                return -EPERM;
        }
        return 0;
}

/* As the caller: the mount point and every directory above it, by the
 * path walk (paths of the mount table); then @dir, walked from the
 * overlay's root with no symbolic link followed and no mount crossed.  A
 * user's link, or a file system mounted inside the overlay, cannot take
 * the check elsewhere: to a FUSE server that never answers, say, which
 * would hold the check, and the event loop it may run on, for as long as
 * the server lives. */
static int check(const CallerCreds *c, const char *mount_point, const char *dir, bool list) {
        _cleanup_free_ char *top = NULL, *below = NULL;
        const char *rel;
        CallerScope s;
        int r, e = 0;

        if (c->uid == 0)
                return 1;
        rel = path_below(dir, mount_point);
        if (!rel)
                return -EXDEV;
        if (asprintf(&top, "%s/.", streq(mount_point, "/") ? "" : mount_point) < 0 ||
            asprintf(&below, "%s%s.", rel, *rel ? "/" : "") < 0)
                return -ENOMEM;
        r = caller_enter(c, &s);
        if (r < 0)
                return r;
        {
                _cleanup_close_ int mfd = open(top, O_PATH | O_DIRECTORY | O_CLOEXEC);
                int fd;

                if (mfd < 0)
                        e = errno;
                else {
                        /* ("DIR/.": search on DIR itself, as a stat of an
                         * entry needs; list: read on it too) */
                        fd = openat_beneath(mfd, below, O_PATH | O_DIRECTORY);
                        if (fd >= 0 && list) {
                                close(fd);
                                fd = openat_beneath(mfd, rel, O_RDONLY | O_DIRECTORY);
                        }
                        if (fd < 0)
                                e = -fd;
                        else
                                close(fd);
                }
        }
        caller_leave(&s);
        if (e == EACCES || e == EPERM)
                return 0;
        if (e == ELOOP || e == EXDEV)
                return -EXDEV;
        return e ? -e : 1;
}

int caller_may_search(const CallerCreds *c, const char *mount_point, const char *dir) {
        return check(c, mount_point, dir, false);
}

int caller_may_list(const CallerCreds *c, const char *mount_point, const char *dir) {
        return check(c, mount_point, dir, true);
}

char *path_parent(const char *path) {
        const char *slash = strrchr(path, '/');

        if (!slash || slash == path)
                return strdup("/");
        return strndup(path, (size_t) (slash - path));
}
