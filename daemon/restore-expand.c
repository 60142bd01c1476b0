/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a recursive job expands a directory to (restore-expand.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io-util.h"
#include "macro.h"
#include "path-util.h"
#include "restore-expand.h"

typedef struct Expand {
        Layers *l;
        LayersDir dir;          /* the directory of the entries being looked up */
        bool copies;            /* discard: upper copies; else whiteouts */
        size_t max;
        size_t room;            /* what a path relative to the mount point may take */
        size_t base;            /* the index of extra's first entry */
        PathList *extra;
        IndexList *work;
        char rel[PATH_MAX];     /* the entry being looked at */
} Expand;

/* The entry in e->rel, added to the paths: its index. */
static int64_t add_path(Expand *e, size_t len) {
        int64_t i;

        if (e->extra->n >= e->max)
                return -E2BIG;
        if (len >= e->room)
                return -ENAMETOOLONG;
        i = path_list_add(e->extra, e->rel, len);
        return i < 0 ? i : (int64_t) e->base + i;
}

static int push(Expand *e, uint32_t i) {
        if (e->work->n >= e->max)
                return -E2BIG;
        return index_list_push(e->work, i);
}

static bool is_dir(int dirfd, const struct dirent *de) {
        struct stat st;

        if (de->d_type != DT_UNKNOWN)
                return de->d_type == DT_DIR;
        return fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

/* Below the upper directory e->rel (@len bytes; "" the layer's root): the
 * whiteouts, or the upper copies of lower non-directories, a directory's
 * subdirectories before its own entries.  An opaque directory hides what
 * lies below it: nothing in it is either. */
static int walk(Expand *e, size_t len, unsigned depth) {
        _cleanup_(index_list_done) IndexList files = {};
        _cleanup_(closedirp) DIR *d = NULL;
        int fd, r = 0;

        if (depth > EXPAND_DEPTH_MAX)
                return -ELOOP;
        fd = openat_beneath(e->l->upper_fd, e->rel, O_RDONLY | O_DIRECTORY);
        if (fd < 0)
                return fd == -ENOENT || fd == -ENOTDIR ? 0 : fd;
        d = fdopendir(fd);
        if (!d) {
                r = negative_errno();
                close(fd);
                return r;
        }
        for (;;) {
                struct dirent *de;
                size_t sub;
                int64_t i;
                int lower = 0;

                errno = 0;
                de = readdir(d);
                if (!de) {
                        if (errno)
                                return -errno;
                        break;
                }
                if (dot_or_dot_dot(de->d_name))
                        continue;
                /* (too long a path fails the job where it would be taken
                 * or walked: a whiteout in mode whiteout, a directory that
                 * is not opaque, any upper non-directory in mode discard
                 * (whether a lower entry shows below it needs the path);
                 * other entries are passed over) */
                sub = len + (len ? 1 : 0) + strlen(de->d_name);
                if (sub >= e->room) {
                        if (layers_is_whiteout(e->l, dirfd(d), de->d_name) ? !e->copies :
                            is_dir(dirfd(d), de) ? !layers_is_opaque_dir(e->l, dirfd(d), de->d_name) :
                            e->copies)
                                return -ENAMETOOLONG;
                        continue;
                }
                if (len)
                        e->rel[len] = '/';
                strcpy(e->rel + len + (len ? 1 : 0), de->d_name);
                if (layers_is_whiteout(e->l, dirfd(d), de->d_name)) {
                        if (!e->copies) {
                                i = add_path(e, sub);
                                r = i < 0 ? (int) i : push(e, (uint32_t) i);
                        }
                } else if (is_dir(dirfd(d), de))
                        r = layers_is_opaque_dir(e->l, dirfd(d), de->d_name) ? 0 : walk(e, sub, depth + 1);
                else if (e->copies) {
                        r = layers_lookup_in(e->l, &e->dir, e->rel, NULL, &lower, NULL, NULL);
                        if (r == -ENOENT)       /* (gone meanwhile) */
                                r = 0;
                        else if (r >= 0 && lower > 0) {
                                i = add_path(e, sub);
                                r = i < 0 ? (int) i : index_list_push(&files, (uint32_t) i);
                        }
                }
                e->rel[len] = '\0';
                if (r < 0)
                        return r;
        }
        /* a directory's own copies once those of its subdirectories are in */
        for (size_t k = 0; k < files.n; k++) {
                r = push(e, files.l[k]);
                if (r < 0)
                        return r;
        }
        return 0;
}

int restore_expand(Layers *l, const char *mount_point, const PathList *given, const RestoreOptions *o,
                   size_t max, PathList *ret_extra, IndexList *ret_work, IndexList *ret_empty) {
        _cleanup_(index_list_done) IndexList work = {}, empty = {};
        _cleanup_(path_list_done) PathList extra = {};
        bool discard = o->mode == RESTORE_MODE_DISCARD;
        _cleanup_free_ Expand *e = malloc(sizeof(Expand));
        int r;

        if (!e)
                return -ENOMEM;
        *e = (Expand) {
                .l = l,
                .copies = discard,
                .max = max,
                .base = given->n,
                .extra = &extra,
                /* (mount point, "/", the rest, NUL: below PATH_MAX) */
                .room = PATH_MAX - 1 - (streq(mount_point, "/") ? 0 : strlen(mount_point)),
                .work = &work,
        };
        for (size_t i = 0; i < given->n; i++) {
                const char *rel = path_list_get(given, i);
                bool dir = false;
                size_t before;
                OvlState st;

                if (o->recursive && o->mode != RESTORE_MODE_OPAQUE && l->upper_fd >= 0)
                        dir = !*rel || (layers_state(l, rel, &st) >= 0 && st.state == OVL_STATE_UPPER &&
                                        S_ISDIR(st.mode));
                /* (the mount point is no entry; a discard takes what is below) */
                if (!dir || (!discard && *rel)) {
                        r = push(e, (uint32_t) i);
                        if (r < 0)
                                return r;
                }
                if (!dir)
                        continue;
                before = work.n;
                if (strlen(rel) >= e->room)
                        return -ENAMETOOLONG;
                strcpy(e->rel, rel);
                r = walk(e, strlen(rel), 0);
                layers_dir_done(&e->dir);
                if (r < 0)
                        return r;
                if (discard && work.n == before) {
                        r = index_list_push(&empty, (uint32_t) i);
                        if (r < 0)
                                return r;
                }
        }
        *ret_work = work;
        *ret_empty = empty;
        *ret_extra = extra;
        work = empty = (IndexList) {};
        extra = (PathList) {};
        return 0;
}
