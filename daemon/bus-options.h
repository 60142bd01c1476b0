/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <systemd/sd-bus.h>

#include "macro.h"

/* One key of a method's a{sv} of options: a boolean ("b", stored as a
 * bool at @offset), a string ("s") that must be one of @names (its index
 * stored as an int at @offset), or a file descriptor ("h", stored as an
 * int at @offset: the message's, valid while the message is). */
typedef struct BusOption {
        const char *key;
        char type;
        const char *const *names;
        size_t n_names;
        size_t offset;
} BusOption;

#define BUS_OPTION_BOOL(key, type, field) { key, 'b', NULL, 0, offsetof(type, field) }
#define BUS_OPTION_ENUM(key, names, type, field) { key, 's', names, ELEMENTSOF(names), offsetof(type, field) }
#define BUS_OPTION_FD(key, type, field) { key, 'h', NULL, 0, offsetof(type, field) }

/* Reads an a{sv} of @method's options into @ret, as @options (@n of them)
 * say (at most 64).  Unknown keys, keys given twice, wrong variant types
 * and unknown values are InvalidArgs errors that name what is known. */
int bus_read_options(sd_bus_message *m, const char *method, const BusOption *options, size_t n, void *ret,
                     sd_bus_error *error);
