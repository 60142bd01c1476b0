/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Lower lookups on a thread of their own (lower-ahead.h).
 *
 * Locking: the thread writes answer[i] before it stores done = i + 1
 * (release); an edit reads answer[i] only after it loaded done > i
 * (acquire).  An edit that must wait stores what it waits for (wait_for,
 * an index) and then sets waiting (seq_cst), then looks at done and ended
 * again under lock, and sleeps on wake; the thread, after each store
 * (seq_cst), wakes it under lock if waiting is set and done is past
 * wait_for (or it ended).  One of the two sees the other's store, so no
 * wake is lost.  stop and ended pass the other way the same.
 *
 * Wakes: a wake costs far more than a lookup (more still where an idle
 * CPU is a virtual one that must be woken).  Were the edits woken for
 * each answer while they wait for several, the thread would spend its
 * time waking them; so they wait for the last answer they need at once,
 * and an edit that waits for each answer in turn waits for
 * LOWER_AHEAD_BATCH at once. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lower-ahead.h"
#include "macro.h"
#include "test-hooks.h"

#define LOWER_AHEAD_STACK (256 * 1024)

/* A thread of these, and the CPUs it may run on once unpinned. */
typedef struct AheadThread {
        pthread_t id;
        bool pinned;
        cpu_set_t cpus;
} AheadThread;

/* The thread stores done for each entry, and the edits run on another
 * CPU.  Were they to load it for each entry, or to store to its cache
 * line, that line would move between the two CPUs once an entry or more
 * (the edits' loads of done were 5% of their time, in perf): they keep
 * the last done they loaded (seen) on a line of their own, and load done
 * again only once past it (upper-edit.c: and not for each entry while
 * they are ahead).  The thread's look at the job's cancel, next
 * to counters the edits store to for each entry, is made once every
 * CANCEL_EVERY entries. */
#define CACHE_LINE 64
#define CANCEL_EVERY 64

struct LowerAhead {
        /* Set before the thread starts. */
        Layers layers;                  /* its own descriptors */
        PathAt path;
        void *userdata;
        size_t n;
        int8_t *answer;                 /* per entry: 1, 0, -1 (see lower_ahead_get()) */
        atomic_bool *cancel;

        /* The thread's stores. */
        _Alignas(CACHE_LINE) _Atomic size_t done;       /* entries answered, in order */
        atomic_bool ended;
        unsigned n_listed, n_stats;     /* read after the join */

        /* The edits', for each entry they look at... */
        _Alignas(CACHE_LINE) size_t seen;               /* done, as they last loaded it */

        /* ...and when they wait or stop it (the thread looks at stop and
         * waiting for each entry). */
        _Alignas(CACHE_LINE) _Atomic size_t wait_for;   /* while they wait: the entry they wait for */
        atomic_bool stop, waiting;
        unsigned n_waits;
        pthread_mutex_t lock;
        pthread_cond_t wake;
        AheadThread thread;
};

/* Wakes the edits if they wait for an entry before @done (SIZE_MAX:
 * whatever they wait for, the thread has ended). */
static void wake_edits(LowerAhead *a, size_t done) {
        if (atomic_load(&a->waiting) && done > atomic_load(&a->wait_for)) {
                pthread_mutex_lock(&a->lock);
                pthread_cond_broadcast(&a->wake);
                pthread_mutex_unlock(&a->lock);
        }
}

static void *ahead_main(void *userdata) {
        LowerAhead *a = userdata;
        /* (the lookups' answers only tell whether an entry shows below:
         * a listing may answer them, layers.h) */
        _cleanup_(layers_dir_done) LayersDir d = { .list_lower = true };
        size_t dir_end = 0;

        pause_point("lower-ahead-thread");
        for (size_t i = 0; i < a->n; i++) {
                const char *rel = a->path(a->userdata, i);
                int lower = 0, r = -EINVAL;

                if (atomic_load(&a->stop) ||
                    (i % CANCEL_EVERY == 0 && a->cancel && atomic_load(a->cancel)))
                        break;
                if (i >= dir_end) {
                        d.expect = path_run_in_dir(a->path, a->userdata, i, a->n);
                        dir_end = i + d.expect;
                }
                /* (neither the state nor the upper directory asked for:
                 * the upper entry is not looked at) */
                if (*rel)
                        r = layers_lookup_in(&a->layers, &d, rel, NULL, &lower, NULL, NULL);
                a->answer[i] = r < 0 ? -1 : lower > 0;
                atomic_store(&a->done, i + 1);
                wake_edits(a, i + 1);
        }
        a->n_listed = d.n_listed;
        a->n_stats = d.n_lower_stats;
        atomic_store(&a->ended, true);
        wake_edits(a, SIZE_MAX);
        return NULL;
}

