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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "log.h"
#include "lower-ahead.h"
#include "macro.h"
#include "test-hooks.h"
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

/* upper_edit()'s @lower_known for a whiteout whose answer comes later:
 * its edit does not wait for it, its outcome does. */
#define LOWER_LATER (-2)

/* A whiteout's outcome, removed (in a dry run, found) by its edit: by
 * whether the entry it hid shows from a lower layer. */
static EditOutcome whiteout_outcome(bool shows, bool dry_run) {
        if (shows)
                return OUTCOME(dry_run ? OUTCOME_WOULD_RESTORE : OUTCOME_RESTORED, "");
        return OUTCOME(OUTCOME_SKIPPED, dry_run ? "the whiteout hides nothing"
                                                : "the whiteout hid nothing; it was removed");
}

/* Applies @mode to entry @rel (relative to the overlay's root, not "")
 * in the upper layer of @l, whose overlay must not be mounted.  @d keeps
 * the directory of the last entry looked up, for the next.  @lower_known
 * (mode whiteout only; -1 for none): whether the entry shows from a lower
 * layer, as lower-ahead.h found it; it is then not looked up here.
 * LOWER_LATER: not known yet, and not looked up here; a whiteout removed
 * (or found, in a dry run) then sets *@ret_later, and its outcome is
 * whiteout_outcome()'s once that is known. */
static EditOutcome upper_edit(Layers *l, LayersDir *d, const char *rel, RestoreMode mode, bool dry_run,
                              int lower_known, bool *ret_later) {
        const char *slash = strrchr(rel, '/'), *name = slash ? slash + 1 : rel;
        OvlState st;
        int r, lower = lower_known, udir;

        assert(lower_known == -1 || mode == RESTORE_MODE_WHITEOUT);
        *ret_later = false;
        r = layers_lookup_in(l, d, rel, &st, lower_known == -1 ? &lower : NULL, &udir, NULL);
        if (r < 0)
                return OUTCOME(OUTCOME_FAILED, strerror(-r));
        if (mode != RESTORE_MODE_WHITEOUT)
                return edit_other(l, d, rel, mode, dry_run, &st, lower, udir);
        if (st.state != OVL_STATE_WHITEOUT)
                return OUTCOME(OUTCOME_SKIPPED, "not a whiteout (nothing to restore)");
        /* The lookup's stat of the whiteout, through this directory fd,
         * was the last look before the unlink. */
        if (!dry_run && unlinkat(udir, name, 0) < 0)
                return OUTCOME(OUTCOME_FAILED, strerror(errno));
        if (lower == LOWER_LATER) {
                *ret_later = true;
                return OUTCOME(OUTCOME_SKIPPED, "");    /* (not reported) */
        }
        return whiteout_outcome(lower > 0, dry_run);
}

/* Whiteouts edited before the thread ahead had answered for them, in
 * order: each reported once its answer comes, so that no edit waits for
 * one (a listing of 100,000 lower names takes as long as 15,000 edits).
 * Outcomes are still reported in order: another outcome waits for those
 * before it (the edits wait for the thread then).  At most
 * EDITS_AWAITING_MAX at once (a ring of indices, 128 KiB); past that, the
 * edits wait for the first. */
#define EDITS_AWAITING_MAX 32768
#define EDITS_PROGRESS_EVERY 16

typedef struct Edits {
        Layers *l;
        bool dry_run;
        PathAt path;
        void (*report)(void *userdata, size_t i, EditOutcome o);
        void *userdata;
        LowerAhead *ahead;
        uint32_t *awaiting;     /* the ring (NULL: each edit waits for its answer) */
        size_t head, n_awaiting;
        LayersDir own;          /* the lookups of those the thread could not answer */
        size_t own_end;         /* where own.expect's run of them ends */
        unsigned n_own;         /* entries the edits looked up themselves, for the debug line */
        bool warned;
} Edits;

/* Reports the awaited whiteouts, first to last, while the thread has
 * answered for them, and waits for its answers for the first @wait_for of
 * them.  One it could not answer (a failed lookup, or it was stopped:
 * cancelled) is looked up here: removing the whiteout left the lower
 * layers as they were.  Where that fails too, the whiteout is gone (or,
 * in a dry run, would go) and what shows cannot be told: "failed", as an
 * edit's own lookup failing before the edit was, saying so. */
static void edits_report_awaiting(Edits *e, size_t wait_for) {
        /* (the answers come in order: one wait for the last needed,
         * not one for each, lower-ahead.c) */
        if (wait_for > 0 && e->n_awaiting > 0) {
                size_t k = wait_for < e->n_awaiting ? wait_for : e->n_awaiting;

                (void) lower_ahead_get(e->ahead, e->awaiting[(e->head + k - 1) % EDITS_AWAITING_MAX], 0);
        }
        while (e->n_awaiting > 0) {
                size_t i = e->awaiting[e->head];
                int lower = wait_for > 0 ? lower_ahead_get(e->ahead, i, 0) : lower_ahead_peek(e->ahead, i);
                EditOutcome o;

                if (lower == -EAGAIN)
                        return;
                if (lower < 0) {
                        size_t last = e->awaiting[(e->head + e->n_awaiting - 1) % EDITS_AWAITING_MAX];
                        const char *rel = e->path(e->userdata, i);
                        int r;

                        e->n_own++;
                        /* (the lookups to come in this directory: those
                         * awaited after it, at most; a run counted once) */
                        if (i >= e->own_end) {
                                e->own.expect = path_run_in_dir(e->path, e->userdata, i, last + 1);
                                e->own_end = i + e->own.expect;
                        }
                        r = layers_lookup_in(e->l, &e->own, rel, NULL, &lower, NULL, NULL);
                        if (r < 0) {
                                /* (once: its cause, out of memory or of
                                 * descriptors, is likely the others' too) */
                                if (!e->warned) {
                                        /* (a name found on disk, by a recursive job, may
                                         * hold any byte: escaped for the log line) */
                                        _cleanup_free_ char *shown = path_escape_for_log(rel);

                                        log_warning("%s: the lower layers cannot be read to tell what shows (%s); "
                                                    "its outcome and any other such say so.",
                                                    shown ?: "(a path)", strerror(-r));
                                }
                                e->warned = true;
                                lower = -1;
                        }
                }
                if (lower < 0)
                        o = OUTCOME(OUTCOME_FAILED, e->dry_run ? "the lower layers could not be read to tell "
                                                                 "what would show"
                                                               : "the lower layers could not be read to tell "
                                                                 "what shows; it was removed");
                else
                        o = whiteout_outcome(lower > 0, e->dry_run);
                e->report(e->userdata, i, o);
                e->head = (e->head + 1) % EDITS_AWAITING_MAX;
                e->n_awaiting--;
                if (wait_for > 0)
                        wait_for--;
        }
}

