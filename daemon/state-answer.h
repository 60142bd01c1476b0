/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <systemd/sd-bus.h>

#include "manager.h"

/* GetState of more paths than this is answered by a worker (worker-pool.h),
 * so that it stalls no other caller; fewer are answered at once. */
#define STATE_INLINE_MAX 64
/* Such workers at once, over all callers (the next: LimitExceeded). */
#define STATE_WORKERS_MAX 4

/* Answers GetState(@paths) for @message, authorized for the overlays
 * @mounts (@paths[i]'s is @mounts[@which[i]]): each path's overlay opened
 * once, each state read as the caller could read it.  Takes @paths,
 * @mounts and @which; replies (or fails the call) now or from the worker. */
void state_answer(Manager *m, sd_bus_message *message, char **paths, char **mounts, size_t *which);
