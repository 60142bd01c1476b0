/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "worker-pool.h"

/* A worker's stack, whatever the C library's default: musl's is 128 KiB,
 * and a Scan recurses once per directory level, up to 256 (state.c):
 * with "compare", 255 levels took between 128 and 192 KiB on x86_64, and
 * crashed the daemon in 128.  Only the pages touched are memory. */
#define WORKER_STACK (1024 * 1024)

/* Tasks oldest first, linked through the member of Task at @link. */
typedef struct TaskList {
        Task *head, *tail;
        size_t n;
        size_t link;
} TaskList;

#define TASK_LINK(l, t) (*(Task **) ((char *) (t) + (l)->link))

static void task_list_push(TaskList *l, Task *t) {
        TASK_LINK(l, t) = NULL;
        if (l->tail)
                TASK_LINK(l, l->tail) = t;
        else
                l->head = t;
        l->tail = t;
        l->n++;
}

static Task *task_list_pop(TaskList *l) {
        Task *t = l->head;

        if (t) {
                l->head = TASK_LINK(l, t);
                if (!l->head)
                        l->tail = NULL;
                TASK_LINK(l, t) = NULL;
                l->n--;
        }
        return t;
}

static void task_list_remove(TaskList *l, Task *t) {
        Task *prev = NULL;

        for (Task *i = l->head; i; prev = i, i = TASK_LINK(l, i))
                if (i == t) {
                        if (prev)
                                TASK_LINK(l, prev) = TASK_LINK(l, t);
                        else
                                l->head = TASK_LINK(l, t);
                        if (l->tail == t)
                                l->tail = prev;
                        TASK_LINK(l, t) = NULL;
                        l->n--;
                        return;
                }
}

struct WorkerPool {
        pthread_mutex_t lock;
        pthread_cond_t wake;            /* a task queued, or stop */
        pthread_cond_t ran;             /* a task ran; a thread went */
        Task *queue;                    /* waiting for a thread (LIFO is fine: each gets one at once) */
        unsigned n_queued;
        TaskList finished;              /* ran, their done() not called yet */
        TaskList posted;                /* their posted() to be called */
        unsigned n_threads, n_idle;
        bool stopping;
        int event_fd;                   /* "something finished or posted", for the event loop */
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
                task_list_push(&p->finished, t);
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

/* Pops the oldest posted task; under p->lock. */
static Task *posted_pop(WorkerPool *p) {
        Task *t = task_list_pop(&p->posted);

        if (t)
                t->post_pending = false;
        return t;
}

/* Pops the oldest finished task, and takes back a post of it not
 * answered yet (*ret_posted); under p->lock. */
static Task *finished_pop(WorkerPool *p, bool *ret_posted) {
        Task *t = task_list_pop(&p->finished);

        *ret_posted = t && t->post_pending;
        if (*ret_posted) {
                task_list_remove(&p->posted, t);
                t->post_pending = false;
        }
        return t;
}

/* On the event loop: as many posted() calls as there were posts waiting
 * when the eventfd was read, then as many done() calls as there were
 * finished tasks, oldest first, one at a time off the lists (a done()
 * that frees the owner of another task, which worker_pool_wait() takes
 * off, is safe).  A post or a finish after the read wrote the eventfd
 * again: it is answered on the next turn, after the loop's other sources
 * have had theirs, and a task that keeps posting holds up no other task's
 * done().  A task posts only while it runs: a post of a finished task
 * still waiting is answered just before its done(). */
static int on_finished(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        WorkerPool *p = userdata;
        size_t n_posted, n_finished;
        uint64_t v;

        pthread_mutex_lock(&p->lock);
        (void) read(fd, &v, sizeof v);
        n_posted = p->posted.n;
        n_finished = p->finished.n;
        pthread_mutex_unlock(&p->lock);
        for (; n_posted > 0; n_posted--) {
                Task *t;

                pthread_mutex_lock(&p->lock);
                t = posted_pop(p);
                pthread_mutex_unlock(&p->lock);
                if (!t)
                        break;
                t->posted(t);
        }
        for (; n_finished > 0; n_finished--) {
                bool posted;
                Task *t;

                pthread_mutex_lock(&p->lock);
                t = finished_pop(p, &posted);
                pthread_mutex_unlock(&p->lock);
                if (!t)
                        break;
                if (posted)
                        t->posted(t);
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
        p->finished.link = offsetof(Task, next);
        p->posted.link = offsetof(Task, post_next);
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
        t->pool = p;
        t->ran = false;
        t->in_flight = true;
        t->post_pending = false;
        t->post_next = NULL;
        t->next = p->queue;
        p->queue = t;
        p->n_queued++;
        /* (queued tasks beyond the idle threads each get a new one) */
        if (p->n_queued > p->n_idle) {
                pthread_attr_init(&attr);
                pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
                r = -pthread_attr_setstacksize(&attr, WORKER_STACK);
                if (r >= 0)
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

void worker_pool_post(Task *t) {
        WorkerPool *p = t->pool;
        uint64_t one = 1;

        assert(t->posted);
        pthread_mutex_lock(&p->lock);
        if (!t->post_pending) {
                t->post_pending = true;
                task_list_push(&p->posted, t);
                if (write(p->event_fd, &one, sizeof one) < 0)
                        abort();        /* (an eventfd write cannot fail here) */
        }
        pthread_mutex_unlock(&p->lock);
}

void worker_pool_wait(WorkerPool *p, Task *t) {
        pthread_mutex_lock(&p->lock);
        while (t->in_flight && !t->ran)
                pthread_cond_wait(&p->ran, &p->lock);
        /* (off the lists: on_finished() must not see it) */
        if (t->in_flight)
                task_list_remove(&p->finished, t);
        if (t->post_pending)
                task_list_remove(&p->posted, t);
        t->post_pending = false;
        t->in_flight = false;
        pthread_mutex_unlock(&p->lock);
}
