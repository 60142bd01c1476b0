/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

typedef enum RestoreMode {
        RESTORE_MODE_WHITEOUT,
        RESTORE_MODE_OPAQUE,
        RESTORE_MODE_DISCARD,
} RestoreMode;

typedef enum RestoreMethod {
        RESTORE_METHOD_AUTO,
        RESTORE_METHOD_IOCTL,
        RESTORE_METHOD_REMOUNT,
        RESTORE_METHOD_DEFERRED,
} RestoreMethod;

/* What became of one path (the names are the D-Bus API's). */
typedef enum RestoreOutcome {
        OUTCOME_RESTORED,
        OUTCOME_SKIPPED,
        OUTCOME_FAILED,
        OUTCOME_WOULD_RESTORE,
        OUTCOME_CANCELLED,
        OUTCOME_DEFERRED,
} RestoreOutcome;

typedef struct RestoreOptions {
        bool recursive;
        bool dry_run;
        RestoreMode mode;
        RestoreMethod method;
} RestoreOptions;

const char *restore_mode_to_string(RestoreMode m);
const char *restore_method_to_string(RestoreMethod m);
const char *restore_outcome_to_string(RestoreOutcome o);

/* Reads an a{sv} of restore options; unknown keys, wrong variant types and
 * unknown values are InvalidArgs errors. */
int restore_options_read(sd_bus_message *m, RestoreOptions *ret, sd_bus_error *error);

typedef struct Job Job;

/* Runs in the job's worker thread: does the file-system work of @j. */
void restore_run(Job *j);
