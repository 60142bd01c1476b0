/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The path handed to the kernel's restore ioctls.  Their walk starts at /
 * and follows links: a user's link inside the overlay could lead it into
 * a FUSE mount whose server never answers, say, or to another directory
 * of the overlay.  So the path's directory is walked beneath the
 * overlay's root first (openat2: no link followed, no mount crossed) and
 * kept open, and the kernel is handed /proc/self/fd/N/NAME: its walk
 * lands in the very directory that was walked, whatever is renamed
 * meanwhile.  Paths of one directory in a row share its walk: a directory
 * renamed while they are worked on is worked on at its new name, as if
 * they had come before the rename; one removed is walked again by its
 * name once the kernel finds no entry (ioctl_path_gone()).  Each walk
 * first checks that the overlay is still what is mounted at its mount
 * point (one covered or unmounted meanwhile is left alone, as the
 * kernel's own walk from / would leave it; the paths of a directory
 * already walked are still worked on).
 *
 * Without /proc (seen once, at the first directory: /proc/self/fd/N is
 * not the directory walked), each path's directory is walked anew and
 * the kernel is handed the path itself; a rename between the two walks
 * could then still swap a link in. */
typedef struct IoctlPath {
        int root_fd;            /* the overlay's root (not owned) */
        const char *mount_point;
        int mnt_id;             /* the overlay's mount (0: not checked) */
        bool root_checked;      /* root_fd is on it; its root: */
        dev_t root_dev;
        ino_t root_ino;
        bool unmounted;         /* seen no longer mounted there (-ESTALE) */
        int dir_fd;             /* the directory last walked, or -1 */
        size_t dir_len;         /* its length in dir[] */
        int proc;               /* /proc/self/fd/N leads there: 1, 0 not, -1 not seen yet */
        bool handed_dir;        /* the last path handed on is through dir_fd */
        char dir[4096];         /* relative to the root, "" the root itself */
        char buf[64 + 256];     /* /proc/self/fd/N/NAME */
        size_t prefix_len;      /* of "/proc/self/fd/N/" in buf[] */
} IoctlPath;

/* Beneath @fd, the root of the overlay mounted at @mp as mount @id (its
 * id in the mount table; 0: not checked). */
#define IOCTL_PATH_INIT(fd, mp, id) \
        ((IoctlPath) { .root_fd = (fd), .mount_point = (mp), .mnt_id = (id), .dir_fd = -1, .proc = -1 })

/* The path to hand the kernel for @rel (relative to the overlay's root;
 * "" the root, handed as @path) in *@ret, valid until the next call: 0;
 * -EXDEV when the directory of @rel goes through a symbolic link or
 * another mount; -ESTALE with p->unmounted set (for good) when the
 * overlay is no longer what is mounted at its mount point (or @root_fd
 * not its root);
 * any other -errno of the walk (-ENOENT, -ENOTDIR: no
 * such directory; -EACCES: the thread's file-system credentials may not
 * search it).  @path is @rel below the mount point, what the kernel gets
 * without /proc. */
int ioctl_path_get(IoctlPath *p, const char *path, const char *rel, const char **ret);
/* After the kernel answered ENOENT (which a directory removed gives): was
 * the directory kept, through which the path was handed on, removed?
 * Then it is let go of, and the next ioctl_path_get() walks its name
 * again. */
bool ioctl_path_gone(IoctlPath *p);
/* Lets go of the directory kept (the struct can be used again). */
void ioctl_path_done(IoctlPath *p);
/* The same, and from now on beneath @root_fd, of the same mount (what
 * was seen of /proc is kept). */
void ioctl_path_reset(IoctlPath *p, int root_fd);
