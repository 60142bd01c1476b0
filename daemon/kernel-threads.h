/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The kernel threads a /proc shows: the children of kthreadd, when its PID
 * 2 is kthreadd (the first PID namespace's /proc; any other shows none),
 * sorted.  A look at every process's mount table can read kthreadd's own
 * and pass over these: each is in kthreadd's mount namespace, but for
 * kdevtmpfs, whose namespace holds devtmpfs alone.  A user-mode helper
 * the kernel starts is kthreadd's child too (CLONE_PARENT) until it ends,
 * and is passed over with them. */
typedef struct KernelThreads {
        pid_t *pids;
        size_t n;
} KernelThreads;

/* From @proc (a procfs mount); none, and 0, if it lists none, or has no
 * children files (CONFIG_PROC_CHILDREN). */
int kernel_threads_read(const char *proc, KernelThreads *ret);
bool kernel_threads_has(const KernelThreads *k, pid_t pid);
void kernel_threads_done(KernelThreads *k);