/* Entry @i's outcome @o, after those awaited before it. */
static void edits_report(Edits *e, size_t i, EditOutcome o) {
        if (e->n_awaiting > 0)
                edits_report_awaiting(e, SIZE_MAX);
        e->report(e->userdata, i, o);
}

size_t upper_edit_each(Layers *l, RestoreMode mode, bool dry_run, size_t n, PathAt path,
                       void (*report)(void *userdata, size_t i, EditOutcome o), void *userdata,
                       bool lag, atomic_bool *cancel, const char *what) {
        /* (a whiteout mode's lower lookups only tell "restored" from "hid
         * nothing": a listing may answer them, layers.h) */
        _cleanup_(layers_dir_done) LayersDir d = { .list_lower = mode == RESTORE_MODE_WHITEOUT };
        Edits e = { .l = l, .dry_run = dry_run, .path = path, .report = report, .userdata = userdata,
                    .own = { .list_lower = true } };
        unsigned listed = 0, stats = 0, waits = 0;
        bool late = test_lower_ahead_late();
        size_t i, dir_end = 0;

        if (mode == RESTORE_MODE_WHITEOUT) {
                int r = lower_ahead_start(&e.ahead, l, n, path, userdata, cancel);

                if (r < 0)
                        log_debug("%s: cannot look up the lower layers on a thread of their own (%s): the "
                                  "edits look them up", what, strerror(-r));
        }
        /* (the thread lists the lower directories where that is cheaper) */
        if (e.ahead) {
                d.list_lower = false;
                if (lag)
                        e.awaiting = malloc(EDITS_AWAITING_MAX * sizeof(*e.awaiting));
        }
        for (i = 0; i < n; i++) {
                const char *rel = path(userdata, i);
                int lower = -1;
                bool later;
                EditOutcome o;

                if (cancel && atomic_load(cancel))
                        break;
                if (i >= dir_end) {
                        d.expect = path_run_in_dir(path, userdata, i, n);
                        dir_end = i + d.expect;
                }
                if (!*rel) {
                        edits_report(&e, i, OUTCOME(OUTCOME_FAILED, "not an entry of this overlay"));
                        continue;
                }
                if (e.ahead && e.awaiting) {
                        /* (an answer it could not give, known already: the
                         * edit looks the lower layers up before it acts,
                         * as without the thread.  While some before it
                         * wait, from what the edits last learnt of the
                         * thread's progress, at most EDITS_PROGRESS_EVERY
                         * edits ago: an answer given since, as one not
                         * given yet, comes after the edit) */
                        lower = late ? -EAGAIN
                                : e.n_awaiting > 0 ? lower_ahead_known(e.ahead, i)
                                : lower_ahead_peek(e.ahead, i);
                        if (lower == -EAGAIN)
                                lower = LOWER_LATER;
                        else
                                e.n_own += lower < 0;
                } else if (e.ahead) {
                        lower = lower_ahead_get(e.ahead, i, LOWER_AHEAD_BATCH - 1);
                        e.n_own += lower < 0;
                }
                o = upper_edit(l, &d, rel, mode, dry_run, lower, &later);
                if (later) {
                        if (e.n_awaiting == EDITS_AWAITING_MAX)
                                edits_report_awaiting(&e, 1);
                        e.awaiting[(e.head + e.n_awaiting++) % EDITS_AWAITING_MAX] = (uint32_t) i;
                } else
                        edits_report(&e, i, o);
                /* (while they are ahead of the thread, its progress is
                 * looked at every EDITS_PROGRESS_EVERY edits, not each:
                 * lower-ahead.c) */
                if (e.n_awaiting > 0 && !late && i % EDITS_PROGRESS_EVERY == 0)
                        edits_report_awaiting(&e, 0);
        }
        if (e.ahead) {
                edits_report_awaiting(&e, SIZE_MAX);
                lower_ahead_stop(e.ahead, &listed, &stats, &waits);
                /* (with the edits' own lookups, of the entries it could
                 * not answer) */
                listed += e.own.n_listed;
                stats += e.own.n_lower_stats;
                log_debug("%s: lower layers looked up ahead, on a thread of their own (the edits waited for "
                          "it %u time%s, and looked up %u entr%s themselves): lower directories listed: %u, "
                          "names stat'ed in a lower layer: %u", what, waits, waits == 1 ? "" : "s", e.n_own,
                          e.n_own == 1 ? "y" : "ies", listed + d.n_listed, stats + d.n_lower_stats);
        }
        layers_dir_done(&e.own);
        free(e.awaiting);
        return i;
}
