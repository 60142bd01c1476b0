/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "ovl-ioctl.h"
#include "scan-file.h"

/* Reads an "as" into a NULL-terminated array of its strings, which stay
 * @m's (valid while @m is referenced: nothing is copied but the array);
 * at most @max entries, else -E2BIG (LimitExceeded for the caller). */
int bus_read_strings(sd_bus_message *m, unsigned max, const char ***ret, size_t *ret_n);

/* A method return to @call with an open array of @contents. */
int bus_reply_array_new(sd_bus_message *call, const char *contents, sd_bus_message **ret);
/* Closes the array and sends the reply, unless @r (an earlier failure) is
 * negative; frees it in any case and returns the first failure. */
int bus_reply_array_send(sd_bus_message *reply, int r);

/* The largest GetState or Scan reply sent: the system bus carries no
 * message over 32 MiB (dbus-daemon's max_message_size), and a bus daemon
 * sent a larger one drops the sender's connection: the daemon would lose
 * the bus, its jobs' callers with it, for one caller's question. */
#define BUS_REPLY_BYTES_MAX (30u << 20)
/* What one (ssasu) of a @path_len-byte path can take in a reply, at most:
 * the path's string (length, NUL, padding), the state's, its flags (the
 * longest three), the mode, the struct's alignment. */
#define BUS_STATE_ENTRY_BYTES(path_len) ((size_t) (path_len) + 128)

/* Appends "s" @s, @len bytes that sd-bus would take: valid UTF-8 as it
 * counts it (bus-path.h's utf8_valid()), no NUL.  That is so of a bus form
 * (bus-path.h), of a string read from a message and of our constants;
 * sd-bus does not check it again, which in a large Scan's reply was a
 * fifth of its building (a call per character).  A string it would not
 * take makes dbus-daemon drop the daemon's connection: nothing else. */
int bus_append_checked_string(sd_bus_message *m, const char *s, size_t len);
/* A name from the file system (a mount point, a layer), in the bus form
 * (bus-path.h): "s". */
int bus_append_path(sd_bus_message *m, const char *raw);
/* The bus form of @rel below @mount_point (path_join_below()): in @buf
 * (@size bytes) where it needs no escape, else in *@ret_encoded (a new
 * string, NULL before).  Its length, or -ENAMETOOLONG, -ENOMEM. */
ssize_t bus_path_below(char *buf, size_t size, const char *mount_point, const char *rel, char **ret_encoded);
/* Appends (path, state, flags as "as", mode) for GetState and Scan; @path
 * in the bus form. */
int bus_append_state(sd_bus_message *reply, const char *path, const OvlState *st);
/* The flags of a Scan entry, in the reply's order, into @ret: its
 * state's (opaque, no-lower-dir), then what "compare" found
 * (state.h's ScanEntry.diff): added, type, mode, owner, content, xattrs,
 * unreadable, or unchanged.  How many. */
size_t scan_entry_flags(const OvlState *st, unsigned diff, const char *ret[static SCAN_FILE_FLAGS_MAX]);
/* Appends a Scan entry as bus_append_state() does (@path_len bytes of
 * @path), with scan_entry_flags() as its flags. */
int bus_append_scan_entry(sd_bus_message *reply, const char *path, size_t path_len, const OvlState *st,
                          unsigned diff);

/* Property getters for SD_BUS_PROPERTY(..., offsetof(Type, field), ...),
 * where sd-bus's own (a NULL getter) cannot do: a name from the file
 * system (char *, in the bus form), a bool, an _Atomic uint64_t. */
int bus_property_get_path(sd_bus *bus, const char *path, const char *interface, const char *property,
                          sd_bus_message *reply, void *userdata, sd_bus_error *error);
int bus_property_get_bool(sd_bus *bus, const char *path, const char *interface, const char *property,
                          sd_bus_message *reply, void *userdata, sd_bus_error *error);
int bus_property_get_atomic_u64(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error);

/* For an object type's find and node enumerator callbacks (fallback
 * vtables): @step gives an object's path (NULL: it is not on the bus)
 * and the next object of its list. */
typedef const char *(*bus_list_step_t)(const void *object, const void **next);
/* 1 and the object at @path in the list from @first, or 0. */
int bus_list_find(const void *first, bus_list_step_t step, const char *path, void **found);
/* The paths of the list's objects on the bus, as a node enumerator returns them. */
int bus_list_nodes(const void *first, bus_list_step_t step, char ***ret);
