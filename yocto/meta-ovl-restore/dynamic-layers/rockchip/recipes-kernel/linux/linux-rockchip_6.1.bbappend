# SPDX-License-Identifier: LGPL-2.1-or-later
# The overlayfs restore ioctls (OVL_IOC_RESTORE_LOWER, OVL_IOC_IS_RESTORABLE,
# OVL_IOC_UPPER_STATE) for Calculinux's BSP kernel: the 6.1 series of this
# repository, in the order of kernel/patches/6.1/series (tests/test-yocto
# checks that the two lists agree).
FILESEXTRAPATHS:prepend := "${OVL_RESTORE_TOPDIR}/kernel/patches/6.1:"

SRC_URI += " \
    file://0001-ovl-keep-a-lower-entry-apart-from-a-copy-up-of-it-ma.patch \
    file://0002-ovl-add-ioctls-to-restore-lower-entries-hidden-by-wh.patch \
    file://0003-Documentation-overlayfs-document-the-restore-ioctls.patch \
    file://0004-selftests-overlayfs-add-tests-for-the-restore-ioctls.patch \
"
