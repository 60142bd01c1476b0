/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

/* statx(2) with the kernel's struct statx (include/uapi/linux/stat.h), in
 * a copy of our own.  The libc headers disagree on it: glibc's
 * <sys/stat.h> takes the kernel's; musl's defines its own since 1.2.5,
 * without stx_mnt_id there (a later musl adds it), and the kernel's
 * <linux/stat.h> beside it is a redefinition; Debian's musl (1.2.3) has
 * none, nor a statx() wrapper.  So neither header is used here. */
struct ovl_statx_timestamp {
        int64_t tv_sec;
        uint32_t tv_nsec;
        int32_t reserved;
};

struct ovl_statx {
        uint32_t stx_mask;
        uint32_t stx_blksize;
        uint64_t stx_attributes;
        uint32_t stx_nlink;
        uint32_t stx_uid;
        uint32_t stx_gid;
        uint16_t stx_mode;
        uint16_t spare0;
        uint64_t stx_ino;
        uint64_t stx_size;
        uint64_t stx_blocks;
        uint64_t stx_attributes_mask;
        struct ovl_statx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
        uint32_t stx_rdev_major;
        uint32_t stx_rdev_minor;
        uint32_t stx_dev_major;
        uint32_t stx_dev_minor;
        uint64_t stx_mnt_id;            /* Linux 5.8 */
        uint64_t spare[13];
};
_Static_assert(sizeof(struct ovl_statx) == 256, "the kernel's struct statx is 256 bytes");
_Static_assert(offsetof(struct ovl_statx, stx_btime) == 0x50, "stx_btime where the kernel has it");
_Static_assert(offsetof(struct ovl_statx, stx_dev_major) == 0x88, "stx_dev_major where the kernel has it");
_Static_assert(offsetof(struct ovl_statx, stx_mnt_id) == 0x90, "stx_mnt_id where the kernel has it");

#define OVL_STATX_BTIME  0x00000800U
#define OVL_STATX_MNT_ID 0x00001000U
#define OVL_STATX_ATTR_MOUNT_ROOT 0x00002000ULL     /* in stx_attributes (Linux 5.8) */

/* 0 or -errno. */
static inline int ovl_statx(int dfd, const char *path, int flags, unsigned mask, struct ovl_statx *ret) {
        return syscall(SYS_statx, dfd, path, flags, mask, ret) < 0 ? -errno : 0;
}
