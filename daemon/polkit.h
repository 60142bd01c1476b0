/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

#include "manager.h"

#define ACTION_INSPECT "org.calculinux.overlayrestore1.inspect"
#define ACTION_RESTORE "org.calculinux.overlayrestore1.restore"
#define ACTION_DISCARD "org.calculinux.overlayrestore1.discard"
#define ACTION_MANAGE_JOBS "org.calculinux.overlayrestore1.manage-jobs"
/* One authentication for a request on several overlays (polkit_check_each()) */
#define ACTION_SEVERAL "org.calculinux.overlayrestore1.several-mounts"

/* Called once the decision is known: r > 0 allowed; r < 0 with @error set
 * (AccessDenied, InteractiveAuthorizationRequired, ...) otherwise.  The
 * callback replies to @message itself. */
typedef int (*polkit_callback_t)(sd_bus_message *message, void *userdata, int r,
                                 sd_bus_error *error);

/* Asks polkit whether the sender of @message may do @action, with
 * @details (key, value, ..., NULL) for admins' rules.  Root callers are
 * allowed without asking unless the manager forces the query.  Never
 * blocks: the answer comes through @cb, possibly before this returns;
 * r < 0 (and @cb not called) when the question could not be asked. */
int polkit_check(Manager *m, sd_bus_message *message, const char *action,
                 char **details, polkit_callback_t cb, void *userdata);

/* Asks about @action for the @n sets of @details (one per overlay, n > 0).
 * One set: one question, interactive as the message allows.  Several:
 * each is asked without interaction; a refusal refuses.  Then, if the
 * message allows interaction, the sets answered "authenticate" are asked
 * about in one interactive question (of ACTION_SEVERAL if there are
 * several; details "action", "mount_points", "n_mounts", "paths",
 * "n_paths" and those they share).  @cb gets the refusal, or r > 0 once
 * all is allowed.  The details are copied.  On r < 0 @cb is not called.
 * @held: the bytes the request holds while it waits (polkit_room()). */
int polkit_check_each(Manager *m, sd_bus_message *message, const char *action,
                      char * const * const *details, size_t n, size_t held, polkit_callback_t cb,
                      void *userdata);

/* The "paths" detail: newline-separated, the first POLKIT_PATHS_SHOWN of
 * @l (NULL-terminated), then a line "(N more)" if @total is more.  NULL on
 * ENOMEM. */
#define POLKIT_PATHS_SHOWN 64
char *polkit_join_paths(const char * const *l, size_t total);
/* The same of @total paths below @mount_point, the first of them @rel(@userdata,
 * i): each in the bus form, as a caller names it (bus-path.h), with each
 * control byte also written \xNN, as that form's escapes read (a name a
 * recursive job found may hold one; the detail is a list of lines). */
char *polkit_paths_below(const char *mount_point, const char *(*rel)(const void *userdata, size_t i),
                         const void *userdata, size_t total);

/* Whether @uid may have one more request waiting for polkit's answer,
 * holding @held bytes meanwhile (root is not asked), or LimitExceeded in
 * @error: checked by polkit_check() and polkit_check_each(), and before a
 * large request is read (@held what is known of it then), so that a caller
 * at its limit costs nothing more. */
int polkit_may_wait(Manager *m, uid_t uid, size_t held, sd_bus_error *error);
/* The bytes one more request of @uid may hold while it waits: what its
 * waiting requests leave of max_polkit_bytes_per_uid (SIZE_MAX if it is
 * not asked).  A caller reading a request's paths stops where they would
 * pass it, with polkit_room_exceeded().  What a request holds: 4 KiB for
 * itself; for each path of its message, the string with its length and
 * padding (POLKIT_HELD_IN_MESSAGE); for each path it copies or points to,
 * the copy and POLKIT_HELD_INDEXED bytes for its index (a GetState keeps
 * no copy: its index only); on several overlays, the details of each
 * overlay's question.  So the largest paths-fd (PATHS_FD_MAX of 100,000
 * paths, the last NUL counted if missing) on one overlay fits in the
 * budget alone, and a path of the message costs about twice one of the
 * paths-fd. */
size_t polkit_room(Manager *m, uid_t uid);
#define POLKIT_HELD_PER_REQUEST 4096
#define POLKIT_HELD_IN_MESSAGE(len) ((size_t) (len) + 1 + 8)
#define POLKIT_HELD_INDEXED 16
int polkit_room_exceeded(Manager *m, size_t held, sd_bus_error *error);

/* The caller's effective uid. */
int bus_message_get_uid(sd_bus_message *m, uid_t *ret);
