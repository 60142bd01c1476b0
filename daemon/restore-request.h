/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

#include "manager.h"

/* Manager.Restore (@only = NULL, replies "ao") and Mount.Restore (@only =
 * that mount, replies "o"): validates everything, asks polkit once per
 * overlay touched, and only then creates one job per overlay. */
int restore_request_handle(Manager *m, OvlMount *only, sd_bus_message *message,
                           sd_bus_error *error);