static bool several_cpus(void) {
        cpu_set_t set;

        if (test_force_lower_ahead())
                return true;
        return sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 1;
}

static void lower_ahead_free(LowerAhead *a) {
        layers_close(&a->layers);
        pthread_cond_destroy(&a->wake);
        pthread_mutex_destroy(&a->lock);
        free(a->answer);
        free(a);
}

/* A thread for @fn(@arg), with a small stack: its deepest use is a
 * directory read and a sort of its names (layers.c: 16 KiB of counts);
 * glibc's default would reserve 8 MiB.  While the caller runs on, it runs
 * on the caller's CPUs but the one the caller is on: a thread made by one
 * that keeps running is otherwise often queued behind it until the
 * scheduler's balancing moves it, which took 1 to 8 ms of a 15 ms run of
 * edits here.  The caller lifts that (thread_unpin()) before it waits for
 * the thread, whose CPU it then leaves free.  (Set once the thread
 * exists, which moves it at once if queued on the caller's CPU: musl has
 * no pthread_attr_setaffinity_np().) */
static int thread_start(AheadThread *t, void *(*fn)(void *), void *arg) {
        pthread_attr_t attr;
        cpu_set_t others;
        int r, cpu = sched_getcpu();

        t->pinned = false;
        r = -pthread_attr_init(&attr);
        if (r < 0)
                return r;
        r = -pthread_attr_setstacksize(&attr, LOWER_AHEAD_STACK);
        if (r >= 0)
                r = -pthread_create(&t->id, &attr, fn, arg);
        pthread_attr_destroy(&attr);
        if (r >= 0 && cpu >= 0 && sched_getaffinity(0, sizeof(t->cpus), &t->cpus) == 0 &&
            CPU_ISSET(cpu, &t->cpus) && CPU_COUNT(&t->cpus) > 1) {
                others = t->cpus;
                CPU_CLR(cpu, &others);
                t->pinned = pthread_setaffinity_np(t->id, sizeof(others), &others) == 0;
        }
        return r;
}

static void thread_unpin(AheadThread *t) {
        if (t->pinned)
                (void) pthread_setaffinity_np(t->id, sizeof(t->cpus), &t->cpus);
        t->pinned = false;
}

int lower_ahead_start(LowerAhead **ret, const Layers *l, size_t n, PathAt path, void *userdata,
                      atomic_bool *cancel) {
        LowerAhead *a;
        int r;

        *ret = NULL;
        if (n < LOWER_AHEAD_MIN || !several_cpus())
                return 0;
        /* (aligned as its members are: a size that is a multiple of it) */
        a = aligned_alloc(_Alignof(LowerAhead), sizeof(*a));
        if (!a)
                return -ENOMEM;
        *a = (LowerAhead) {
                .layers = { .upper_fd = -1 },
                .path = path,
                .userdata = userdata,
                .n = n,
                .answer = malloc(n),
                .cancel = cancel,
                .lock = PTHREAD_MUTEX_INITIALIZER,
                .wake = PTHREAD_COND_INITIALIZER,
        };
        r = a->answer ? layers_dup(&a->layers, l) : -ENOMEM;
        if (r >= 0)
                r = thread_start(&a->thread, ahead_main, a);
        if (r < 0) {
                lower_ahead_free(a);
                return r;
        }
        *ret = a;
        return 0;
}

/* Has the thread answered for entry @i?  (done loaded only past seen) */
static bool answered(LowerAhead *a, size_t i) {
        if (i < a->seen)
                return true;
        a->seen = atomic_load_explicit(&a->done, memory_order_acquire);
        return i < a->seen;
}

