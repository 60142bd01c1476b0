/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* daemon/worker-pool.c alone, on a real sd-event loop and real threads:
 * a task's posts reach the event loop while it runs, each answered
 * before its done(); a post made just before run() returns is still
 * answered first; and a task taken back by worker_pool_wait() has neither
 * its posted() nor its done() called afterwards; and a task that posts
 * without pause does not hold the loop.  The threads meet by mutex,
 * condition variable or a flag: nothing waits on time. */
#include <fcntl.h>
#include <glib.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <systemd/sd-event.h>

#include "macro.h"
#include "worker-pool.h"

/* A lock and its condition, as the threads of a test meet. */
typedef struct Sync {
        pthread_mutex_t lock;
        pthread_cond_t cond;
} Sync;

static void sync_init(Sync *y) {
        pthread_mutex_init(&y->lock, NULL);
        pthread_cond_init(&y->cond, NULL);
}

static void sync_fini(Sync *y) {
        pthread_cond_destroy(&y->cond);
        pthread_mutex_destroy(&y->lock);
}

typedef struct Probe {
        Task task;
        sd_event *event;
        Sync sync;
        unsigned posts;         /* to be made by run() */
        unsigned made;          /* made so far (under lock) */
        unsigned answered;      /* posts seen by posted() (under lock) */
        unsigned posted_calls, done_calls;
        unsigned answered_at_done;
        bool handshake;         /* run() waits for each post's answer */
        bool exit_on_done;
        int pipe_write;         /* (short_done()) */
} Probe;

static void probe_run(Task *t) {
        Probe *p = container_of(t, Probe, task);

        for (unsigned i = 0; i < p->posts; i++) {
                pthread_mutex_lock(&p->sync.lock);
                p->made++;
                worker_pool_post(t);
                while (p->handshake && p->answered <= i)
                        pthread_cond_wait(&p->sync.cond, &p->sync.lock);
                pthread_mutex_unlock(&p->sync.lock);
        }
}

static void probe_posted(Task *t) {
        Probe *p = container_of(t, Probe, task);

        g_assert_cmpuint(p->done_calls, ==, 0);
        pthread_mutex_lock(&p->sync.lock);
        p->posted_calls++;
        p->answered = p->made;          /* (every post made so far) */
        pthread_cond_broadcast(&p->sync.cond);
        pthread_mutex_unlock(&p->sync.lock);
}

static void probe_done(Task *t) {
        Probe *p = container_of(t, Probe, task);

        p->done_calls++;
        p->answered_at_done = p->posted_calls;
        if (p->exit_on_done)
                (void) sd_event_exit(p->event, 0);
}

static void probe_init(Probe *p, sd_event *e, unsigned posts, bool handshake) {
        *p = (Probe) { .event = e, .posts = posts, .handshake = handshake, .exit_on_done = true };
        sync_init(&p->sync);
        p->task = (Task) { .run = probe_run, .done = probe_done, .posted = probe_posted };
}

static void loop_new(sd_event **ret_e, WorkerPool **ret_pool) {
        g_assert_cmpint(sd_event_new(ret_e), >=, 0);
        g_assert_cmpint(worker_pool_new(*ret_e, ret_pool), >=, 0);
}

static void loop_free(sd_event *e, WorkerPool *pool) {
        worker_pool_free(pool);
        sd_event_unref(e);
}

static void probe_fini(Probe *p) {
        sync_fini(&p->sync);
}

/* run() waits for each post's answer: so each post gets a posted() of
 * its own, all before done(). */
static void test_posts_answered_while_running(void) {
        sd_event *e = NULL;
        WorkerPool *pool = NULL;
        Probe p;

        loop_new(&e, &pool);
        probe_init(&p, e, 5, true);
        g_assert_cmpint(worker_pool_submit(pool, &p.task), >=, 0);
        g_assert_cmpint(sd_event_loop(e), >=, 0);
        g_assert_cmpuint(p.posted_calls, ==, 5);
        g_assert_cmpuint(p.done_calls, ==, 1);
        g_assert_cmpuint(p.answered_at_done, ==, 5);
        loop_free(e, pool);
        probe_fini(&p);
}

