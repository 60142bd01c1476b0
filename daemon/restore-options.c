/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "restore.h"

static const char *const mode_names[] = {
        [RESTORE_MODE_WHITEOUT] = "whiteout",
        [RESTORE_MODE_OPAQUE] = "opaque",
        [RESTORE_MODE_DISCARD] = "discard",
};

static const char *const method_names[] = {
        [RESTORE_METHOD_AUTO] = "auto",
        [RESTORE_METHOD_IOCTL] = "ioctl",
        [RESTORE_METHOD_REMOUNT] = "remount",
        [RESTORE_METHOD_DEFERRED] = "deferred",
};

const char *restore_mode_to_string(RestoreMode m) {
        return mode_names[m];
}

const char *restore_method_to_string(RestoreMethod m) {
        return method_names[m];
}

static const char *const outcome_names[] = {
        [OUTCOME_RESTORED] = "restored",
        [OUTCOME_SKIPPED] = "skipped",
        [OUTCOME_FAILED] = "failed",
        [OUTCOME_WOULD_RESTORE] = "would-restore",
        [OUTCOME_CANCELLED] = "cancelled",
        [OUTCOME_DEFERRED] = "deferred",
};

const char *restore_outcome_to_string(RestoreOutcome o) {
        return outcome_names[o];
}

static int lookup(const char *const *names, size_t n, const char *s) {
        for (size_t i = 0; i < n; i++)
                if (streq(names[i], s))
                        return (int) i;
        return -EINVAL;
}

int restore_options_read(sd_bus_message *m, RestoreOptions *ret, sd_bus_error *error) {
        RestoreOptions o = { .mode = RESTORE_MODE_WHITEOUT, .method = RESTORE_METHOD_AUTO };
        const char *key;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *s;
                int b, v;

                r = sd_bus_message_read(m, "s", &key);
                if (r < 0)
                        return r;
                if (streq(key, "recursive") || streq(key, "dry-run")) {
                        r = sd_bus_message_enter_container(m, 'v', "b");
                        if (r < 0)
                                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                         "Option '%s' takes a boolean (b).", key);
                        r = sd_bus_message_read(m, "b", &b);
                        if (r < 0)
                                return r;
                        if (streq(key, "recursive"))
                                o.recursive = b;
                        else
                                o.dry_run = b;
                } else if (streq(key, "mode") || streq(key, "method")) {
                        bool is_mode = streq(key, "mode");

                        r = sd_bus_message_enter_container(m, 'v', "s");
                        if (r < 0)
                                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                         "Option '%s' takes a string (s).", key);
                        r = sd_bus_message_read(m, "s", &s);
                        if (r < 0)
                                return r;
                        v = is_mode ? lookup(mode_names, ELEMENTSOF(mode_names), s)
                                    : lookup(method_names, ELEMENTSOF(method_names), s);
                        if (v < 0)
                                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                         is_mode ? "Unknown mode '%s': use whiteout, opaque or discard."
                                                                 : "Unknown method '%s': use auto, ioctl, remount or deferred.",
                                                         s);
                        if (is_mode)
                                o.mode = (RestoreMode) v;
                        else
                                o.method = (RestoreMethod) v;
                } else
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "Unknown option '%s': known are recursive, dry-run, mode, method.",
                                                 key);
                r = sd_bus_message_exit_container(m); /* v */
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m); /* e */
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        *ret = o;
        return 0;
}
