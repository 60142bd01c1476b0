/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Compile-time checks of what the 32-bit ARM device depends on: every
 * build (scripts/build-armhf cross-builds for armhf) must have 64-bit file
 * offsets and times, and the ioctl numbers of ../shared/DESIGN.md section 2,
 * which encode the argument sizes (16 and 32 bytes on every architecture). */
#include <sys/types.h>
#include <time.h>
#include <linux/overlayfs.h>

_Static_assert(sizeof(off_t) == 8, "off_t must be 64-bit (-D_FILE_OFFSET_BITS=64)");
_Static_assert(sizeof(time_t) == 8, "time_t must be 64-bit (-D_TIME_BITS=64)");
_Static_assert(sizeof(struct ovl_restore_args) == 16, "struct ovl_restore_args is 16 bytes");
_Static_assert(sizeof(struct ovl_upper_state_args) == 32, "struct ovl_upper_state_args is 32 bytes");
_Static_assert(OVL_IOC_RESTORE_LOWER == 0x40104f01, "OVL_IOC_RESTORE_LOWER");
_Static_assert(OVL_IOC_IS_RESTORABLE == 0x40104f02, "OVL_IOC_IS_RESTORABLE");
_Static_assert(OVL_IOC_IS_RESTORABLE_OLD == 0x80104f02, "OVL_IOC_IS_RESTORABLE (older _IOR number)");
_Static_assert(OVL_IOC_UPPER_STATE == 0xc0204f03, "OVL_IOC_UPPER_STATE");
