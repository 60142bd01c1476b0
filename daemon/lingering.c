/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "boot-id.h"
#include "lingering.h"
#include "log.h"
#include "macro.h"
#include "path-util.h"

struct Lingering {
        char *upper;            /* simplified */
        int fd;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* The record that outlives the daemon (an idle exit, a restart): a file
 * per upper layer, <state_dir>/lingering/<hash>, holding the boot's id and
 * the layer's path.  A daemon with a record of this boot but no watch of
 * its own cannot tell when that superblock dies: until the next boot. */
static char *record_path(const char *state_dir, const char *upper) {
        uint64_t h = 0xcbf29ce484222325ULL;
        char *p;

        for (const char *c = upper; *c; c++)
                h = (h ^ (unsigned char) *c) * 0x100000001b3ULL;
        return asprintf(&p, "%s/lingering/%016" PRIx64, state_dir, h) < 0 ? NULL : p;
}

static int record_write(const char *state_dir, const char *upper) {
        _cleanup_free_ char *path = record_path(state_dir, upper), *dir = NULL;
        char boot[64];
        FILE *f;
        int r;

        if (!path || asprintf(&dir, "%s/lingering", state_dir) < 0)
                return -ENOMEM;
        r = boot_id_get(boot);
        if (r < 0)
                return r;
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return negative_errno();
        f = fopen(path, "we");
        if (!f)
                return negative_errno();
        fprintf(f, "%s\n%s\n", boot, upper);
        r = fflush(f) == 0 && fsync(fileno(f)) == 0 ? 0 : -EIO;
        fclose(f);
        return r;
}

/* Is there a record of this boot for @upper? */
static bool record_of_this_boot(const char *state_dir, const char *upper) {
        _cleanup_free_ char *path = record_path(state_dir, upper);
        char boot[64], line[64] = "", name[4096] = "";
        bool found = false;
        FILE *f;

        if (!path || boot_id_get(boot) < 0)
                return true;            /* (unknown: alive, the safe answer) */
        f = fopen(path, "re");
        if (!f)
                return errno != ENOENT;
        if (fgets(line, sizeof line, f) && fgets(name, sizeof name, f)) {
                line[strcspn(line, "\n")] = name[strcspn(name, "\n")] = '\0';
                found = streq(line, boot) && streq(name, upper);
                if (!streq(line, boot))
                        (void) unlink(path);    /* a former boot's */
        }
        fclose(f);
        return found;
}

bool inotify_saw_unmount(int fd) {
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

        for (;;) {
                ssize_t n = read(fd, buf, sizeof buf);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return false;
                for (char *p = buf; p < buf + n;) {
                        const struct inotify_event *e = (const struct inotify_event *) p;

                        log_debug("inotify on an overlay's root: 0x%x", e->mask);
                        if (e->mask & IN_UNMOUNT)
                                return true;
                        p += sizeof(*e) + e->len;
                }
        }
}

void lingering_add(Manager *m, const char *upper_dir, int fd) {
        char *upper = path_simplify_dup(upper_dir);
        struct Lingering *n;
        int r;

        r = upper ? record_write(m->state_dir, upper) : -ENOMEM;
        if (r < 0)
                log_error("Cannot record in %s/lingering that a superblock on %s lives on (%s): a "
                          "restarted daemon would not know.", m->state_dir, upper_dir, strerror(-r));

        pthread_mutex_lock(&lock);
        n = upper ? realloc(m->lingering, sizeof(*n) * (m->n_lingering + 1)) : NULL;
        if (n) {
                m->lingering = n;
                n[m->n_lingering++] = (struct Lingering) { .upper = upper, .fd = fd };
        }
        pthread_mutex_unlock(&lock);
        if (!n) {
                /* (the record, if written, still refuses remounts of it) */
                log_error("Out of memory: cannot watch the superblock on %s that lives on.", upper_dir);
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

                if (inotify_saw_unmount(l->fd)) {
                        _cleanup_free_ char *path = record_path(m->state_dir, l->upper);

                        log_info("The superblock that lived on with upper layer %s is gone.", l->upper);
                        if (path)
                                (void) unlink(path);
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
        /* Watched by none of ours, but recorded this boot: an earlier
         * instance of the daemon left it. */
        if (!alive)
                alive = !upper || record_of_this_boot(m->state_dir, upper);
        pthread_mutex_unlock(&lock);
        return alive;
}

void lingering_free_all(Manager *m) {
        for (size_t i = 0; i < m->n_lingering; i++) {
                /* Gone meanwhile: its record goes too (else the next
                 * instance would refuse until the boot ends). */
                if (inotify_saw_unmount(m->lingering[i].fd)) {
                        _cleanup_free_ char *path = record_path(m->state_dir, m->lingering[i].upper);

                        if (path)
                                (void) unlink(path);
                }
                close(m->lingering[i].fd);
                free(m->lingering[i].upper);
        }
        free(m->lingering);
        m->lingering = NULL;
        m->n_lingering = 0;
}
