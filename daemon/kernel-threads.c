/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io-util.h"
#include "kernel-threads.h"
#include "macro.h"

#define PF_KTHREAD 0x00200000UL  /* (include/linux/sched.h) */
#define KTHREADD 2

/* All of @path (at most 1 MiB: some 100,000 kernel threads), or -errno. */
static int read_all(const char *path, char **ret) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);

        return fd < 0 ? negative_errno() : read_whole(fd, 1U << 20, ret, NULL);
}

/* Is @proc's PID 2 kthreadd?  Its flags (the ninth field of its stat,
 * the seventh after the name, which may hold spaces and parentheses). */
static bool pid2_is_kthreadd(const char *proc) {
        _cleanup_free_ char *stat = NULL;
        char path[4096];
        const char *p;
        unsigned long flags;

        snprintf(path, sizeof path, "%s/%d/stat", proc, KTHREADD);
        if (read_all(path, &stat) < 0 || !(p = strrchr(stat, ')')))
                return false;
        if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags) != 1)
                return false;
        return flags & PF_KTHREAD;
}

static int pid_compare(const void *a, const void *b) {
        pid_t x = *(const pid_t *) a, y = *(const pid_t *) b;

        return (x > y) - (x < y);
}

int kernel_threads_read(const char *proc, KernelThreads *ret) {
        _cleanup_free_ char *text = NULL;
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0, cap = 0;
        char path[4096];
        const char *p;
        int r;

        *ret = (KernelThreads) {};
        if (!pid2_is_kthreadd(proc))
                return 0;
        snprintf(path, sizeof path, "%s/%d/task/%d/children", proc, KTHREADD, KTHREADD);
        r = read_all(path, &text);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        for (p = text; *p;) {
                char *end;
                long v;

                errno = 0;
                v = strtol(p, &end, 10);
                if (end == p)
                        break;
                p = end;
                if (errno != 0 || v <= 0 || v > INT32_MAX)
                        continue;
                if (n == cap) {
                        pid_t *m = realloc(pids, sizeof(pid_t) * (cap ? cap * 2 : 64));

                        if (!m)
                                return -ENOMEM;
                        pids = m;
                        cap = cap ? cap * 2 : 64;
                }
                pids[n++] = (pid_t) v;
        }
        if (n > 0)
                qsort(pids, n, sizeof(pid_t), pid_compare);
        *ret = (KernelThreads) { .pids = TAKE_PTR(pids), .n = n };
        return 0;
}

bool kernel_threads_has(const KernelThreads *k, pid_t pid) {
        return k->n > 0 && bsearch(&pid, k->pids, k->n, sizeof(pid_t), pid_compare);
}

void kernel_threads_done(KernelThreads *k) {
        free(k->pids);
        *k = (KernelThreads) {};
}
