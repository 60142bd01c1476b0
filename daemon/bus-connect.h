/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "manager.h"

/* Connects to the system bus and asks for BUS_NAME (asynchronously; a
 * refusal ends the event loop with an error).  With @may_wait, a bus that
 * is not there yet is waited for (inotify on its socket's directory, or
 * retries) and 0 returned. */
int manager_connect_bus(Manager *m, bool may_wait);
