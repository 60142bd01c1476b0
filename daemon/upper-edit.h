/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>

#include "layers.h"
#include "path-util.h"
#include "restore.h"

typedef struct EditOutcome {
        RestoreOutcome outcome;
        const char *message;    /* static text ("" for none) */
} EditOutcome;

/* Applies @mode to each entry @path(@userdata, i), i from 0 to @n - 1,
 * in that order, in the upper layer of @l, whose overlay must not be
 * mounted: whiteout removes a whiteout, opaque clears a directory's opaque
 * marker, discard removes an upper copy (not a directory) that shadows a
 * lower entry.  Nothing else is ever removed.  The directory of one entry
 * is kept for the next, and mode whiteout's lower lookups go ahead on a
 * thread of their own where they may (lower-ahead.h).  Each outcome,
 * in order: @report(@userdata, i, it); an entry "" is "not an entry of
 * this overlay".  With @lag, a whiteout's outcome may come some edits
 * after it, once its lower answer does, and the edits do not wait for
 * that answer; without, each is reported before the next edit, so that
 * the count of outcomes reported bounds what was edited (the boot step
 * prints them as it goes, and may be cut).  Stops before entry i once
 * @cancel (NULL: never) is set, and returns i (@n when all were edited,
 * and all reported).  @what names the work in a debug line ("Job 4"). */
size_t upper_edit_each(Layers *l, RestoreMode mode, bool dry_run, size_t n, PathAt path,
                       void (*report)(void *userdata, size_t i, EditOutcome o), void *userdata,
                       bool lag, atomic_bool *cancel, const char *what);
