/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Editing the upper layer of an overlay that is not mounted: the remount
 * method (the overlay unmounted for the moment) and deferred restores
 * applied at boot (before it is mounted).  Every open is beneath the
 * layer's root (openat2, no symlinks, no mount crossings), and each entry
 * is removed through the directory fd its lookup stat'ed it through, that
 * stat the last look before the removal (layers_lookup_in()). */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "log.h"
#include "lower-ahead.h"
#include "macro.h"
#include "upper-edit.h"

#define OUTCOME(o, m) ((EditOutcome) { .outcome = (o), .message = (m) })

/* What clearing the opaque marker of upper directory @rel would do, as
 * the kernel's OVL_RESTORE_OPAQUE judges it: 1 a lower directory merges
 * with it, 0 none would (nothing below, or no directory), -EXDEV it carries
 * a redirect (which overlayfs follows once the marker is gone). */
static int opaque_merges(Layers *l, const char *rel) {
        _cleanup_close_ int udir = -1, ldir = -1, fd = -1;
        const char *slash = strrchr(rel, '/'), *name = slash ? slash + 1 : rel;
        char attr[64];
        struct stat sb;
        int r, lower = 0;

        r = layers_lookup_at(l, rel, NULL, &lower, &udir, &ldir);
        if (r < 0)
                return r;
        if (udir >= 0) {
                fd = openat_beneath(udir, name, O_RDONLY | O_DIRECTORY);
                snprintf(attr, sizeof attr, "%s.overlay.redirect", l->userxattr ? "user" : "trusted");
                if (fd >= 0 && fgetxattr(fd, attr, NULL, 0) >= 0)
                        return -EXDEV;
        }
        return lower > 0 && ldir >= 0 && fstatat(ldir, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
                S_ISDIR(sb.st_mode);
}

/* Mode opaque: clear the opaque marker of an upper directory, so that the
 * lower directories merge back (only where one does, as the kernel's flag
 * does).  Mode discard: remove an upper copy (not a directory) that shadows
 * a lower entry, so that the lower one shows.  @udir: the upper directory
 * holding the entry, as the lookup found it. */
static EditOutcome edit_other(Layers *l, LayersDir *d, const char *rel, RestoreMode mode, bool dry_run,
                              const OvlState *st, int lower, int udir) {
        const char *slash = strrchr(rel, '/'), *name = slash ? slash + 1 : rel;
        bool opaque_mode = mode == RESTORE_MODE_OPAQUE;

        if (opaque_mode && !(st->flags & OVL_UPPER_STATE_F_OPAQUE))
                return OUTCOME(OUTCOME_SKIPPED, "not an opaque directory");
        if (opaque_mode) {
                int m = opaque_merges(l, rel);

                if (m == -EXDEV)
                        return OUTCOME(OUTCOME_FAILED, "the upper directory carries a redirect (it was renamed), "
                                       "which overlayfs would follow once the mark is gone");
                if (m < 0)
                        return OUTCOME(OUTCOME_FAILED, strerror(-m));
                if (m == 0)
                        return OUTCOME(OUTCOME_SKIPPED, "no lower directory would merge with it: kept");
        }
        if (!opaque_mode) {
                if (st->state != OVL_STATE_UPPER)
                        return OUTCOME(OUTCOME_SKIPPED, "no upper copy to discard");
                if (S_ISDIR(st->mode))
                        return OUTCOME(OUTCOME_FAILED, "discarding a directory is not supported");
                if (lower <= 0)
                        return OUTCOME(OUTCOME_SKIPPED, "no lower version would show: kept");
        }
        if (dry_run)
                return OUTCOME(OUTCOME_WOULD_RESTORE, "");
        if (opaque_mode) {
                _cleanup_close_ int fd = openat_beneath(udir, name, O_RDONLY | O_DIRECTORY);
                char attr[64];

                if (fd < 0)
                        return OUTCOME(OUTCOME_FAILED, strerror(-fd));
                snprintf(attr, sizeof attr, "%s.overlay.opaque", l->userxattr ? "user" : "trusted");
                /* (below it, directories merge otherwise now) */
                layers_dir_done(d);
                if (fremovexattr(fd, attr) < 0)
                        return OUTCOME(OUTCOME_FAILED, strerror(errno));
                return OUTCOME(OUTCOME_RESTORED, "");
        }
        /* The lookup's stat of the upper entry, through this directory fd,
         * was the last look: a non-directory, not a whiteout. */
        if (unlinkat(udir, name, 0) < 0)
                return OUTCOME(OUTCOME_FAILED, strerror(errno));
        return OUTCOME(OUTCOME_RESTORED, "");
}

/* Applies @mode to entry @rel (relative to the overlay's root, not "")
 * in the upper layer of @l, whose overlay must not be mounted.  @d keeps
 * the directory of the last entry looked up, for the next.  @lower_known
 * (mode whiteout only; -1 for none): whether the entry shows from a lower
 * layer, as lower-ahead.h found it; it is then not looked up here. */
static EditOutcome upper_edit(Layers *l, LayersDir *d, const char *rel, RestoreMode mode, bool dry_run,
                              int lower_known) {
        const char *slash = strrchr(rel, '/'), *name = slash ? slash + 1 : rel;
        OvlState st;
        int r, lower = lower_known, udir;

        assert(lower_known < 0 || mode == RESTORE_MODE_WHITEOUT);
        r = layers_lookup_in(l, d, rel, &st, lower_known < 0 ? &lower : NULL, &udir, NULL);
        if (r < 0)
                return OUTCOME(OUTCOME_FAILED, strerror(-r));
        if (mode != RESTORE_MODE_WHITEOUT)
                return edit_other(l, d, rel, mode, dry_run, &st, lower, udir);
        if (st.state != OVL_STATE_WHITEOUT)
                return OUTCOME(OUTCOME_SKIPPED, "not a whiteout (nothing to restore)");
        if (dry_run) {
                if (lower > 0)
                        return OUTCOME(OUTCOME_WOULD_RESTORE, "");
                else
                        return OUTCOME(OUTCOME_SKIPPED, "the whiteout hides nothing");
        }
        /* The lookup's stat of the whiteout, through this directory fd,
         * was the last look before the unlink. */
        if (unlinkat(udir, name, 0) < 0)
                return OUTCOME(OUTCOME_FAILED, strerror(errno));
        if (lower > 0)
                return OUTCOME(OUTCOME_RESTORED, "");
        return OUTCOME(OUTCOME_SKIPPED, "the whiteout hid nothing; it was removed");
}

size_t upper_edit_each(Layers *l, RestoreMode mode, bool dry_run, size_t n, PathAt path,
                       void (*report)(void *userdata, size_t i, EditOutcome o), void *userdata,
                       atomic_bool *cancel, const char *what) {
        /* (a whiteout mode's lower lookups only tell "restored" from "hid
         * nothing": a listing may answer them, layers.h) */
        _cleanup_(layers_dir_done) LayersDir d = { .list_lower = mode == RESTORE_MODE_WHITEOUT };
        LowerAhead *ahead = NULL;
        unsigned listed = 0, stats = 0, waits = 0, own = 0;
        size_t i, dir_end = 0;

        if (mode == RESTORE_MODE_WHITEOUT) {
                int r = lower_ahead_start(&ahead, l, n, path, userdata, cancel);

                if (r < 0)
                        log_debug("%s: cannot look up the lower layers on a thread of their own (%s): the "
                                  "edits look them up", what, strerror(-r));
        }
        /* (the thread lists the lower directories where that is cheaper) */
        if (ahead)
                d.list_lower = false;
        for (i = 0; i < n; i++) {
                const char *rel = path(userdata, i);
                int lower = -1;

                if (cancel && atomic_load(cancel))
                        break;
                if (i >= dir_end) {
                        d.expect = path_run_in_dir(path, userdata, i, n);
                        dir_end = i + d.expect;
                }
                if (!*rel) {
                        report(userdata, i, OUTCOME(OUTCOME_FAILED, "not an entry of this overlay"));
                        continue;
                }
                if (ahead) {
                        lower = lower_ahead_get(ahead, i);
                        own += lower < 0;
                }
                report(userdata, i, upper_edit(l, &d, rel, mode, dry_run, lower));
        }
        if (ahead) {
                lower_ahead_stop(ahead, &listed, &stats, &waits);
                /* (with the edits' own lookups, of the entries it could
                 * not answer) */
                log_debug("%s: lower layers looked up ahead, on a thread of their own (the edits waited for "
                          "it %u time%s, and looked up %u entr%s themselves): lower directories listed: %u, "
                          "names stat'ed in a lower layer: %u", what, waits, waits == 1 ? "" : "s", own,
                          own == 1 ? "y" : "ies", listed + d.n_listed, stats + d.n_lower_stats);
        }
        return i;
}
