# Sourced by the scripts that make large scratch directories (kernel
# builds, QEMU images, UML runs): a directory that a killed run leaves
# behind is removed by the next run that makes one of its kind.
#
#   scratch_dir VAR TEMPLATE   mktemp -d TEMPLATE (its X's last), its path
#                              in VAR; held for as long as this shell or
#                              any process it starts lives
#   scratch_keep DIR           DIR is kept (about to become a cache entry,
#                              under another name): never swept
#
# A run's trap removes its directory, but no trap runs on SIGKILL, and
# that is how runs end when they are cancelled: meson sends SIGTERM to
# a test's process group and SIGKILL 0.5 s later, CI ends a run past its
# time limit, a user ends a stuck one.  Each left 300 MB (QEMU's images)
# to 2 GB (a kernel tree and its objects).
#
# "Held" is a flock(2) on the directory itself, taken through a
# descriptor this shell keeps open and every child inherits: the kernel
# lets it go only when the last process that has it ends, whatever ends
# it, and it means the same in every PID namespace.  Each directory has a
# marker beside it, .ovl-scratch.NAME in the same parent (beside, not
# inside: a trap cut short by SIGKILL may have removed part of what is
# inside).  Before making a directory, the directories of the same
# template with a marker that no process holds are removed, and the
# markers of directories gone.  Both happen under one lock of the parent
# directory (.ovl-scratch.lock), so that a sweep never sees a directory
# between its mktemp and its flock.  A directory without a marker (made by
# an older version of these scripts, which may still be running) is never
# touched.
scratch_dir() {
	local _scratch_var=$1 _scratch_template=$2 _scratch_parent _scratch_m _scratch_d _scratch_lockfd _scratch_fd
	_scratch_parent=$(dirname "$_scratch_template")
	mkdir -p "$_scratch_parent"
	exec {_scratch_lockfd}>>"$_scratch_parent/.ovl-scratch.lock"
	flock -x "$_scratch_lockfd"
	for _scratch_m in "$_scratch_parent/.ovl-scratch.$(basename "${_scratch_template%%XXX*}")"*; do
		[ -f "$_scratch_m" ] || continue
		_scratch_d=$_scratch_parent/${_scratch_m#"$_scratch_parent/.ovl-scratch."}
		if [ -d "$_scratch_d" ] && [ ! -L "$_scratch_d" ]; then
			flock -n -x "$_scratch_d" true 2>/dev/null || continue
			echo "scratch: removing $_scratch_d (its run ended without removing it)" >&2
			rm -rf -- "$_scratch_d"
		fi
		rm -f -- "$_scratch_m"
	done
	if ! _scratch_d=$(mktemp -d "$_scratch_template"); then
		exec {_scratch_lockfd}>&-
		return 1
	fi
	exec {_scratch_fd}<"$_scratch_d"
	flock -x "$_scratch_fd"
	: > "$_scratch_parent/.ovl-scratch.$(basename "$_scratch_d")"
	exec {_scratch_lockfd}>&-
	printf -v "$_scratch_var" %s "$_scratch_d"
}

scratch_keep() {
	rm -f -- "$(dirname "$1")/.ovl-scratch.$(basename "$1")"
}
