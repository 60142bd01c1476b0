/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

/* Manager.ListPending() -> a(ssssas) and Manager.CancelPending(s id): the
 * deferred restores recorded for the next boot (additions to DESIGN.md
 * section 3).  Listing needs the inspect action, cancelling manage-jobs. */
int method_list_pending(sd_bus_message *message, void *userdata, sd_bus_error *error);
int method_cancel_pending(sd_bus_message *message, void *userdata, sd_bus_error *error);

#define PENDING_VTABLE_METHODS                                                                  \
        SD_BUS_METHOD_WITH_ARGS("ListPending", SD_BUS_NO_ARGS,                                  \
                                SD_BUS_RESULT("a(ssssas)", pending),                            \
                                method_list_pending, SD_BUS_VTABLE_UNPRIVILEGED),               \
        SD_BUS_METHOD_WITH_ARGS("CancelPending", SD_BUS_ARGS("s", id), SD_BUS_NO_RESULT,        \
                                method_cancel_pending, SD_BUS_VTABLE_UNPRIVILEGED)
