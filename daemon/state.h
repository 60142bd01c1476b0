/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "caller-access.h"
#include "ioctl-path.h"
#include "layers.h"
#include "path-list.h"
#include "manager.h"
#include "ovl-ioctl.h"

/* An overlay to read upper states from: through the kernel's ioctl where
 * the kernel has it, its root opened for 64 reads at a time (a descriptor
 * held on it makes a remount's unmount fail meanwhile; opening an overlay
 * directory costs more than the ioctl), else through its layers, opened
 * once (as root, beneath whatever covers them: they keep nothing of the
 * overlay busy), the last directory looked up kept for the next path.
 * Opened on the event loop; read from any one thread at a time, for one
 * caller. */
typedef struct StateSource {
        char *mount_point;
        bool ioctl;
        int fd;                 /* with the ioctl: the root, or -1 */
        unsigned fd_uses;
        IoctlPath path;         /* with the ioctl: the directory last walked beneath the root */
        bool layer_denied;      /* without it: the last read failed in a layer closed to the caller */
        Layers layers;          /* without it; upper_fd -1: no upper layer, nothing hidden */
        LayersDir dir;
} StateSource;

int state_source_open(OvlMount *mnt, StateSource *ret);
void state_source_close(StateSource *s);
/* Closes what state_source_get() keeps open between reads (the root,
 * the directory). */
void state_source_release(StateSource *s);
/* The upper state of @path (absolute, raw) through @s; the lookup (with
 * the ioctl, the walk to its directory too: ioctl-path.h) made with
 * @caller's credentials (caller-access.h) unless it is root (or NULL), so
 * that what a path changed since a check leads to is still checked.
 * Failures: with @s->path.unmounted, the overlay is no longer what is
 * mounted there; with @s->layer_denied (-EACCES, without the ioctl), a
 * layer's directory on the way is closed to the caller, though the
 * merged view's is not. */
int state_source_get(StateSource *s, const char *path, const CallerCreds *caller, OvlState *ret);
/* After state_source_get() of @path, with @next the path read next
 * through @s (NULL: none): the directory kept is let go of unless @next
 * is in it too.  (A directory held open keeps a clear of its opaque
 * mark, or of one above it, busy: only while its paths are read.) */
void state_source_next(StateSource *s, const char *path, const char *next);

/* ScanEntry.diff: with ScanOptions.compare, LAYERS_DIFF_* (layers-diff.h)
 * and these. */
enum {
        SCAN_COMPARED = 1u << 8,        /* an upper copy compared with what it shadows */
        SCAN_ADDED    = 1u << 9,        /* an upper entry with nothing below it */
};

typedef struct ScanEntry {
        uint32_t path;          /* in ScanResult.paths: relative to the mount point */
        unsigned diff;
        OvlState state;
} ScanEntry;

typedef struct ScanResult {
        ScanEntry *entries;
        size_t n, allocated;
        PathList paths;
} ScanResult;

/* state_scan() hands over what it has found, on its own thread, when an
 * entry is to be added to SCAN_BATCH of them: the callee takes the
 * contents of @found and leaves it empty (or, short of memory, as it was:
 * it grows on, and is handed over again with the next entry).  On a
 * failure of the walk, what was handed over is the caller's to drop. */
#define SCAN_BATCH 2048
typedef void (*ScanFlush)(ScanResult *found, void *userdata);

/* Collects the hidden or shadowed entries at or below @path of the
 * overlay at @mount_point with layers @l: whiteouts over lower entries,
 * opaque directories, upper copies of lower entries.  With @compare, each
 * upper copy also says what differs from the entry it shadows
 * (SCAN_COMPARED and LAYERS_DIFF_*, read with @caller's credentials), and
 * the upper entries with nothing below them come too (SCAN_ADDED).  At
 * most @max, else -E2BIG.  Only what @caller could find itself
 * (caller-access.h): the entries of directories it may list; -EACCES if it
 * may not search the parent of @path.  -ELOOP for directories nested more
 * than 256 deep below @path.  An upper directory that cannot be read
 * through (a readdir() that fails: a damaged file system) fails the walk
 * with its errno, and *@ret_unreadable is that directory (relative to
 * the mount point, malloc'ed; NULL without the memory to say).  In walk
 * order, through @flush (if not NULL) and then, what is left, in @out.
 * Touches no daemon state: it runs in a worker thread. */
int state_scan(Layers *l, const char *mount_point, const char *path, const CallerCreds *caller,
               bool compare, unsigned max, ScanFlush flush, void *userdata, ScanResult *out,
               char **ret_unreadable);
void scan_result_done(ScanResult *r);

/* Checks a caller's path (in the bus form, bus-path.h) and finds its
 * overlay; fills @error on failure.  @ret_raw (optional): the bytes @path
 * stands for, malloc'ed, or NULL when that is @path itself (no backslash:
 * the common case, which costs no allocation). */
int resolve_caller_path(Manager *m, const char *path, bool allow_mount_point,
                        OvlMount **ret, char **ret_raw, sd_bus_error *error);
