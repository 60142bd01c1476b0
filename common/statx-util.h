/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* struct statx and its STATX_* masks from whichever header has them:
 * glibc's <sys/stat.h> (with _GNU_SOURCE: the kernel's, taken in), musl's
 * since 1.2.5 (its own, which the kernel's <linux/stat.h> would define
 * again: an error), else the kernel's (musl before 1.2.5).  statx() itself
 * is called through syscall(SYS_statx, ...): musl before 1.2.5 has none. */
#include <sys/stat.h>
#ifndef STATX_TYPE
#include <linux/stat.h>
#endif
#ifndef STATX_MNT_ID
#define STATX_MNT_ID 0x00001000U        /* (Linux 5.8; older headers) */
#endif
