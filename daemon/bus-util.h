/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

#include "ovl-ioctl.h"

/* Reads an "as" into a NULL-terminated list; at most @max entries, else
 * -E2BIG (LimitExceeded for the caller). */
int bus_read_strv(sd_bus_message *m, unsigned max, char ***ret);

/* Appends (path, state, flags as "as", mode) for GetState and Scan. */
int bus_append_state(sd_bus_message *reply, const char *path, const OvlState *st);
