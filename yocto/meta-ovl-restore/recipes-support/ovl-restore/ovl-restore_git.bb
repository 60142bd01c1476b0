# SPDX-License-Identifier: LGPL-2.1-or-later
SUMMARY = "Bring back files of a read-only image hidden by overlayfs whiteouts"
DESCRIPTION = "ovl-restored, a D-Bus daemon (polkit-authorized restore jobs \
per overlay mount, using the overlayfs restore ioctls or an idle remount), \
its client ovlctl, and ovl-restore, the direct tool for early boot."
HOMEPAGE = "https://github.com/Calculinux/ovl-restore"
SECTION = "base"
LICENSE = "LGPL-2.1-or-later"
LIC_FILES_CHKSUM = "file://LICENSE;md5=4fbd65380cdd255951079008b364516c"

SRC_URI = "git://github.com/Calculinux/ovl-restore.git;protocol=https;branch=main"
# Pin a commit for releases; a local checkout can be built with
# INHERIT += "externalsrc" and EXTERNALSRC:pn-ovl-restore (see README).
SRCREV ?= "${AUTOREV}"
PV = "0.1.0+git"
S = "${WORKDIR}/git"

inherit meson pkgconfig systemd features_check

REQUIRED_DISTRO_FEATURES = "systemd"
DEPENDS = "systemd util-linux"

EXTRA_OEMESON = " \
    -Dtests=false \
    -Dsystemdsystemunitdir=${systemd_system_unitdir} \
    -Ddbussystemservicedir=${datadir}/dbus-1/system-services \
    -Dbashcompletiondir=${datadir}/bash-completion/completions \
"

# Three packages: the daemon, its client, and the direct tool (${PN}).
PACKAGES =+ "ovl-restored ovlctl"

FILES:ovl-restored = " \
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
FILES:${PN} = "${bindir}/ovl-restore"

# The service is started on demand (D-Bus activation); the root-only
# socket is enabled, for clients that run before dbus.
SYSTEMD_PACKAGES = "ovl-restored"
SYSTEMD_SERVICE:ovl-restored = "ovl-restored.socket"
SYSTEMD_AUTO_ENABLE:ovl-restored = "enable"

RDEPENDS:ovl-restored = "polkit dbus"
# ovlctl starts polkit's pkttyagent on a terminal.
RDEPENDS:ovlctl = "polkit"
RRECOMMENDS:ovlctl = "ovl-restored"
