/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "bus-options.h"
#include "macro.h"
#include "restore-options.h"

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

/* What one Restore call says: the job's options, and where more of its
 * paths are. */
typedef struct RestoreCall {
        RestoreOptions options;
        int paths_fd;
} RestoreCall;

static const BusOption restore_options[] = {
        BUS_OPTION_BOOL("recursive", RestoreCall, options.recursive),
        BUS_OPTION_BOOL("dry-run", RestoreCall, options.dry_run),
        BUS_OPTION_ENUM("mode", mode_names, RestoreCall, options.mode),
        BUS_OPTION_ENUM("method", method_names, RestoreCall, options.method),
        BUS_OPTION_FD("paths-fd", RestoreCall, paths_fd),
};

int restore_options_read(sd_bus_message *m, RestoreOptions *ret, int *ret_paths_fd, sd_bus_error *error) {
        RestoreCall c = {
                .options = { .mode = RESTORE_MODE_WHITEOUT, .method = RESTORE_METHOD_AUTO },
                .paths_fd = -EBADF,
        };
        int r;

        /* (the enums are stored as ints: bus-options.h) */
        _Static_assert(sizeof(RestoreMode) == sizeof(int) && sizeof(RestoreMethod) == sizeof(int), "enums as ints");
        r = bus_read_options(m, "Restore", restore_options, ELEMENTSOF(restore_options), &c, error);
        if (r < 0)
                return r;
        *ret = c.options;
        *ret_paths_fd = c.paths_fd;
        return 0;
}
