/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* daemon/worker-pool.c alone, on a real sd-event loop and real threads:
 * a task's posts reach the event loop while it runs, each answered
 * before its done(); a post made just before run() returns is still
 * answered first; and a task taken back by worker_pool_wait() has neither
 * its posted() nor its done() called afterwards.  The threads meet by
 * mutex and condition variable: nothing waits on time. */
#include <glib.h>
#include <pthread.h>
#include <systemd/sd-event.h>

#include "macro.h"
#include "worker-pool.h"

typedef struct Probe {
        Task task;
        WorkerPool *pool;
        sd_event *event;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        unsigned posts;         /* to be made by run() */
        unsigned made;          /* made so far (under lock) */
        unsigned answered;      /* posts seen by posted() (under lock) */
        unsigned posted_calls, done_calls;
        unsigned answered_at_done;
        bool handshake;         /* run() waits for each post's answer */
        bool exit_on_done;
} Probe;

static void probe_run(Task *t) {
        Probe *p = container_of(t, Probe, task);

        for (unsigned i = 0; i < p->posts; i++) {
                pthread_mutex_lock(&p->lock);
                p->made++;
                worker_pool_post(p->pool, t);
                while (p->handshake && p->answered <= i)
                        pthread_cond_wait(&p->cond, &p->lock);
                pthread_mutex_unlock(&p->lock);
        }
}

static void probe_posted(Task *t) {
        Probe *p = container_of(t, Probe, task);

        g_assert_cmpuint(p->done_calls, ==, 0);
        pthread_mutex_lock(&p->lock);
        p->posted_calls++;
        p->answered = p->made;          /* (every post made so far) */
        pthread_cond_broadcast(&p->cond);
        pthread_mutex_unlock(&p->lock);
}

static void probe_done(Task *t) {
        Probe *p = container_of(t, Probe, task);

        p->done_calls++;
        p->answered_at_done = p->posted_calls;
        if (p->exit_on_done)
                (void) sd_event_exit(p->event, 0);
}

static void probe_init(Probe *p, sd_event *e, WorkerPool *pool, unsigned posts, bool handshake) {
        *p = (Probe) { .pool = pool, .event = e, .posts = posts, .handshake = handshake, .exit_on_done = true };
        pthread_mutex_init(&p->lock, NULL);
        pthread_cond_init(&p->cond, NULL);
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
        pthread_cond_destroy(&p->cond);
        pthread_mutex_destroy(&p->lock);
}

/* run() waits for each post's answer: so each post gets a posted() of
 * its own, all before done(). */
static void test_posts_answered_while_running(void) {
        sd_event *e = NULL;
        WorkerPool *pool = NULL;
        Probe p;

        loop_new(&e, &pool);
        probe_init(&p, e, pool, 5, true);
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
                probe_init(&p, e, pool, 3, false);
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
        probe_init(&taken, e, pool, 2, false);
        taken.exit_on_done = false;
        g_assert_cmpint(worker_pool_submit(pool, &taken.task), >=, 0);
        worker_pool_wait(pool, &taken.task);
        g_assert_cmpuint(taken.answered, ==, 0);
        /* (another task ends the loop: by then the pool has answered
         * whatever it still held) */
        probe_init(&next, e, pool, 1, false);
        g_assert_cmpint(worker_pool_submit(pool, &next.task), >=, 0);
        g_assert_cmpint(sd_event_loop(e), >=, 0);
        g_assert_cmpuint(next.done_calls, ==, 1);
        g_assert_cmpuint(taken.posted_calls, ==, 0);
        g_assert_cmpuint(taken.done_calls, ==, 0);
        loop_free(e, pool);
        probe_fini(&taken);
        probe_fini(&next);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/worker-pool/posts-answered-while-running", test_posts_answered_while_running);
        g_test_add_func("/worker-pool/last-post-before-done", test_last_post_before_done);
        g_test_add_func("/worker-pool/wait-takes-posts-back", test_wait_takes_posts_back);
        return g_test_run();
}
