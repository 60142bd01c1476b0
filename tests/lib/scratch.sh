# Sourced by the scripts that make large scratch directories (kernel
# builds, QEMU images, UML runs): a directory that a killed run leaves
# behind is removed by the next run that makes or looks for one of its
# kind.
#
#   scratch_dir VAR TEMPLATE   mktemp -d TEMPLATE (its X's last), its path
#                              in VAR; held for as long as this shell or
#                              any process it starts lives (call it in the
#                              script's own shell, not in $(...))
#   scratch_sweep TEMPLATE     only the sweep (a build script's cache hit,
#                              which makes none)
#   scratch_keep DIR           DIR, just renamed into a cache entry or kept
#                              on purpose, is never swept
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
# inside).  A sweep removes the directories of its template with a marker
# that no process holds, and the markers of directories gone.  Sweeps and
# the making of a marked directory take one lock of the parent
# (.ovl-scratch.lock), so that a sweep never sees a directory between its
# mktemp and its flock.  A directory without a marker (made by an older
# version of these scripts, which may still be running, or made when that
# lock could not be had) is never touched.  Whatever a sweep cannot do
# (another user's files, a lock held for minutes) it leaves, with a word
# on stderr: it never fails the run.

# _scratch_lock PARENT: the parent's lock held, its descriptor in
# _scratch_lockfd; 1 (and _scratch_lockfd empty): none.
_scratch_lock() {
	_scratch_lockfd=
	local f=$1/.ovl-scratch.lock
	[ -e "$f" ] || : >> "$f" 2>/dev/null || true
	# (read-only: flock needs no more, and anyone may open it)
	# (an exec's own redirection of stderr would stay: the group's does not)
	{ exec {_scratch_lockfd}<"$f"; } 2>/dev/null || return 1
	if ! flock -x -w 120 "$_scratch_lockfd"; then
		echo "scratch: $f is held by another process for 2 minutes; not sweeping" >&2
		exec {_scratch_lockfd}<&-
		_scratch_lockfd=
		return 1
	fi
}

# _scratch_sweep_locked TEMPLATE (the parent's lock held)
_scratch_sweep_locked() {
	local parent m d
	parent=$(dirname "$1")
	for m in "$parent/.ovl-scratch.$(basename "${1%%XXX*}")"*; do
		[ -f "$m" ] || continue
		d=$parent/${m#"$parent/.ovl-scratch."}
		if [ -d "$d" ] && [ ! -L "$d" ]; then
			# (ours only: a marker another user made beside it says nothing)
			[ -O "$m" ] && [ -O "$d" ] || continue
			# (through a descriptor: flock(1) given a path creates a
			# file there if the directory just went)
			flock -n -x 3 2>/dev/null 3<"$d" || continue
			echo "scratch: removing $d (its run ended without removing it)" >&2
			if ! rm -rf --one-file-system -- "$d"; then
				echo "scratch: could not remove all of $d" >&2
				continue
			fi
		fi
		rm -f -- "$m" 2>/dev/null || true
	done
}

scratch_sweep() {
	local _scratch_lockfd
	mkdir -p "$(dirname "$1")"
	_scratch_lock "$(dirname "$1")" || return 0
	_scratch_sweep_locked "$1"
	exec {_scratch_lockfd}<&-
}

scratch_dir() {
	local _scratch_var=$1 _scratch_template=$2 _scratch_parent _scratch_d _scratch_lockfd _scratch_fd
	_scratch_parent=$(dirname "$_scratch_template")
	mkdir -p "$_scratch_parent"
	! _scratch_lock "$_scratch_parent" || _scratch_sweep_locked "$_scratch_template"
	if ! _scratch_d=$(mktemp -d "$_scratch_template"); then
		[ -z "$_scratch_lockfd" ] || exec {_scratch_lockfd}<&-
		return 1
	fi
	# (marked only when held, and only under the parent's lock)
	if { exec {_scratch_fd}<"$_scratch_d"; } 2>/dev/null && flock -x -n "$_scratch_fd" && [ -n "$_scratch_lockfd" ]; then
		: > "$_scratch_parent/.ovl-scratch.$(basename "$_scratch_d")" 2>/dev/null || true
	fi
	[ -z "$_scratch_lockfd" ] || exec {_scratch_lockfd}<&-
	printf -v "$_scratch_var" %s "$_scratch_d"
}

scratch_keep() {
	rm -f -- "$(dirname "$1")/.ovl-scratch.$(basename "$1")" 2>/dev/null || true
}
