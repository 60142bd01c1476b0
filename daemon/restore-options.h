/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

#include "restore.h"

/* Reads an a{sv} of restore options; unknown keys, wrong variant types and
 * unknown values are InvalidArgs errors.  @ret_paths_fd: the "paths-fd"
 * option, a descriptor the message owns, or -EBADF. */
int restore_options_read(sd_bus_message *m, RestoreOptions *ret, int *ret_paths_fd, sd_bus_error *error);
