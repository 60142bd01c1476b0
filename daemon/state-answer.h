/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "manager.h"

/* GetState of more paths than this is answered by a worker (worker-pool.h),
 * so that it stalls no other caller; fewer are answered at once. */
#define STATE_INLINE_MAX 64
/* Such calls at once over all callers other than root (the next:
 * LimitExceeded, before polkit is asked); root's are not limited. */
#define STATE_WORKERS_MAX 4

/* A place among the STATE_WORKERS_MAX for a GetState of @n paths by a
 * caller of @uid, taken before polkit is asked: 1 taken (give it to
 * state_answer(), or back with state_answer_release()), 0 none needed,
 * -EBUSY all taken. */
int state_answer_reserve(Manager *m, size_t n, uid_t uid);
void state_answer_release(Manager *m);

/* Answers GetState(@paths) for @message, authorized for the overlays
 * @mounts (@paths[i]'s is @mounts[@which[i]]): each path's overlay opened
 * once, each state read as the caller could read it.  Takes @paths (an
 * array of @n of @message's own strings, which it holds a reference to),
 * @mounts and @which, and the place @reserved; replies (or fails the
 * call) now or from the worker. */
void state_answer(Manager *m, sd_bus_message *message, const char **paths, size_t n, char **mounts,
                  size_t *which, bool reserved);