/* run() posts and returns at once: the posts may share a posted(), but
 * one comes, and before done(). */
static void test_last_post_before_done(void) {
        sd_event *e = NULL;
        WorkerPool *pool = NULL;
        Probe p;

        loop_new(&e, &pool);
        for (int round = 0; round < 50; round++) {
                probe_init(&p, e, 3, false);
                g_assert_cmpint(worker_pool_submit(pool, &p.task), >=, 0);
                g_assert_cmpint(sd_event_loop(e), >=, 0);
                g_assert_cmpuint(p.done_calls, ==, 1);
                g_assert_cmpuint(p.answered_at_done, >=, 1);
                g_assert_cmpuint(p.answered, ==, 3);
                probe_fini(&p);
                /* (a new loop for the next round: sd_event_exit() ended this one) */
                loop_free(e, pool);
                loop_new(&e, &pool);
        }
        loop_free(e, pool);
}

/* A task taken back by worker_pool_wait() after it posted: the event
 * loop calls neither its posted() nor its done() (its owner is freed). */
static void test_wait_takes_posts_back(void) {
        sd_event *e = NULL;
        WorkerPool *pool = NULL;
        Probe taken, next;

        loop_new(&e, &pool);
        probe_init(&taken, e, 2, false);
        taken.exit_on_done = false;
        g_assert_cmpint(worker_pool_submit(pool, &taken.task), >=, 0);
        worker_pool_wait(pool, &taken.task);
        g_assert_cmpuint(taken.answered, ==, 0);
        /* (another task ends the loop: by then the pool has answered
         * whatever it still held) */
        probe_init(&next, e, 1, false);
        g_assert_cmpint(worker_pool_submit(pool, &next.task), >=, 0);
        g_assert_cmpint(sd_event_loop(e), >=, 0);
        g_assert_cmpuint(next.done_calls, ==, 1);
        g_assert_cmpuint(taken.posted_calls, ==, 0);
        g_assert_cmpuint(taken.done_calls, ==, 0);
        loop_free(e, pool);
        probe_fini(&taken);
        probe_fini(&next);
}

/* A task that posts on and on, until the event loop's other source (a
 * pipe, written by its first posted()) tells it to stop; each posted()
 * returns only once the task has posted again (or ended), so that a post
 * is always waiting when the pool looks for one.  The pool must still let
 * the pipe's source have its turn, not keep calling posted() until the
 * task gives up by itself (FLOOD_MAX posts). */
typedef struct Flood {
        Task task;
        Sync sync;
        unsigned long posts;    /* (under lock) */
        unsigned long seen;     /* posts seen by posted() */
        unsigned long posted_calls;
        unsigned long max;      /* posts before it gives up by itself */
        bool stop, ended;       /* (under lock) */
        bool stopped_by_loop;
        int pipe_write;         /* its first posted() writes it, if >= 0 */
        sd_event *event;
} Flood;

static void flood_run(Task *t) {
        Flood *f = container_of(t, Flood, task);

        pthread_mutex_lock(&f->sync.lock);
        while (!f->stop && f->posts < f->max) {
                f->posts++;
                worker_pool_post(t);
                pthread_cond_broadcast(&f->sync.cond);
                /* (until that post is seen: one in flight at a time) */
                while (!f->stop && f->seen < f->posts)
                        pthread_cond_wait(&f->sync.cond, &f->sync.lock);
        }
        f->stopped_by_loop = f->stop;
        f->ended = true;
        pthread_cond_broadcast(&f->sync.cond);
        pthread_mutex_unlock(&f->sync.lock);
}

static void flood_posted(Task *t) {
        Flood *f = container_of(t, Flood, task);

        if (f->posted_calls++ == 0 && f->pipe_write >= 0)
                g_assert_cmpint(write(f->pipe_write, "x", 1), ==, 1);
        pthread_mutex_lock(&f->sync.lock);
        f->seen = f->posts;
        pthread_cond_broadcast(&f->sync.cond);
        /* (back only once the next post is made) */
        while (!f->ended && f->posts == f->seen)
                pthread_cond_wait(&f->sync.cond, &f->sync.lock);
        pthread_mutex_unlock(&f->sync.lock);
}