int lower_ahead_get(LowerAhead *a, size_t i, size_t more) {
        if (!a || i >= a->n)
                return -1;
        if (!answered(a, i)) {
                size_t until = more < a->n - i ? i + more : a->n - 1;

                a->n_waits++;
                thread_unpin(&a->thread);
                pthread_mutex_lock(&a->lock);
                atomic_store(&a->wait_for, until);
                atomic_store(&a->waiting, true);
                while (atomic_load(&a->done) <= until && !atomic_load(&a->ended))
                        pthread_cond_wait(&a->wake, &a->lock);
                atomic_store(&a->waiting, false);
                pthread_mutex_unlock(&a->lock);
                if (!answered(a, i))
                        return -1;      /* (it ended before: cancelled) */
        }
        return a->answer[i];
}

int lower_ahead_known(LowerAhead *a, size_t i) {
        if (!a || i >= a->n)
                return -1;
        return i < a->seen ? a->answer[i] : -EAGAIN;
}

int lower_ahead_peek(LowerAhead *a, size_t i) {
        if (!a || i >= a->n)
                return -1;
        if (answered(a, i))
                return a->answer[i];
        /* (ended is stored after done's last store) */
        if (atomic_load(&a->ended))
                return answered(a, i) ? a->answer[i] : -1;
        return -EAGAIN;
}

void lower_ahead_stop(LowerAhead *a, unsigned *ret_listed, unsigned *ret_stats, unsigned *ret_waits) {
        if (!a)
                return;
        atomic_store(&a->stop, true);
        thread_unpin(&a->thread);
        pthread_join(a->thread.id, NULL);
        if (ret_listed)
                *ret_listed += a->n_listed;
        if (ret_stats)
                *ret_stats += a->n_stats;
        if (ret_waits)
                *ret_waits += a->n_waits;
        lower_ahead_free(a);
}

struct ListAhead {
        Layers layers;                  /* its own descriptors */
        LayersDir d;                    /* the thread's, then the lookups' to take from */
        char *dir;
        atomic_uint lookups;            /* see layers_dir_list_ahead() */
        AheadThread thread;
        bool joined;
};

static void *list_main(void *userdata) {
        ListAhead *a = userdata;

        (void) layers_dir_list_ahead(&a->layers, &a->d, a->dir, &a->lookups);
        return NULL;
}

int list_ahead_start(ListAhead **ret, const Layers *l, const char *dir) {
        ListAhead *a;
        int r;

        *ret = NULL;
        if (!several_cpus())
                return 0;
        a = malloc(sizeof(*a));
        if (!a)
                return -ENOMEM;
        *a = (ListAhead) { .layers = { .upper_fd = -1 }, .dir = strdup(dir), .joined = true };
        atomic_init(&a->lookups, UINT_MAX);
        r = a->dir ? layers_dup(&a->layers, l) : -ENOMEM;
        if (r >= 0)
                r = thread_start(&a->thread, list_main, a);
        if (r < 0) {
                layers_close(&a->layers);
                free(a->dir);
                free(a);
                return r;
        }
        a->joined = false;
        *ret = a;
        return 0;
}

void list_ahead_expect(ListAhead *a, unsigned lookups) {
        if (a)
                atomic_store_explicit(&a->lookups, lookups, memory_order_relaxed);
}

LayersDir *list_ahead_take(void *userdata, const char *dir) {
        ListAhead *a = userdata;

        if (!a || a->joined || !streq(dir, a->dir))
                return NULL;
        thread_unpin(&a->thread);
        pthread_join(a->thread.id, NULL);
        a->joined = true;
        return &a->d;
}

void list_ahead_stop(ListAhead *a, unsigned *ret_listed) {
        if (!a)
                return;
        if (!a->joined) {
                /* (a listing not taken: ended at its next entry) */
                atomic_store_explicit(&a->lookups, 0, memory_order_relaxed);
                thread_unpin(&a->thread);
                pthread_join(a->thread.id, NULL);
        }
        if (ret_listed)
                *ret_listed += a->d.n_listed;
        layers_dir_done(&a->d);
        layers_close(&a->layers);
        free(a->dir);
        free(a);
}
