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

#include "macro.h"
#include "path-util.h"
#include "restore-expand.h"
#include "strv.h"

typedef struct Expand {
        Layers *l;
        const char *mount_point;
        bool copies;            /* discard: upper copies; else whiteouts */
        size_t max;
        StrvBuilder *out;
} Expand;

static int push(Expand *e, const char *rel) {
        _cleanup_free_ char *merged = NULL;

        if (e->out->n >= e->max)
                return -E2BIG;
        if (asprintf(&merged, "%s/%s", streq(e->mount_point, "/") ? "" : e->mount_point, rel) < 0)
                return -ENOMEM;
        if (strlen(merged) >= PATH_MAX)
                return -ENAMETOOLONG;
        return strv_builder_push(e->out, merged);
}

static bool is_dir(int dirfd, const struct dirent *de) {
        struct stat st;

        if (de->d_type != DT_UNKNOWN)
                return de->d_type == DT_DIR;
        return fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

static void closedirp(DIR **d) {
        if (*d)
                closedir(*d);
}

/* Below the upper directory @rel ("" the layer's root): the whiteouts, or
 * the upper copies of lower non-directories, a directory's subdirectories
 * before its own entries.  An opaque directory hides what lies below it:
 * nothing in it is either. */
static int walk(Expand *e, const char *rel, unsigned depth) {
        _cleanup_(strv_builder_done) StrvBuilder files = {};
        __attribute__((cleanup(closedirp))) DIR *d = NULL;
        int fd, r = 0;

        if (depth > EXPAND_DEPTH_MAX)
                return -ELOOP;
        fd = openat_beneath(e->l->upper_fd, rel, O_RDONLY | O_DIRECTORY);
        if (fd < 0)
                return fd == -ENOENT || fd == -ENOTDIR ? 0 : fd;
        d = fdopendir(fd);
        if (!d) {
                r = negative_errno();
                close(fd);
                return r;
        }
        for (;;) {
                _cleanup_free_ char *sub = NULL;
                struct dirent *de;
                int lower = 0;

                errno = 0;
                de = readdir(d);
                if (!de) {
                        if (errno)
                                return -errno;
                        break;
                }
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (asprintf(&sub, "%s%s%s", rel, *rel ? "/" : "", de->d_name) < 0)
                        return -ENOMEM;
                if (layers_is_whiteout(e->l, dirfd(d), de->d_name))
                        r = e->copies ? 0 : push(e, sub);
                else if (is_dir(dirfd(d), de))
                        r = layers_is_opaque_dir(e->l, dirfd(d), de->d_name) ? 0 : walk(e, sub, depth + 1);
                else if (e->copies) {
                        r = layers_lookup(e->l, sub, NULL, &lower);
                        if (r == -ENOENT)       /* (gone meanwhile) */
                                r = 0;
                        else if (r >= 0 && lower > 0)
                                r = strv_builder_push(&files, sub);
                }
                if (r < 0)
                        return r;
        }
        /* a directory's own copies once those of its subdirectories are in */
        for (size_t i = 0; i < files.n; i++) {
                r = push(e, files.l[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

int restore_expand(Layers *l, const char *mount_point, char **paths, const RestoreOptions *o, size_t max,
                   char ***ret, char ***ret_empty) {
        _cleanup_(strv_builder_done) StrvBuilder out = {}, empty = {};
        bool discard = o->mode == RESTORE_MODE_DISCARD;
        Expand e = {
                .l = l,
                .mount_point = mount_point,
                .copies = discard,
                .max = max,
                .out = &out,
        };
        int r;

        for (size_t i = 0; paths[i]; i++) {
                const char *rel = path_below(paths[i], mount_point);
                bool dir = false;
                size_t before;
                OvlState st;

                if (o->recursive && o->mode != RESTORE_MODE_OPAQUE && rel && l->upper_fd >= 0)
                        dir = !*rel || (layers_state(l, rel, &st) >= 0 && st.state == OVL_STATE_UPPER &&
                                        S_ISDIR(st.mode));
                /* (the mount point is no entry; a discard takes what is below) */
                if (!dir || (!discard && *rel)) {
                        if (out.n >= max)
                                return -E2BIG;
                        r = strv_builder_push(&out, paths[i]);
                        if (r < 0)
                                return r;
                }
                if (!dir)
                        continue;
                before = out.n;
                r = walk(&e, rel, 0);
                if (r < 0)
                        return r;
                if (discard && out.n == before) {
                        r = strv_builder_push(&empty, paths[i]);
                        if (r < 0)
                                return r;
                }
        }
        *ret = strv_builder_finish(&out);
        *ret_empty = strv_builder_finish(&empty);
        if (!*ret || !*ret_empty) {
                *ret = strv_free(*ret);
                *ret_empty = strv_free(*ret_empty);
                return -ENOMEM;
        }
        return 0;
}