static void flood_done(Task *t) {
        (void) sd_event_exit(container_of(t, Flood, task)->event, 0);
}

static int on_pipe(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Flood *f = userdata;

        pthread_mutex_lock(&f->sync.lock);
        f->stop = true;
        pthread_cond_broadcast(&f->sync.cond);
        pthread_mutex_unlock(&f->sync.lock);
        return sd_event_source_set_enabled(s, SD_EVENT_OFF);
}

static void flood_init(Flood *f, sd_event *e, unsigned long max, int pipe_write) {
        *f = (Flood) { .event = e, .max = max, .pipe_write = pipe_write,
                       .task = { .run = flood_run, .done = flood_done, .posted = flood_posted } };
        sync_init(&f->sync);
}

static void flood_fini(Flood *f) {
        sync_fini(&f->sync);
}

/* A pipe whose read end, once written, stops @f (on_pipe()). */
static void stop_pipe_new(sd_event *e, Flood *f, int fds[2], sd_event_source **ret) {
        g_assert_cmpint(pipe2(fds, O_CLOEXEC), ==, 0);
        g_assert_cmpint(sd_event_add_io(e, ret, fds[0], EPOLLIN, on_pipe, f), >=, 0);
}

static void stop_pipe_free(int fds[2], sd_event_source *source) {
        sd_event_source_unref(source);
        close(fds[0]);
        close(fds[1]);
}

static void test_posts_take_turns(void) {
        sd_event_source *source = NULL;
        sd_event *e = NULL;
        WorkerPool *pool = NULL;
        int fds[2];
        Flood f;

        loop_new(&e, &pool);
        stop_pipe_new(e, &f, fds, &source);
        flood_init(&f, e, 10000, fds[1]);
        g_assert_cmpint(worker_pool_submit(pool, &f.task), >=, 0);
        g_assert_cmpint(sd_event_loop(e), >=, 0);
        g_test_message("%lu posts, %lu calls of posted(), before the loop's other source had its turn",
                       f.posts, f.posted_calls);
        g_assert_true(f.stopped_by_loop);
        stop_pipe_free(fds, source);
        loop_free(e, pool);
        flood_fini(&f);
}

/* Another task finishes while one posts on and on: its done() comes on
 * the next turn, not after the flood (its done() writes the pipe that
 * stops the flood; the flood gives up by itself only after a million
 * posts, each waiting for the loop). */
static void short_done(Task *t) {
        Probe *p = container_of(t, Probe, task);

        p->done_calls++;
        g_assert_cmpint(write(p->pipe_write, "x", 1), ==, 1);
}

static void test_done_not_held_by_posts(void) {
        sd_event_source *source = NULL;
        sd_event *e = NULL;
        WorkerPool *pool = NULL;
        Probe other;
        int fds[2];
        Flood f;

        loop_new(&e, &pool);
        stop_pipe_new(e, &f, fds, &source);
        flood_init(&f, e, 1000000, -1);
        probe_init(&other, e, 0, false);
        other.task.done = short_done;
        other.pipe_write = fds[1];
        g_assert_cmpint(worker_pool_submit(pool, &f.task), >=, 0);
        g_assert_cmpint(worker_pool_submit(pool, &other.task), >=, 0);
        g_assert_cmpint(sd_event_loop(e), >=, 0);
        g_test_message("%lu posts before the other task's done()", f.posts);
        g_assert_cmpuint(other.done_calls, ==, 1);
        g_assert_true(f.stopped_by_loop);
        stop_pipe_free(fds, source);
        loop_free(e, pool);
        flood_fini(&f);
        probe_fini(&other);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/worker-pool/posts-answered-while-running", test_posts_answered_while_running);
        g_test_add_func("/worker-pool/last-post-before-done", test_last_post_before_done);
        g_test_add_func("/worker-pool/wait-takes-posts-back", test_wait_takes_posts_back);
        g_test_add_func("/worker-pool/posts-take-turns", test_posts_take_turns);
        g_test_add_func("/worker-pool/done-not-held-by-posts", test_done_not_held_by_posts);
        return g_test_run();
}
