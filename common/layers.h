/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers of an overlay, read directly and never followed out of:
 * every open is beneath a layer's root, with no symlinks and no mount
 * crossings (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | ...).  Used
 * where the kernel lacks the restore ioctls, to answer what overlayfs
 * would, and to edit an upper layer while its overlay is unmounted. */

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "ovl-ioctl.h"

typedef struct Layers {
        int upper_fd;           /* -1: no upper layer */
        int *lower_fds;
        size_t n_lower;
        bool userxattr;         /* "user.overlay." instead of "trusted.overlay." */
} Layers;

/* Opens the layer directories by their paths. */
int layers_open(Layers *ret, const char *upper_dir, char * const *lower_dirs, bool userxattr);
/* The same with @open_dir(dir, userdata) returning an O_PATH directory fd
 * or a negative errno for each. */
int layers_open_with(Layers *ret, const char *upper_dir, char * const *lower_dirs, bool userxattr,
                     int (*open_dir)(const char *dir, void *userdata), void *userdata);
void layers_close(Layers *l);
/* Do these paths lead to the directories @l has open (as mount(2) would
 * resolve them now)? */
bool layers_match_paths(const Layers *l, const char *upper_dir, char * const *lower_dirs);
/* The same, for the paths that are not at or below @skip_below (those the
 * overlay mounted there covers itself). */
bool layers_match_paths_outside(const Layers *l, const char *upper_dir, char * const *lower_dirs,
                                const char *skip_below);
/* The same layers, on descriptors of its own. */
int layers_dup(Layers *ret, const Layers *l);

/* Opens @rel (relative, "" for the root) beneath @dirfd. */
int openat_beneath(int dirfd, const char *rel, int flags);

/* The state of entry @rel (relative to the mount point, not "") as
 * OVL_IOC_UPPER_STATE would report it.  -ENOENT: the parent is not a
 * directory of the merged view. */
int layers_state(Layers *l, const char *rel, OvlState *ret);

/* 1 if a lower layer holds an entry @rel that would show once the upper
 * whiteout is gone, 0 if not. */
int layers_lower_visible(Layers *l, const char *rel);

/* Both at once, with one walk of the layers. */
int layers_lookup(Layers *l, const char *rel, OvlState *ret_state, int *ret_lower);
/* The same, keeping the directories that hold the entry for the caller to
 * close: *ret_upper_dir the upper layer's (-1 if it has no entry there),
 * *ret_lower_dir that of the lower layer whose entry shows below it (-1 if
 * none does). */
int layers_lookup_at(Layers *l, const char *rel, OvlState *ret_state, int *ret_lower,
                     int *ret_upper_dir, int *ret_lower_dir);

/* The names one lower directory holds (layers.c). */
typedef struct LayersNames LayersNames;

/* A directory of the merged view as layers_lookup_in() found it last:
 * the entries of one directory, one after another, cost their own stats
 * only.  Zero-initialized; layers_dir_done() closes it. */
typedef struct LayersDir {
        char *dir;              /* relative, "" the root; NULL: none yet */
        int *fds, *idx;         /* the layers merging there (idx 0 = upper), upper first */
        int n;                  /* how many, or a negative errno */

        /* Set by the caller (kept by layers_dir_done()): many lookups in a
         * row are coming, and the lower layers' answers only tell whether
         * an entry shows below (never why an edit is safe).  Then, once a
         * directory has had enough lookups, each lower directory is listed
         * once (if it holds at most as many entries as the lookups
         * expected or made), and a name it holds as anything but a possible
         * whiteout is known without a stat. */
        bool list_lower;
        /* Set by the caller (kept by layers_dir_done()): a layer's step
         * that this thread's credentials may not take (EACCES, EPERM)
         * fails the lookup with -EACCES, rather than leaving that layer
         * out (as a caller's lookup must: it cannot tell, which is not
         * "none"; root's lookups leave a layer it may not read out, as
         * before). */
        bool fail_on_denied;
        /* Set by the caller before a lookup that may enter a directory
         * (kept by layers_dir_done()): how many lookups in it, this one
         * included, it will make; 0 if it cannot tell. */
        unsigned expect;
        unsigned lookups;       /* in this directory so far */
        unsigned next_listing;  /* the lookup count at which to list */
        LayersNames **names;    /* per layer of fds (NULL: stat each name) */

        /* Set by the caller (kept by layers_dir_done()), or NULL: the
         * listings of directory @dir made ahead of its lookups by
         * layers_dir_list_ahead() (on another thread: a Scan's), once
         * they are complete, or NULL.  Called when a listing in @dir is
         * due; the listings it gives are taken from it. */
        struct LayersDir *(*ahead)(void *userdata, const char *dir);
        void *ahead_userdata;

        /* Over all its directories (kept by layers_dir_done()), for a
         * debug line: lower directories listed, and names stat'ed in a
         * lower layer. */
        unsigned n_listed, n_lower_stats;
        unsigned n_upper_stats; /* upper entries stat'ed */
} LayersDir;
void layers_dir_done(LayersDir *d);
/* Enters directory @dir (relative, "" the root) in @d and lists each
 * lower directory that merges there, as a lookup in @d would once a
 * listing is due, for a lookup count of *@lookups: an atomic the caller
 * may lower meanwhile (UINT_MAX until it knows), read at each entry.  (So
 * a listing that was complete before the count came may hold more
 * entries than a lookup's would: which listings are kept, and what the
 * debug counts say, may then vary from run to run; never an answer.)
 * d->n, or a negative errno. */
int layers_dir_list_ahead(Layers *l, LayersDir *d, const char *dir, const atomic_uint *lookups);
/* layers_lookup_at() with the directory of @rel kept in @d for the next
 * entry of the same directory; *ret_upper_dir and *ret_lower_dir belong
 * to @d (valid until the next call).  The upper layer's entry is looked at
 * last: an edit right after acts on what this saw, as far as one stat
 * can tell.  An edit that changes how a directory merges (an opaque mark
 * cleared) calls layers_dir_done() before the next lookup below it.
 * With neither @ret_lower nor @ret_lower_dir, the lower layers' entries
 * are not looked up (the state alone needs none of them); with neither
 * @ret_state nor @ret_upper_dir, the upper layer's entry is not.
 * -EACCES (with d->fail_on_denied): a directory on the way, in a layer
 * that takes part, is not searchable with this thread's credentials (a
 * caller's), so what merges there cannot be told. */
int layers_lookup_in(Layers *l, LayersDir *d, const char *rel, OvlState *ret_state, int *ret_lower,
                     int *ret_upper_dir, int *ret_lower_dir);

/* The same for an entry whose upper entry the caller has just seen to
 * be a whiteout (a Scan, which reads the upper directories itself): not
 * stat'ed again.  Its state is "whiteout" if the upper directory takes
 * part in the merge there, "none" if not. */
int layers_lookup_whiteout_in(Layers *l, LayersDir *d, const char *rel, OvlState *ret_state, int *ret_lower);

/* Is the entry @name of directory @dirfd a whiteout (char 0/0, or a
 * zero-size file with the overlay.whiteout xattr)? */
bool layers_is_whiteout(Layers *l, int dirfd, const char *name);
/* Is @st that of a whiteout of the first kind, which its stat tells? */
static inline bool layers_stat_is_whiteout_dev(const struct stat *st) {
        return S_ISCHR(st->st_mode) && st->st_rdev == 0;
}
bool layers_is_opaque_dir(Layers *l, int dirfd, const char *name);
