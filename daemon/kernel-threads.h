/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The kernel threads a /proc shows, known from one look at every
 * process's mount table to the next.  Each is a child of kthreadd (when
 * PID 2 is kthreadd: the /proc of the first PID namespace, and ours) whose
 * stat has PF_KTHREAD; each is held by a pidfd, so that its PID is known
 * to be the same thread as long as that pidfd says it lives.  All share
 * kthreadd's mount namespace, but for kdevtmpfs, whose own holds the
 * initial root and devtmpfs alone: a look can read kthreadd's table and
 * pass over the rest.  A user-mode helper the kernel starts as kthreadd's
 * child (CLONE_PARENT: a core_pattern pipe, a uevent helper) has no
 * PF_KTHREAD, and is not among them. */
typedef struct KernelThreads {
        pid_t *pids;            /* sorted */
        int *pidfds;            /* (pids[i]'s) */
        size_t n;
} KernelThreads;

/* At most this many are kept (each with a descriptor), and no more than
 * an eighth of the descriptors we may have; any more are not known, and
 * their tables are read. */
#define KERNEL_THREADS_MAX 1024

/* Brings @k up to date from @proc (a procfs mount): the kernel threads
 * that went are dropped, new ones stat'ed (a child that is none, at each
 * update; a kernel thread once).  None, and 0, where
 * @proc's PID 2 is not kthreadd, where @proc is not of our PID namespace,
 * where it has no children files (CONFIG_PROC_CHILDREN), before 6.0, or
 * where pidfd_open() is refused.  On an error @k holds none. */
int kernel_threads_update(KernelThreads *k, const char *proc);
bool kernel_threads_has(const KernelThreads *k, pid_t pid);
/* Is @pid among the @n of @sorted? */
bool pid_in(const pid_t *sorted, size_t n, pid_t pid);
/* For qsort() and bsearch() of pid_t. */
int pid_compare(const void *a, const void *b);
void kernel_threads_done(KernelThreads *k);

/* The flags field of a /proc/PID/stat's @text (the seventh after the name,
 * which may hold spaces and parentheses); -EINVAL if there is none. */
int stat_flags_parse(const char *text, unsigned long *ret);
/* The PIDs of a children file's @text ("3 4 5 "), sorted, no repeats. */
int children_parse(const char *text, pid_t **ret, size_t *ret_n);
