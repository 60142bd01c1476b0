/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Thin wrappers around the overlayfs restore ioctls of <linux/overlayfs.h>.
 * All return 0 or a negative errno; -ENOTTY means the kernel lacks them. */

#include <stddef.h>
#include <stdint.h>
#include <linux/overlayfs.h>

typedef enum OvlUpperState {
        OVL_STATE_NONE = OVL_UPPER_STATE_NONE,
        OVL_STATE_WHITEOUT = OVL_UPPER_STATE_WHITEOUT,
        OVL_STATE_UPPER = OVL_UPPER_STATE_UPPER,
} OvlUpperState;

typedef struct OvlState {
        OvlUpperState state;
        uint32_t flags;         /* OVL_UPPER_STATE_F_* */
        uint32_t mode;          /* st_mode of an upper entry, else 0 */
} OvlState;

int ovl_open_mount(const char *mount_point);
/* @flags: 0, OVL_RESTORE_DISCARD (remove an upper copy instead of a
 * whiteout) or OVL_RESTORE_OPAQUE (clear the opaque mark of an unused
 * upper directory), where ovl_kernel_has_flag() says the kernel takes it. */
int ovl_restore_lower(int fd, const char *path, uint32_t flags);
int ovl_is_restorable(int fd, const char *path, uint32_t flags);
int ovl_upper_state(int fd, const char *path, OvlState *ret);

/* 1 if the overlay at fd answers the ioctls, 0 if the kernel lacks them. */
int ovl_kernel_has_ioctls(int fd);
/* 1 if it also takes @flag (OVL_RESTORE_DISCARD, OVL_RESTORE_OPAQUE), 0
 * if not. */
int ovl_kernel_has_flag(int fd, uint32_t flag);

/* What an error of RESTORE_LOWER or IS_RESTORABLE means where strerror()
 * alone would mislead ("Too many levels of symbolic links" for a lower
 * entry overlayfs refuses to show), or NULL. */
const char *ovl_restore_error_hint(int r);

/* strerror(-r), and the hint in parentheses where there is one, in buf. */
const char *ovl_restore_strerror(int r, char *buf, size_t size);

const char *ovl_state_to_string(OvlUpperState s);
/* "-", "opaque", "no-lower-dir" or "opaque,no-lower-dir" */
const char *ovl_state_flags_to_string(uint32_t flags);
