/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <systemd/sd-event.h>

/* File-system work off the event loop, on threads that are kept for the
 * next task (a thread idle for WORKER_IDLE_USEC goes).  Each task starts
 * at once, on an idle thread or a new one: nothing waits for another
 * task.  When it has run, its done() is called on the event loop; while
 * it runs, it may hand work to the event loop (worker_pool_post()). */
#define WORKER_IDLE_USEC (30 * 1000000ULL)

typedef struct WorkerPool WorkerPool;

typedef struct Task {
        void (*run)(struct Task *t);    /* on a worker thread */
        void (*done)(struct Task *t);   /* then on the event loop */
        void (*posted)(struct Task *t); /* on the event loop, see worker_pool_post() */
        WorkerPool *pool;               /* (set when submitted) */
        struct Task *next;              /* (the pool's) */
        struct Task *post_next;         /* (the pool's) */
        bool in_flight;                 /* submitted, done() not called yet */
        bool ran;                       /* (the pool's) */
        bool post_pending;              /* (the pool's) */
} Task;

int worker_pool_new(sd_event *event, WorkerPool **ret);
/* Idle threads go; a task still running keeps the pool (the process is
 * about to exit then). */
void worker_pool_free(WorkerPool *p);
/* @t must stay valid until its done() has been called. */
int worker_pool_submit(WorkerPool *p, Task *t);
/* From @t's run(), for a task with a posted(): has its posted() called on
 * the event loop soon, and before its done().  What run() wrote before
 * the post is seen by that call (the pool's lock orders them), and posts
 * made before a call are answered by it: a call for each post is not
 * promised.  These calls take turns with the loop's other sources: a task
 * that posts faster than its posted() keeps up does not hold the loop. */
void worker_pool_post(Task *t);
/* Waits until @t has run; neither its done() nor a posted() still due is
 * called then (a job freed while its worker runs: the daemon exits). */
void worker_pool_wait(WorkerPool *p, Task *t);
