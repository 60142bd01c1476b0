/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "io-util.h"
#include "kernel-threads.h"
#include "log.h"
#include "macro.h"

#define PF_KTHREAD 0x00200000UL  /* (include/linux/sched.h) */
#define KTHREADD 2

/* All of @path (at most 1 MiB: some 100,000 kernel threads), or -errno. */
static int read_all(const char *path, char **ret) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);

        return fd < 0 ? negative_errno() : read_whole(fd, 1U << 20, ret, NULL);
}

int stat_flags_parse(const char *text, unsigned long *ret) {
        const char *p = strrchr(text, ')');

        if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %lu", ret) != 1)
                return -EINVAL;
        return 0;
}

/* The flags of @proc's process @pid, or -errno (-ENOENT: gone). */
static int stat_flags(const char *proc, pid_t pid, unsigned long *ret) {
        _cleanup_free_ char *text = NULL;
        char path[4096];
        int r;

        snprintf(path, sizeof path, "%s/%d/stat", proc, (int) pid);
        r = read_all(path, &text);
        return r < 0 ? r : stat_flags_parse(text, ret);
}

int pid_compare(const void *a, const void *b) {
        pid_t x = *(const pid_t *) a, y = *(const pid_t *) b;

        return (x > y) - (x < y);
}

int children_parse(const char *text, pid_t **ret, size_t *ret_n) {
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0, cap = 0, m = 0;

        for (const char *p = text; *p;) {
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
                        pid_t *a = realloc(pids, sizeof(pid_t) * (cap ? cap * 2 : 64));

                        if (!a)
                                return -ENOMEM;
                        pids = a;
                        cap = cap ? cap * 2 : 64;
                }
                pids[n++] = (pid_t) v;
        }
        if (n > 0)
                qsort(pids, n, sizeof(pid_t), pid_compare);
        for (size_t i = 0; i < n; i++)
                if (m == 0 || pids[m - 1] != pids[i])
                        pids[m++] = pids[i];
        *ret = TAKE_PTR(pids);
        *ret_n = m;
        return 0;
}

/* Is @proc of our PID namespace?  Its "self" our PID and, where the
 * kernel tells (4.1), our status's NSpid: one PID, no namespace of ours
 * below @proc's (where a PID of ours could be its by chance). */
static bool proc_is_ours(const char *proc) {
        _cleanup_free_ char *status = NULL;
        char path[4096], self[32];
        const char *ns;
        ssize_t k;

        snprintf(path, sizeof path, "%s/self", proc);
        k = readlink(path, self, sizeof self - 1);
        if (k <= 0)
                return false;
        self[k] = '\0';
        if (atoi(self) != (int) getpid())
                return false;
        snprintf(path, sizeof path, "%s/self/status", proc);
        if (read_all(path, &status) < 0)
                return false;
        ns = strstr(status, "\nNSpid:");
        if (!ns)
                return true;
        ns += strlen("\nNSpid:");
        ns += strspn(ns, " \t");
        ns += strspn(ns, "0123456789");
        return ns[strspn(ns, " \t")] == '\n' || ns[strspn(ns, " \t")] == '\0';
}

/* Does this kernel start a user-mode helper without PF_KTHREAD?  Before
 * user_mode_thread() (6.1 has it; we go by 6.0), a helper had the flag
 * until its exec, and a look at that moment would have taken it for a
 * kernel thread for good: none are known there. */
static bool helpers_flagless(void) {
        struct utsname u;
        int major = 0;

        return uname(&u) == 0 && sscanf(u.release, "%d.", &major) == 1 && major >= 6;
}

/* Is @proc ours, and its PID 2 kthreadd? */
static bool proc_has_kthreadd(const char *proc) {
        unsigned long flags;

        return helpers_flagless() && proc_is_ours(proc) && stat_flags(proc, KTHREADD, &flags) >= 0 &&
               (flags & PF_KTHREAD);
}

/* How many may be held: an eighth of our descriptors, at most
 * KERNEL_THREADS_MAX (a systemd service has 1,024 unless raised). */
static size_t threads_max(void) {
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
                return KERNEL_THREADS_MAX;
        return rl.rlim_cur / 8 < KERNEL_THREADS_MAX ? (size_t) (rl.rlim_cur / 8) : KERNEL_THREADS_MAX;
}

/* Has the process of @pidfd ended (or can that not be told)? */
static bool pidfd_ended(int pidfd) {
        struct pollfd p = { .fd = pidfd, .events = POLLIN };

        return poll(&p, 1, 0) != 0;
}

