# SPDX-License-Identifier: LGPL-2.1-or-later
# The overlayfs restore ioctls (OVL_IOC_RESTORE_LOWER, OVL_IOC_IS_RESTORABLE,
# OVL_IOC_UPPER_STATE) for a linux-rockchip 6.1 that builds the in-tree
# overlayfs: the 6.1 series of this repository (linux-rockchip-ovl-restore.inc).
#
# Off unless OVL_RESTORE_KERNEL_SERIES is true (layer.conf: ??= "0"; the
# layer README): Calculinux's BSP tree carries an earlier restore ioctl of
# its own, whose files patch 0002 creates, and Calculinux builds overlayfs
# out of tree (CONFIG_OVERLAY_FS=n), so by default the series would only
# break do_patch.  Off, nothing of it is read: the kernel's recipe, and its
# task signatures, are as without this layer.  (to_boolean: a value other
# than yes/no, true/false, 1/0 is an error, not a silent "off".)
require ${@'linux-rockchip-ovl-restore.inc' if bb.utils.to_boolean(d.getVar('OVL_RESTORE_KERNEL_SERIES'), False) else ''}
