/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <libmount.h>
#include <linux/stat.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "macro.h"
#include "mount-options.h"
#include "mount-util.h"
#include "path-util.h"

#ifndef OVERLAYFS_SUPER_MAGIC
#define OVERLAYFS_SUPER_MAGIC 0x794c7630
#endif
#ifndef STATX_MNT_ID
#define STATX_MNT_ID 0x00001000U
#endif

int fd_mount_id(int fd) {
        struct statx stx = {};

        if (syscall(SYS_statx, fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0)
                return negative_errno();
        if (!(stx.stx_mask & STATX_MNT_ID))
                return -EOPNOTSUPP;
        return (int) stx.stx_mnt_id;
}

static bool same_peer_group(struct libmnt_fs *fs, int group) {
        const char *o = mnt_fs_get_optional_fields(fs);

        return group > 0 && o && (o = strstr(o, "shared:")) && atoi(o + 7) == group;
}

/* Is an overlay with this upper layer mounted now?  Then its upper layer
 * must not be edited underneath it.  The same directory, however its path
 * is spelt (Calculinux's preinit writes "/data/overlay//etc/upper"). */
bool overlay_upper_in_use(const char *upper_dir) {
        struct libmnt_table *tb = mnt_new_table();
        struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
        _cleanup_free_ char *want = path_simplify_dup(upper_dir);
        struct libmnt_fs *fs;
        struct stat st;
        bool have_st = stat(upper_dir, &st) == 0, found = false;

        if (tb && it && want && mnt_table_parse_file(tb, "/proc/self/mountinfo") == 0)
                while (!found && mnt_table_next_fs(tb, it, &fs) == 0) {
                        _cleanup_free_ char *v = NULL, *simple = NULL;
                        struct stat vst;

                        if (!streq_ptr(mnt_fs_get_fstype(fs), "overlay"))
                                continue;
                        v = mount_optstr_value(mnt_fs_get_fs_options(fs) ?: "", "upperdir");
                        simple = v ? path_simplify_dup(v) : NULL;
                        if (simple && streq(simple, want))
                                found = true;
                        else if (v && have_st && stat(v, &vst) == 0 && vst.st_dev == st.st_dev &&
                                 vst.st_ino == st.st_ino)
                                found = true;
                }
        mnt_free_iter(it);
        mnt_unref_table(tb);
        return found;
}

int overlay_check_before_unmount(const char *mount_point, int mnt_id, dev_t dev, char **ret_other) {
        _cleanup_close_ int fd = open(mount_point, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct libmnt_table *tb;
        struct libmnt_iter *it;
        struct libmnt_fs *fs;
        struct statfs sfs;
        struct stat st;
        int id, r = 0, peer_group = 0;

        *ret_other = NULL;
        if (fd < 0)
                return negative_errno();
        id = fd_mount_id(fd);
        if (id < 0)
                return id;
        if (id != mnt_id || fstat(fd, &st) < 0 || st.st_dev != dev ||
            fstatfs(fd, &sfs) < 0 || sfs.f_type != OVERLAYFS_SUPER_MAGIC)
                return -ESTALE;         /* (IDs and device numbers are reused) */

        tb = mnt_new_table_from_file("/proc/self/mountinfo");
        it = mnt_new_iter(MNT_ITER_FORWARD);
        if (!tb || !it) {
                r = -ENOMEM;
                goto out;
        }
        while (mnt_table_next_fs(tb, it, &fs) == 0)
                if (mnt_fs_get_id(fs) == mnt_id) {
                        const char *o = mnt_fs_get_optional_fields(fs);

                        if (o && (o = strstr(o, "shared:")))
                                peer_group = atoi(o + 7);
                }
        mnt_reset_iter(it, MNT_ITER_FORWARD);
        while (mnt_table_next_fs(tb, it, &fs) == 0)
                /* (copies in its own peer group go with the unmount) */
                if (mnt_fs_get_devno(fs) == dev && mnt_fs_get_id(fs) != mnt_id && !same_peer_group(fs, peer_group)) {
                        *ret_other = strdup(mnt_fs_get_target(fs) ?: "?");
                        r = *ret_other ? -EBUSY : -ENOMEM;
                        break;
                }
out:
        mnt_free_iter(it);
        mnt_unref_table(tb);
        return r;
}
