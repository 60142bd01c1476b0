/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdatomic.h>
#include <stddef.h>

#include "layers.h"
#include "path-util.h"

/* The lower layers' answers for a run of whiteout removals in an upper
 * layer (a remount job or its dry run, a deferred restore applied at
 * boot), looked up on a thread of their own ahead of the edits, on
 * another CPU: whether the entry a whiteout hides shows from a lower
 * layer once the whiteout is gone.  That answer only tells "restored" from
 * "hid nothing"; what is removed is decided by the edit's own stat of the
 * upper entry.  It depends on the lower layers and on the upper
 * directories above the entry (opaque marks, redirects), which removing
 * whiteouts leaves as they are: it can be had before the edit, in any
 * order.  (A dry run on a mounted overlay reports what it saw; with the
 * answers ahead, that may be some milliseconds older than its stat.)
 *
 * The thread's lookups are those the edits would make (layers_lookup_in()
 * with the lower directories listed where that is cheaper), on
 * descriptors of its own, in the order of the paths.  The edits take the
 * answers as they come; an entry whose lookup failed, or that the thread
 * did not reach, is theirs to look up. */

typedef struct LowerAhead LowerAhead;

/* Starts looking up the @n entries of @path on a copy of @l's layers,
 * until @cancel (NULL: never) is set.  0 with NULL in *@ret where it
 * would not help (one CPU to run on, unless the test hook
 * OVL_RESTORED_LOWER_AHEAD=always says otherwise; fewer than
 * LOWER_AHEAD_MIN entries), a negative errno where it cannot start: the
 * caller looks up each entry itself then.  @path and @userdata stay valid
 * until lower_ahead_stop(). */
#define LOWER_AHEAD_MIN 256
int lower_ahead_start(LowerAhead **ret, const Layers *l, size_t n, PathAt path, void *userdata,
                      atomic_bool *cancel);

/* Entry @i's answer, once the thread has it: 1 it shows from a lower
 * layer, 0 not, -1 look it up yourself.  Where it must wait, it waits for
 * the answers of the @more entries after @i as well (those there are), so
 * that the thread wakes it once for them all.  (Edits that take each
 * answer in turn: LOWER_AHEAD_BATCH - 1.) */
#define LOWER_AHEAD_BATCH 64
int lower_ahead_get(LowerAhead *a, size_t i, size_t more);
/* The same without waiting: -EAGAIN if the thread has not answered yet. */
int lower_ahead_peek(LowerAhead *a, size_t i);
/* The same from what the caller last learnt of the thread's progress,
 * without looking at it again (lower-ahead.c): -EAGAIN past that. */
int lower_ahead_known(LowerAhead *a, size_t i);

/* Stops the thread and frees @a (NULL is fine).  For a debug line: its
 * lower directories listed, names stat'ed, and the times the edits
 * waited for it, added to *@ret_* where not NULL. */
void lower_ahead_stop(LowerAhead *a, unsigned *ret_listed, unsigned *ret_stats, unsigned *ret_waits);

/* A Scan's lower listings, made on a thread of their own while it reads
 * the upper directory (an entry read costs about the same in either):
 * each lower directory that merges at directory @dir, listed as the
 * lookups in @dir would list it once due (layers.h), for at most as many
 * lookups as list_ahead_expect() says once the Scan knows them.  The
 * Scan's LayersDir takes the listings through list_ahead_take() (its
 * "ahead" callback, with the ListAhead as userdata), which waits for the
 * thread.  0 with NULL in *@ret where it would not help (one CPU, unless
 * OVL_RESTORED_LOWER_AHEAD=always), a negative errno where it cannot
 * start. */
typedef struct ListAhead ListAhead;
int list_ahead_start(ListAhead **ret, const Layers *l, const char *dir);
void list_ahead_expect(ListAhead *a, unsigned lookups);
LayersDir *list_ahead_take(void *userdata, const char *dir);
/* Stops the thread (a listing not taken ends at its next entry) and
 * frees @a (NULL is fine); adds its listings made to *@ret_listed. */
void list_ahead_stop(ListAhead *a, unsigned *ret_listed);
