# SPDX-License-Identifier: LGPL-2.1-or-later
# The overlayfs restore ioctls (OVL_IOC_RESTORE_LOWER, OVL_IOC_IS_RESTORABLE,
# OVL_IOC_UPPER_STATE) for Calculinux's BSP kernel: the 6.1 series of this
# repository, in the order of kernel/patches/6.1/series (tests/test-yocto
# checks that the two lists agree).
FILESEXTRAPATHS:prepend := "${OVL_RESTORE_TOPDIR}/kernel/patches/6.1:"

# Off unless OVL_RESTORE_KERNEL_SERIES = "1" (layer.conf; the layer README):
# Calculinux's BSP tree carries an earlier restore ioctl of its own, whose
# files patch 0002 creates, and Calculinux builds overlayfs out of tree
# (CONFIG_OVERLAY_FS=n), so by default the series would only break
# do_patch.  Turned on, for a kernel that builds the in-tree overlayfs:
OVL_RESTORE_KERNEL_PATCHES = " \
    file://0001-ovl-keep-a-lower-file-apart-from-a-copy-up-of-it-sho.patch \
    file://0002-ovl-add-ioctls-to-restore-lower-entries-hidden-by-wh.patch \
    file://0003-Documentation-overlayfs-document-the-restore-ioctls.patch \
    file://0004-selftests-overlayfs-add-tests-for-the-restore-ioctls.patch \
"

# :append, not +=: Calculinux's own linux-rockchip bbappend (priority 99,
# parsed after this one) assigns SRC_URI, which would drop what += added;
# an :append is applied after every assignment.
SRC_URI:append = "${@bb.utils.contains('OVL_RESTORE_KERNEL_SERIES', '1', ' ' + d.getVar('OVL_RESTORE_KERNEL_PATCHES'), '', d)}"

# A kernel built without the series it was meant to have would lack its
# ioctls, and ovl-restored would fall back without a word: fail the build.
# The guard looks for OVL_IOC_UPPER_STATE, which the series alone adds:
# Calculinux's BSP tree has a uapi header of its own with
# OVL_IOC_RESTORE_LOWER in it.
do_configure:prepend() {
    if [ "${OVL_RESTORE_KERNEL_SERIES}" = "1" ] && \
       ! grep -q OVL_IOC_UPPER_STATE ${S}/include/uapi/linux/overlayfs.h 2>/dev/null; then
        bbfatal "meta-ovl-restore: the overlayfs restore series is not in ${S} (include/uapi/linux/overlayfs.h has no OVL_IOC_UPPER_STATE): did another layer replace SRC_URI?"
    fi
}
