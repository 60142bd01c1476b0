/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "worker-pool.h"

struct WorkerPool {
        pthread_mutex_t lock;
        pthread_cond_t wake;            /* a task queued, or stop */
        pthread_cond_t ran;             /* a task ran; a thread went */
        Task *queue;                    /* waiting for a thread (LIFO is fine: each gets one at once) */
        unsigned n_queued;
        Task *finished, *finished_tail; /* ran, their done() not called yet: oldest first */
        unsigned n_threads, n_idle;
        bool stopping;
        int event_fd;                   /* "something finished", for the event loop */
        sd_event_source *source;
};

static void *worker_main(void *userdata) {
        WorkerPool *p = userdata;
        uint64_t one = 1;

        pthread_mutex_lock(&p->lock);
        for (;;) {
                struct timespec until;
                Task *t;

                clock_gettime(CLOCK_MONOTONIC, &until);
                until.tv_sec += WORKER_IDLE_USEC / 1000000ULL;
                while (!p->queue && !p->stopping)
                        if (pthread_cond_timedwait(&p->wake, &p->lock, &until) == ETIMEDOUT && !p->queue)
                                goto out;
                if (!p->queue)
                        break;          /* stopping */
                t = p->queue;
                p->queue = t->next;
                p->n_queued--;
                p->n_idle--;
                pthread_mutex_unlock(&p->lock);

                t->run(t);

                pthread_mutex_lock(&p->lock);
                t->ran = true;
                t->next = NULL;
                if (p->finished_tail)
                        p->finished_tail->next = t;
                else
                        p->finished = t;
                p->finished_tail = t;
                p->n_idle++;
                pthread_cond_broadcast(&p->ran);
                if (write(p->event_fd, &one, sizeof one) < 0)
                        abort();        /* (an eventfd write cannot fail here) */
        }
out:
        p->n_idle--;
        p->n_threads--;
        pthread_cond_broadcast(&p->ran);
        pthread_mutex_unlock(&p->lock);
        return NULL;
}

/* Takes the oldest finished task off the list; under p->lock. */
static Task *finished_pop(WorkerPool *p) {
        Task *t = p->finished;

        if (t) {
                p->finished = t->next;
                if (!p->finished)
                        p->finished_tail = NULL;
        }
        return t;
}

/* The finished tasks' done(), oldest first, on the event loop: one at a
 * time off the list, so that a done() that frees the owner of another
 * finished task (worker_pool_wait() takes that one off) is safe. */
static int on_finished(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        WorkerPool *p = userdata;
        uint64_t v;

        (void) read(fd, &v, sizeof v);
        for (;;) {
                Task *t;

                pthread_mutex_lock(&p->lock);
                t = finished_pop(p);
                pthread_mutex_unlock(&p->lock);
                if (!t)
                        break;
                t->in_flight = false;
                t->done(t);     /* (may free it) */
        }
        return 0;
}

int worker_pool_new(sd_event *event, WorkerPool **ret) {
        WorkerPool *p = calloc(1, sizeof(*p));
        pthread_condattr_t a;
        int r;

        if (!p)
                return -ENOMEM;
        pthread_mutex_init(&p->lock, NULL);
        pthread_condattr_init(&a);
        pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
        pthread_cond_init(&p->wake, &a);
        pthread_condattr_destroy(&a);
        pthread_cond_init(&p->ran, NULL);
        p->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (p->event_fd < 0) {
                r = -errno;
                worker_pool_free(p);
                return r;
        }
        r = sd_event_add_io(event, &p->source, p->event_fd, EPOLLIN, on_finished, p);
        if (r < 0) {
                worker_pool_free(p);
                return r;
        }
        *ret = p;
        return 0;
}

void worker_pool_free(WorkerPool *p) {
        if (!p)
                return;
        pthread_mutex_lock(&p->lock);
        p->stopping = true;
        pthread_cond_broadcast(&p->wake);
        /* (idle threads leave at once; running ones would not) */
        while (p->n_threads > 0 && p->n_idle == p->n_threads)
                pthread_cond_wait(&p->ran, &p->lock);
        if (p->n_threads > 0) {
                pthread_mutex_unlock(&p->lock);
                return;         /* a task still runs: it keeps the pool */
        }
        pthread_mutex_unlock(&p->lock);
        sd_event_source_disable_unref(p->source);
        if (p->event_fd >= 0)
                close(p->event_fd);
        pthread_cond_destroy(&p->wake);
        pthread_cond_destroy(&p->ran);
        pthread_mutex_destroy(&p->lock);
        free(p);
}

int worker_pool_submit(WorkerPool *p, Task *t) {
        pthread_attr_t attr;
        pthread_t thread;
        int r = 0;

        pthread_mutex_lock(&p->lock);
        t->ran = false;
        t->in_flight = true;
        t->next = p->queue;
        p->queue = t;
        p->n_queued++;
        /* (queued tasks beyond the idle threads each get a new one) */
        if (p->n_queued > p->n_idle) {
                pthread_attr_init(&attr);
                pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
                r = -pthread_create(&thread, &attr, worker_main, p);
                pthread_attr_destroy(&attr);
                if (r < 0) {
                        p->queue = t->next;
                        p->n_queued--;
                        t->in_flight = false;
                } else {
                        p->n_threads++;
                        p->n_idle++;
                }
        }
        if (r >= 0)
                pthread_cond_signal(&p->wake);
        pthread_mutex_unlock(&p->lock);
        return r;
}

void worker_pool_wait(WorkerPool *p, Task *t) {
        pthread_mutex_lock(&p->lock);
        while (t->in_flight && !t->ran)
                pthread_cond_wait(&p->ran, &p->lock);
        if (t->in_flight) {
                /* (off the finished list: on_finished() must not see it) */
                Task *prev = NULL;

                for (Task *i = p->finished; i; prev = i, i = i->next)
                        if (i == t) {
                                if (prev)
                                        prev->next = t->next;
                                else
                                        p->finished = t->next;
                                if (p->finished_tail == t)
                                        p->finished_tail = prev;
                                break;
                        }
        }
        t->in_flight = false;
        pthread_mutex_unlock(&p->lock);
}
