/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "manager.h"
#include "ovl-ioctl.h"

/* The upper state of @path on @mnt: the ioctl where the kernel has it,
 * else read from the layers. */
int state_get(OvlMount *mnt, const char *path, OvlState *ret);

/* Appends to @reply (an open "a(ssasu)") the hidden or shadowed entries at
 * or below @path: whiteouts over lower entries, opaque directories, upper
 * copies of lower entries.  At most @max entries, else -E2BIG. */
int state_scan(OvlMount *mnt, const char *path, sd_bus_message *reply, unsigned max);

/* Checks a caller's path and finds its overlay; fills @error on failure. */
int resolve_caller_path(Manager *m, const char *path, bool allow_mount_point,
                        OvlMount **ret, sd_bus_error *error);
