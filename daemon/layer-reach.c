/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reaching an overlay's layer directories beneath the mounts that cover
 * them (see layer-reach.h).
 *
 * overlayfs resolved each layer path when the overlay was mounted.  The
 * mount table lists mounts in the order they were made, so the mount that
 * held a layer directory then is the last, deepest mount at or above its
 * path among those listed before the overlay.  If that is still what the
 * path resolves into, the path is opened as it is.  If a later mount
 * covers it (Calculinux: the overlay itself, mounted on its lower
 * directory), the directory is opened in a detached clone of the mount
 * that held it, without that mount's submounts, where the covering mount
 * does not exist. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "layer-reach.h"
#include "macro.h"
#include "mount-util.h"
#include "path-util.h"

#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif

/* The mount @path resolves into among the mounts listed before @stop (all
 * of them when @stop is NULL): the last of the deepest mount points at or
 * above @path. */
struct libmnt_fs *mount_holding(struct libmnt_table *tb, const char *path, struct libmnt_fs *stop) {
        struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
        struct libmnt_fs *fs, *best = NULL;
        size_t best_len = 0;

        if (!it)
                return NULL;
        while (mnt_table_next_fs(tb, it, &fs) == 0 && fs != stop) {
                const char *t = mnt_fs_get_target(fs);
                size_t l = t ? strlen(t) : 0;

                if (t && path_below(path, t) && l >= best_len) {
                        best = fs;
                        best_len = l;
                }
        }
        mnt_free_iter(it);
        return best;
}

/* Never the merged view itself: a descriptor on the overlay's own
 * superblock would read the wrong thing and keep it busy. */
static int check_not_overlay(int fd, struct libmnt_fs *ovl) {
        struct stat st;

        if (fstat(fd, &st) < 0) {
                int r = negative_errno();
                close(fd);
                return r;
        }
        if (st.st_dev == mnt_fs_get_devno(ovl)) {
                close(fd);
                return -EBUSY;
        }
        return fd;
}

int layer_reach_dir(struct libmnt_table *tb, struct libmnt_fs *ovl, const char *dir) {
        _cleanup_free_ char *path = path_simplify_dup(dir);
        _cleanup_close_ int top = -1, tree = -1;
        struct libmnt_fs *then, *now;
        const char *target, *rel;
        struct stat st;
        int id, fd;

        if (!path)
                return -ENOMEM;
        if (path[0] != '/' || strstr(path, "/../") || (strlen(path) >= 3 && streq(path + strlen(path) - 3, "/..")))
                return -EINVAL;
        then = mount_holding(tb, path, ovl);
        now = mount_holding(tb, path, NULL);
        if (!then || then == now) {
                fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
                return fd < 0 ? negative_errno() : check_not_overlay(fd, ovl);
        }
        /* Covered since, by the overlay itself (Calculinux): anything else
         * covering a layer is not ours to look beneath. */
        if (now != ovl)
                return -EBUSY;

        /* Reach the mount that held it through its own mount point, which
         * must still lead to it (its ID and device: IDs are reused). */
        target = mnt_fs_get_target(then);
        top = open(target, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (top < 0)
                return negative_errno();
        id = fd_mount_id(top);
        if (id < 0)
                return id;
        if (id != mnt_fs_get_id(then) || fstat(top, &st) < 0 || st.st_dev != mnt_fs_get_devno(then))
                return -EBUSY;
        tree = (int) syscall(SYS_open_tree, top, "", OPEN_TREE_CLONE | O_CLOEXEC | AT_EMPTY_PATH);
        if (tree < 0)
                return negative_errno();
        rel = path_below(path, target);
        fd = openat_beneath(tree, rel ? rel : "", O_PATH | O_DIRECTORY);
        return fd < 0 ? fd : check_not_overlay(fd, ovl);
}

typedef struct Reach {
        struct libmnt_table *tb;
        struct libmnt_fs *ovl;
} Reach;

static int reach_one(const char *dir, void *userdata) {
        Reach *r = userdata;

        return layer_reach_dir(r->tb, r->ovl, dir);
}

int layers_open_reached(Layers *ret, struct libmnt_table *tb, struct libmnt_fs *ovl,
                        const char *upper_dir, char * const *lower_dirs, bool userxattr) {
        Reach r = { .tb = tb, .ovl = ovl };

        return layers_open_with(ret, upper_dir, lower_dirs, userxattr, reach_one, &r);
}
