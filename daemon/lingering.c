/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "lingering.h"
#include "log.h"
#include "macro.h"
#include "path-util.h"

struct Lingering {
        char *upper;            /* simplified */
        int fd;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static bool died(int fd) {
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

        for (;;) {
                ssize_t n = read(fd, buf, sizeof buf);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return false;
                for (char *p = buf; p < buf + n;) {
                        const struct inotify_event *e = (const struct inotify_event *) p;

                        if (e->mask & IN_UNMOUNT)
                                return true;
                        p += sizeof(*e) + e->len;
                }
        }
}

void lingering_add(Manager *m, const char *upper_dir, int fd) {
        char *upper = path_simplify_dup(upper_dir);
        struct Lingering *n;

        pthread_mutex_lock(&lock);
        n = upper ? realloc(m->lingering, sizeof(*n) * (m->n_lingering + 1)) : NULL;
        if (n) {
                m->lingering = n;
                n[m->n_lingering++] = (struct Lingering) { .upper = upper, .fd = fd };
        }
        pthread_mutex_unlock(&lock);
        if (!n) {
                /* (then remounts of it are not refused: say so) */
                log_error("Out of memory: cannot note that a superblock on %s lives on.", upper_dir);
                free(upper);
                close(fd);
        }
}

bool lingering_alive(Manager *m, const char *upper_dir) {
        _cleanup_free_ char *upper = path_simplify_dup(upper_dir);
        bool alive = false;

        pthread_mutex_lock(&lock);
        for (size_t i = 0; i < m->n_lingering;) {
                struct Lingering *l = &m->lingering[i];

                if (died(l->fd)) {
                        log_info("The superblock that lived on with upper layer %s is gone.", l->upper);
                        close(l->fd);
                        free(l->upper);
                        *l = m->lingering[--m->n_lingering];
                        continue;
                }
                /* (unknown on ENOMEM: alive, the safe answer) */
                if (!upper || streq(l->upper, upper))
                        alive = true;
                i++;
        }
        pthread_mutex_unlock(&lock);
        return alive;
}

void lingering_free_all(Manager *m) {
        for (size_t i = 0; i < m->n_lingering; i++) {
                close(m->lingering[i].fd);
                free(m->lingering[i].upper);
        }
        free(m->lingering);
        m->lingering = NULL;
        m->n_lingering = 0;
}
