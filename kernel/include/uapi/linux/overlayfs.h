/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Overlay filesystem: restoring lower entries hidden by whiteouts.
 *
 * The ioctls are issued on any directory of an overlay mount (usually the
 * mount point, opened O_RDONLY | O_DIRECTORY).  The path names an entry of
 * that same overlay and is absolute, resolved like any other path of the
 * calling process.
 *
 * The 'O' magic is shared with UBI (include/uapi/mtd/ubi-user.h); the
 * numbers below do not collide with UBI's and are kept for compatibility
 * with existing users.
 */
#ifndef _UAPI_LINUX_OVERLAYFS_H
#define _UAPI_LINUX_OVERLAYFS_H

#include <linux/types.h>
#include <linux/ioctl.h>

/**
 * struct ovl_restore_args - argument of OVL_IOC_RESTORE_LOWER and
 *                           OVL_IOC_IS_RESTORABLE
 * @path_ptr: user address of the path, not NUL terminated
 * @path_len: length of the path in bytes, without any NUL
 * @flags:    0, OVL_RESTORE_DISCARD or OVL_RESTORE_OPAQUE
 */
struct ovl_restore_args {
	__aligned_u64 path_ptr;
	__u32 path_len;
	__u32 flags;
};

/**
 * struct ovl_upper_state_args - argument of OVL_IOC_UPPER_STATE
 * @path_ptr:    user address of the path, not NUL terminated
 * @path_len:    length of the path in bytes, without any NUL
 * @flags:       must be 0
 * @state:       out: one of OVL_UPPER_STATE_*
 * @state_flags: out: OVL_UPPER_STATE_F_* bits
 * @mode:        out: st_mode of the upper entry if @state is
 *               OVL_UPPER_STATE_UPPER, else 0
 * @pad:         must be 0
 */
struct ovl_upper_state_args {
	__aligned_u64 path_ptr;
	__u32 path_len;
	__u32 flags;
	__u32 state;
	__u32 state_flags;
	__u32 mode;
	__u32 pad;
};

/*
 * Bits of ovl_restore_args.flags.  0: remove the upper whiteout of the
 * path.  OVL_RESTORE_DISCARD: remove the upper copy of a non-directory
 * instead, so that the path shows the lower entry again.
 * OVL_RESTORE_OPAQUE: clear the opaque mark of an upper directory, so that
 * the lower directory of the path is merged with it again.  At most one.
 */
#define OVL_RESTORE_DISCARD		(1U << 0)
#define OVL_RESTORE_OPAQUE		(1U << 1)
#define OVL_RESTORE_FLAGS_ALL		(OVL_RESTORE_DISCARD | OVL_RESTORE_OPAQUE)
/* No flags are defined for OVL_IOC_UPPER_STATE: 0 is the only valid value. */
#define OVL_UPPER_STATE_FLAGS_ALL	0U

/* Values of ovl_upper_state_args.state */
#define OVL_UPPER_STATE_NONE		0	/* no entry in the upper layer */
#define OVL_UPPER_STATE_WHITEOUT	1	/* a whiteout */
#define OVL_UPPER_STATE_UPPER		2	/* a real upper entry */

/* Bits of ovl_upper_state_args.state_flags */
#define OVL_UPPER_STATE_F_OPAQUE	(1U << 0) /* opaque upper directory */
#define OVL_UPPER_STATE_F_NO_LOWER_DIR	(1U << 1) /* nothing below the parent */

#define OVL_IOC_MAGIC			'O'
#define OVL_IOC_RESTORE_LOWER		_IOW(OVL_IOC_MAGIC, 1, struct ovl_restore_args)
#define OVL_IOC_IS_RESTORABLE		_IOW(OVL_IOC_MAGIC, 2, struct ovl_restore_args)
/* The number an older header gave OVL_IOC_IS_RESTORABLE; still accepted. */
#define OVL_IOC_IS_RESTORABLE_OLD	_IOR(OVL_IOC_MAGIC, 2, struct ovl_restore_args)
#define OVL_IOC_UPPER_STATE		_IOWR(OVL_IOC_MAGIC, 3, struct ovl_upper_state_args)

#endif /* _UAPI_LINUX_OVERLAYFS_H */
