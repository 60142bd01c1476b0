/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "layers.h"
#include "restore.h"

typedef struct EditOutcome {
        RestoreOutcome outcome;
        const char *message;    /* static text ("" for none) */
} EditOutcome;

/* Applies @mode to entry @rel (relative to the overlay's root, not "") in
 * the upper layer of @l, whose overlay must not be mounted: whiteout
 * removes a whiteout, opaque clears a directory's opaque marker, discard
 * removes an upper copy (not a directory) that shadows a lower entry.
 * Nothing else is ever removed. */
/* @d (or NULL) keeps the directory of the last entry looked up: entries
 * of one directory one after another look it up once. */
EditOutcome upper_edit(Layers *l, LayersDir *d, const char *rel, RestoreMode mode, bool dry_run);
