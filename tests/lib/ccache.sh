# Sourced by the kernel build scripts (kernel/uml/build-kernel,
# tests/system/build-kernel): a compiler cache for kernel builds, so that a
# kernel built again after a change to the series compiles only the files
# the change touches, and the ARM kernel without the series reuses the
# objects of the one with it (README.md, "Kernels and the base image are
# cached": 91 s where a first build took 376 s).
#
#   kernel_cc CACHE COMPILER   sets KERNEL_CC to what to pass as the
#                              kernel's CC=: "ccache COMPILER" where ccache
#                              is installed (its cache in CACHE/ccache,
#                              exported), else COMPILER.  (In the script's
#                              own shell, not in $(...).)
#
# ccache gives the compiler's own output or compiles (its manual: "exactly
# the same compiler output"); what it keys on is the preprocessed source
# and the command line.  Kbuild puts the source tree's absolute path on
# that command line unless the objects are in a subdirectory of the
# source tree (then it is ".."): the build scripts put them there, so
# that one build's work directory, named at random, does not make every
# later one miss.  Neither config has debug information, so the working
# directory is not hashed either (a config with CONFIG_DEBUG_INFO would
# make every compilation miss again: ccache hashes the working directory
# where -g is given, unless CCACHE_NOHASHDIR is set).
kernel_cc() {
	local cache=$1 cc=$2
	if command -v ccache >/dev/null; then
		export CCACHE_DIR=$cache/ccache
		mkdir -p "$CCACHE_DIR"
		# (in its ccache.conf, for every use of that cache; the kernels'
		# objects take tens of MB a config, compressed: 39 MB for both
		# ARM kernels)
		ccache --max-size "${CCACHE_MAXSIZE:-3G}" >/dev/null 2>&1 || true
		KERNEL_CC="ccache $cc"
	else
		KERNEL_CC=$cc
	fi
}
