/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "macro.h"
#include "ovl-ioctl.h"

_Static_assert(sizeof(struct ovl_restore_args) == 16, "ABI: 16 bytes");
_Static_assert(sizeof(struct ovl_upper_state_args) == 32, "ABI: 32 bytes");
_Static_assert(OVL_IOC_RESTORE_LOWER == 0x40104f01, "ABI number");
_Static_assert(OVL_IOC_IS_RESTORABLE == 0x40104f02, "ABI number");
_Static_assert(OVL_IOC_UPPER_STATE == 0xc0204f03, "ABI number");

int ovl_open_mount(const char *mount_point) {
        int fd = open(mount_point, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return fd < 0 ? negative_errno() : fd;
}

static int restore_ioctl(int fd, unsigned long cmd, const char *path, uint32_t flags) {
        struct ovl_restore_args args = {
                .path_ptr = (uintptr_t) path,
                .path_len = (uint32_t) strlen(path),
                .flags = flags,
        };

        return ioctl(fd, cmd, &args) < 0 ? negative_errno() : 0;
}

int ovl_restore_lower(int fd, const char *path, uint32_t flags) {
        return restore_ioctl(fd, OVL_IOC_RESTORE_LOWER, path, flags);
}

int ovl_is_restorable(int fd, const char *path, uint32_t flags) {
        return restore_ioctl(fd, OVL_IOC_IS_RESTORABLE, path, flags);
}

int ovl_upper_state(int fd, const char *path, OvlState *ret) {
        struct ovl_upper_state_args args = {
                .path_ptr = (uintptr_t) path,
                .path_len = (uint32_t) strlen(path),
        };

        if (ioctl(fd, OVL_IOC_UPPER_STATE, &args) < 0)
                return negative_errno();
        if (args.state > OVL_UPPER_STATE_UPPER)
                return -EBADMSG;
        *ret = (OvlState) {
                .state = (OvlUpperState) args.state,
                .flags = args.state_flags,
                .mode = args.mode,
        };
        return 0;
}

int ovl_kernel_has_ioctls(int fd) {
        /* An invalid argument answers EINVAL where the ioctl exists and
         * ENOTTY where it does not; nothing is looked at or changed. */
        struct ovl_restore_args args = { .path_len = 0 };

        if (ioctl(fd, OVL_IOC_IS_RESTORABLE, &args) >= 0)
                return 1;
        return errno == ENOTTY ? 0 : 1;
}

int ovl_kernel_has_flag(int fd, uint32_t flag) {
        /* A kernel without the flag refuses it (EINVAL) before it looks at
         * the path; one with it answers the query for a path whose parent
         * is another file system (EXDEV), or, where /proc is this very
         * overlay's, whatever the query of that name gives.  Nothing is
         * changed either way. */
        int r = ovl_is_restorable(fd, "/proc/.ovl-restore-flag-probe", flag);

        return r != -EINVAL && r != -ENOTTY;
}

const char *ovl_restore_error_hint(int r) {
        switch (r) {
        case -ELOOP:
                return "overlayfs would not show the entry below: it is one of the "
                        "overlay's layers or its work directory";
        case -EREMOTE:
                return "overlayfs would not show the entry below: it is an automount "
                        "point or has its own name hashing";
        case -EBUSY:
                return "the directory below is shown at another name already, through a "
                        "redirect, or the name is a mount point, or (clearing an opaque mark) "
                        "the directory or something below it is in use";
        case -EMLINK:
                return "the upper copy has other names (hard links): discarding one would "
                        "show their data at it";
        case -EOPNOTSUPP:
                return "the overlay is mounted with index, redirect_dir or metacopy on, "
                        "where restores are refused";
        }
        return NULL;
}

const char *ovl_restore_strerror(int r, char *buf, size_t size) {
        const char *hint = ovl_restore_error_hint(r);

        if (hint)
                (void) snprintf(buf, size, "%s (%s)", strerror(-r), hint);
        else
                (void) snprintf(buf, size, "%s", strerror(-r));
        return buf;
}

const char *ovl_state_to_string(OvlUpperState s) {
        switch (s) {
        case OVL_STATE_NONE:
                return "none";
        case OVL_STATE_WHITEOUT:
                return "whiteout";
        case OVL_STATE_UPPER:
                return "upper";
        }
        return "unknown";
}

const char *ovl_state_flags_to_string(uint32_t flags) {
        bool opaque = flags & OVL_UPPER_STATE_F_OPAQUE,
                no_lower = flags & OVL_UPPER_STATE_F_NO_LOWER_DIR;

        if (opaque && no_lower)
                return "opaque,no-lower-dir";
        if (opaque)
                return "opaque";
        if (no_lower)
                return "no-lower-dir";
        return "-";
}
