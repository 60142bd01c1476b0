/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "handed-files.h"
#include "log.h"
#include "macro.h"

typedef struct Handed {
        int wd;
        uid_t uid;
        uint64_t bytes;
} Handed;

struct HandedFiles {
        sd_event *event;
        sd_event_source *source;        /* the inotify fd's, made with the first file */
        Handed *files;
        size_t n, allocated;
};

int handed_files_new(sd_event *event, HandedFiles **ret) {
        HandedFiles *h = calloc(1, sizeof(*h));

        if (!h)
                return -ENOMEM;
        h->event = sd_event_ref(event);
        *ret = h;
        return 0;
}

HandedFiles *handed_files_free(HandedFiles *h) {
        if (!h)
                return NULL;
        sd_event_source_disable_unref(h->source);
        sd_event_unref(h->event);
        free(h->files);
        free(h);
        return NULL;
}

static void forget(HandedFiles *h, int wd) {
        for (size_t i = 0; i < h->n; i++)
                if (h->files[i].wd == wd) {
                        h->files[i] = h->files[--h->n];
                        return;
                }
}

/* Forgets the files destroyed: the kernel sends IN_IGNORED once a
 * watched inode is (the file's last close, before that close returns). */
static void drain(HandedFiles *h) {
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        ssize_t k;

        if (!h->source)
                return;
        while ((k = read(sd_event_source_get_io_fd(h->source), buf, sizeof buf)) > 0)
                for (char *p = buf; p < buf + k;) {
                        const struct inotify_event *e = (const struct inotify_event *) p;

                        if (e->mask & IN_IGNORED)
                                forget(h, e->wd);
                        p += sizeof(*e) + e->len;
                }
}

static int on_inotify(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        drain(userdata);
        return 0;
}

bool handed_files_room(HandedFiles *h, uid_t uid, unsigned *ret_n, uint64_t *ret_bytes) {
        uint64_t bytes = 0;
        unsigned n = 0;

        /* (a file closed before the call that asks is gone by now: its
         * event is read here, whatever the event loop does first) */
        drain(h);
        for (size_t i = 0; i < h->n; i++)
                if (h->files[i].uid == uid) {
                        n++;
                        bytes += h->files[i].bytes;
                }
        if (ret_n)
                *ret_n = n;
        if (ret_bytes)
                *ret_bytes = bytes;
        return n < HANDED_FILES_MAX && bytes < HANDED_BYTES_MAX;
}

int handed_files_add(HandedFiles *h, uid_t uid, int fd, uint64_t bytes) {
        char self[sizeof("/proc/self/fd/") + 3 * sizeof(int)];
        int r, wd;

        if (!h->source) {
                _cleanup_close_ int ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

                if (ifd < 0)
                        return -errno;
                r = sd_event_add_io(h->event, &h->source, ifd, EPOLLIN, on_inotify, h);
                if (r < 0)
                        return r;
                (void) sd_event_source_set_io_fd_own(h->source, true);
                TAKE_FD(ifd);
        }
        if (h->n == h->allocated) {
                size_t a = h->allocated ? h->allocated * 2 : 16;
                Handed *f = realloc(h->files, a * sizeof(*f));

                if (!f)
                        return -ENOMEM;
                h->files = f;
                h->allocated = a;
        }
        /* (the watch first: it needs read permission, which mode 0 takes
         * away from all but a root with CAP_DAC_OVERRIDE.  IN_ATTRIB: a
         * mask inotify takes; IN_IGNORED comes whatever the mask) */
        snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
        wd = inotify_add_watch(sd_event_source_get_io_fd(h->source), self, IN_ATTRIB);
        if (wd < 0)
                return -errno;
        if (fchmod(fd, 0) < 0) {
                r = -errno;
                (void) inotify_rm_watch(sd_event_source_get_io_fd(h->source), wd);
                return r;
        }
        h->files[h->n++] = (Handed) { .wd = wd, .uid = uid, .bytes = bytes };
        return 0;
}