/* pidfd_open() refused us (seccomp, an old kernel): said once.  (Like
 * the cache, used by one thread at a time: mount-util.c's lock.) */
static bool pidfd_refused;

/* A descriptor of @pid if it is a kernel thread now, else -1. */
static int kernel_thread_open(const char *proc, pid_t pid) {
        _cleanup_close_ int fd = -1;
        unsigned long flags;

        if (pidfd_refused)
                return -1;
#ifdef SYS_pidfd_open
        fd = (int) syscall(SYS_pidfd_open, pid, 0);
#else
        errno = ENOSYS;
#endif
        if (fd < 0 && (errno == EPERM || errno == ENOSYS)) {
                log_debug("pidfd_open() refused (%m): no kernel thread is passed over.");
                pidfd_refused = true;
        }

        /* (its flags read while the pidfd holds it: if it has not ended
         * since, they were its own, not those of a later process of its
         * PID) */
        if (fd < 0 || stat_flags(proc, pid, &flags) < 0 || !(flags & PF_KTHREAD) || pidfd_ended(fd))
                return -1;
        return TAKE_FD(fd);
}

void kernel_threads_done(KernelThreads *k) {
        for (size_t i = 0; i < k->n; i++)
                close(k->pidfds[i]);
        free(k->pids);
        free(k->pidfds);
        *k = (KernelThreads) {};
}

int kernel_threads_update(KernelThreads *k, const char *proc) {
        _cleanup_free_ char *text = NULL;
        _cleanup_free_ pid_t *children = NULL, *pids = NULL;
        _cleanup_free_ int *pidfds = NULL;
        _cleanup_free_ struct pollfd *polls = NULL;
        size_t n_children = 0, n = 0, j = 0, max = threads_max();
        char path[4096];
        int r;

        if (!proc_has_kthreadd(proc)) {
                kernel_threads_done(k);
                return 0;
        }
        snprintf(path, sizeof path, "%s/%d/task/%d/children", proc, KTHREADD, KTHREADD);
        r = read_all(path, &text);
        if (r >= 0)
                r = children_parse(text, &children, &n_children);
        if (r == -ENOENT)
                r = 0;
        if (r < 0 || n_children == 0) {
                kernel_threads_done(k);
                return r;
        }
        /* Those known that live on, at one poll() for them all. */
        polls = calloc(k->n + 1, sizeof(struct pollfd));
        pids = calloc(n_children, sizeof(pid_t));
        pidfds = calloc(n_children, sizeof(int));
        if (!polls || !pids || !pidfds) {
                kernel_threads_done(k);
                return -ENOMEM;
        }
        for (size_t i = 0; i < k->n; i++)
                polls[i] = (struct pollfd) { .fd = k->pidfds[i], .events = POLLIN };
        if (k->n > 0 && poll(polls, k->n, 0) < 0) {
                r = negative_errno();
                kernel_threads_done(k);
                return r;
        }
        /* Both lists sorted: the known that still live and are still
         * listed are kept, the new are looked at once. */
        for (size_t i = 0; i < n_children && n < max; i++) {
                pid_t pid = children[i];
                int fd = -1;

                for (; j < k->n && k->pids[j] < pid; j++) {
                        close(k->pidfds[j]);
                        k->pidfds[j] = -1;
                }
                if (j < k->n && k->pids[j] == pid) {
                        if (polls[j].revents == 0)
                                fd = TAKE_FD(k->pidfds[j]);
                        else {
                                close(k->pidfds[j]);
                                k->pidfds[j] = -1;
                        }
                        j++;
                }
                if (fd < 0)
                        fd = kernel_thread_open(proc, pid);
                if (fd >= 0) {
                        pids[n] = pid;
                        pidfds[n++] = fd;
                }
        }
        for (; j < k->n; j++)
                if (k->pidfds[j] >= 0)
                        close(k->pidfds[j]);
        free(k->pids);
        free(k->pidfds);
        *k = (KernelThreads) { .pids = TAKE_PTR(pids), .pidfds = TAKE_PTR(pidfds), .n = n };
        return 0;
}

bool pid_in(const pid_t *sorted, size_t n, pid_t pid) {
        return n > 0 && bsearch(&pid, sorted, n, sizeof(pid_t), pid_compare);
}

bool kernel_threads_has(const KernelThreads *k, pid_t pid) {
        return pid_in(k->pids, k->n, pid);
}
