# Sourced by the guest's steps: results and small helpers.
ok() { echo "ok - $*" >> "$RESULTS"; echo "ok - $*"; }
not_ok() { echo "not ok - $*" >> "$RESULTS"; echo "not ok - $*"; }
check() { # check DESCRIPTION COMMAND...
	local d=$1; shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}
# wait_for SECONDS COMMAND...: poll COMMAND until it succeeds, fail after
# SECONDS.  Only for states nothing announces (systemd's view of a unit
# after the process acted); never as a delay.
wait_for() {
	local end=$(( $(date +%s) + $1 )); shift
	until "$@"; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.2
	done
}
whiteout() { [ -c "/data/overlay/$1/upper/$2" ] && [ "$(stat -c %t:%T "/data/overlay/$1/upper/$2")" = 0:0 ]; }
