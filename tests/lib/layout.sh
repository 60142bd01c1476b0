# Sourced by the shell tests: one overlay in the layout the test runs on.
#
#   layout_dirs BASE     sets L (lower), U (upper), W (work), M (merged)
#   layout_mount [OPTS]  mounts it (OPTS: more mount options)
#
# OVL_TEST_LAYOUT=calculinux: as Calculinux's /sbin/preinit mounts /etc
# (tests/lib/calculinux-layout): on its own lower directory, M = L =
# BASE/root/etc, so the image is covered while the overlay is mounted;
# the source is the upper directory BASE/data/overlay//etc/upper ("//" as
# preinit makes it); preinit's options.  The first layout_mount of a BASE
# also mounts the other five (/root /home /var /usr /opt), as at a boot.
# Otherwise (separate): L = BASE/l, M = BASE/m, U = BASE/u, W = BASE/w.
# LV is where the test reads the lower layer: L itself, or on Calculinux's
# layout a read-only bind mount of it made before the overlay (preinit's
# OVERLAYFS_ETC_EXPOSE_LOWER), never through the overlay.
#   layout_umount_all    unmounts everything layout_mount mounted
layout_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OVL_TEST_LAYOUT=${OVL_TEST_LAYOUT:-separate}
layout_dirs() {
	layout_base=$1
	if [ "$OVL_TEST_LAYOUT" = calculinux ]; then
		L=$1/root/etc M=$1/root/etc
		U=$1/data/overlay//etc/upper W=$1/data/overlay//etc/work
		LV=$1/data/overlay//etc/lower
	else
		L=$1/l M=$1/m U=$1/u W=$1/w LV=$1/l
	fi
	mkdir -p "$L" "$M" "$U" "$W"
}
layout_mount() {
	if [ "$OVL_TEST_LAYOUT" != calculinux ]; then
		mount -t overlay overlay -o "lowerdir=$L,upperdir=$U,workdir=$W${1:+,$1}" "$M"
		return
	fi
	if ! mountpoint -q "$LV" 2>/dev/null; then
		mkdir -p "$LV"
		mount -o bind,ro "$L" "$LV" || return
	fi
	if [ -z "${1:-}" ]; then
		"$layout_lib/calculinux-layout" mount "$layout_base/root" "$layout_base/data" /etc >/dev/null || return
	else
		mount -n -t overlay -o upperdir="$U" -o lowerdir="$L" -o workdir="$W" \
			-o "index=off,xino=off,redirect_dir=off,metacopy=off,$1" "$U" "$M" || return
	fi
	local d
	for d in /root /home /var /usr /opt; do
		mountpoint -q "$layout_base/root$d" 2>/dev/null ||
			"$layout_lib/calculinux-layout" mount "$layout_base/root" "$layout_base/data" "$d" >/dev/null
	done
}
layout_umount_all() {
	[ -n "${layout_base:-}" ] || return 0
	if [ "$OVL_TEST_LAYOUT" = calculinux ]; then
		"$layout_lib/calculinux-layout" umount "$layout_base/root" 2>/dev/null
		umount "$LV" 2>/dev/null
	else
		umount "$M" 2>/dev/null
	fi
	return 0
}
