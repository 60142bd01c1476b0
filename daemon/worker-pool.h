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

typedef struct Task {
        void (*run)(struct Task *t);    /* on a worker thread */
        void (*done)(struct Task *t);   /* then on the event loop */
        void (*posted)(struct Task *t); /* on the event loop, see worker_pool_post() */
        struct Task *next;              /* (the pool's) */
        struct Task *post_next;         /* (the pool's) */
        bool in_flight;                 /* submitted, done() not called yet */
        bool ran;                       /* (the pool's) */
        bool post_pending;              /* (the pool's) */
} Task;

typedef struct WorkerPool WorkerPool;

int worker_pool_new(sd_event *event, WorkerPool **ret);
/* Idle threads go; a task still running keeps the pool (the process is
 * about to exit then). */
void worker_pool_free(WorkerPool *p);
/* @t must stay valid until its done() has been called. */
int worker_pool_submit(WorkerPool *p, Task *t);
/* From @t's run(): has @t's posted() called on the event loop soon, and
 * before its done(); posts made before that call are answered by it (a
 * call for each post is not promised). */
void worker_pool_post(WorkerPool *p, Task *t);
/* Waits until @t has run; its done() is not called then (a job freed
 * while its worker runs: the daemon exits). */
void worker_pool_wait(WorkerPool *p, Task *t);
