# SPDX-License-Identifier: LGPL-2.1-or-later
SUMMARY = "Bring back files of a read-only image hidden by overlayfs whiteouts"
DESCRIPTION = "ovl-restored, a D-Bus daemon (polkit-authorized restore jobs \
per overlay mount, using the overlayfs restore ioctls or an idle remount), \
its client ovlctl, and ovl-restore, the direct tool for early boot."
HOMEPAGE = "https://github.com/Calculinux/ovl-restore"
SECTION = "base"
LICENSE = "LGPL-2.1-or-later"
LIC_FILES_CHKSUM = "file://LICENSE;md5=4fbd65380cdd255951079008b364516c"

# The recipe is ovl-restored, not ovl-restore: meta-calculinux has a recipe
# of that name (the direct tool, from its kernel tree) in a layer of
# priority 99, which would shadow this one whole (tests/test-yocto).
SRC_URI = "git://github.com/Calculinux/ovl-restore.git;protocol=https;branch=main;destsuffix=git"
# The commit this layer builds: one whose kernel/patches/6.1 is the series
# the kernel bbappend applies, and whose meson version is PV before its
# "+git" (tests/test-yocto checks both). Bump it with the series: the
# "+git" puts the commit into the package version, so that a feed's
# opkg sees each bump as an upgrade. A local
# checkout can be built with INHERIT += "externalsrc" and
# EXTERNALSRC:pn-ovl-restored (see README).
SRCREV = "29e2bc149d70f3466ccbc8ff3029f336cd5b1b3d"
PV = "0.1.0+git"
# Where the fetcher unpacks: UNPACKDIR from styhead on (whinlatter refuses
# an S outside it), WORKDIR in scarthgap, which has no UNPACKDIR.
S = "${@d.getVar('UNPACKDIR') or d.getVar('WORKDIR')}/git"

inherit meson pkgconfig systemd features_check

REQUIRED_DISTRO_FEATURES = "systemd"
DEPENDS = "systemd util-linux"

# The daemon's state directory, built in: off the overlays (Calculinux's
# /var is one, and the boot step --apply-pending runs before it is mounted).
OVL_RESTORE_STATE_DIR ?= "/data/ovl-restored"

# polkit: callers other than root are authorized by polkitd. Calculinux
# does not enable the "polkit" distro feature (meta-oe's polkit needs it),
# so by default the packages do not pull it in: root callers and the
# root-only socket work, others get AccessDenied naming the missing polkit.
PACKAGECONFIG ??= "${@bb.utils.filter('DISTRO_FEATURES', 'polkit', d)}"
PACKAGECONFIG[polkit] = ",,,"
OVL_RESTORE_POLKIT = "${@bb.utils.contains('PACKAGECONFIG', 'polkit', 'polkit', '', d)}"

# (-Werror is the project's own check; a distribution's compiler, newer
# than the project's, must not fail the image for a new warning.  The
# directories are given: a .pc in the sysroot may answer with the
# sysroot's path.)
EXTRA_OEMESON = " \
    -Dwerror=false \
    -Dtests=false \
    -Dstatedir=${OVL_RESTORE_STATE_DIR} \
    -Dsystemdsystemunitdir=${systemd_system_unitdir} \
    -Ddbussystemservicedir=${datadir}/dbus-1/system-services \
    -Ddbuspolicydir=${datadir}/dbus-1/system.d \
    -Dpolkitactiondir=${datadir}/polkit-1/actions \
    -Dbashcompletiondir=${datadir}/bash-completion/completions \
"

# Three packages: the daemon (${PN}), its client, and the direct tool.
# The tool's package is not named ovl-restore: meta-calculinux's recipe of
# that name makes a package of that name (/usr/bin/ovl-restore too). This
# one takes its place where it is installed (RPROVIDES, RREPLACES and
# RCONFLICTS: opkg removes the other), and an image that asks for
# ovl-restore gets it with PREFERRED_RPROVIDER_ovl-restore = "ovl-restored"
# (README).
PACKAGES =+ "ovlctl ovl-restore-tool"

FILES:${PN} = " \
    ${libexecdir}/ovl-restored \
    ${systemd_system_unitdir}/ovl-restored.service \
    ${systemd_system_unitdir}/ovl-restored.socket \
    ${systemd_system_unitdir}/dbus-org.calculinux.OverlayRestore1.service \
    ${datadir}/dbus-1/system.d/org.calculinux.OverlayRestore1.conf \
    ${datadir}/dbus-1/system-services/org.calculinux.OverlayRestore1.service \
    ${datadir}/dbus-1/interfaces/org.calculinux.OverlayRestore1.xml \
    ${datadir}/polkit-1/actions/org.calculinux.overlayrestore1.policy \
"
FILES:ovlctl = " \
    ${bindir}/ovlctl \
    ${datadir}/bash-completion/completions/ovlctl \
"
FILES:ovl-restore-tool = "${bindir}/ovl-restore"
RPROVIDES:ovl-restore-tool = "ovl-restore"
RREPLACES:ovl-restore-tool = "ovl-restore"
RCONFLICTS:ovl-restore-tool = "ovl-restore"

# The service is started on demand (D-Bus activation); the root-only
# socket is enabled, for clients that run before dbus.
SYSTEMD_PACKAGES = "${PN}"
SYSTEMD_SERVICE:${PN} = "ovl-restored.socket"
SYSTEMD_AUTO_ENABLE:${PN} = "enable"

RDEPENDS:${PN} = "dbus ${OVL_RESTORE_POLKIT}"
# ovlctl starts polkit's pkttyagent on a terminal (where there is polkit).
RDEPENDS:ovlctl = "${OVL_RESTORE_POLKIT}"
RRECOMMENDS:ovlctl = "${PN}"
