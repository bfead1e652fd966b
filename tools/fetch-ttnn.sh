#!/bin/sh
# Fetch real Release builds of libtt_metal.so from the ttnn wheels on the
# Python package index, so tests can check symbol and layout discovery
# against binaries we did not build. Nothing lands in git: wheels and the
# extracted libraries live in a cache folder.
#
# Usage: tools/fetch-ttnn.sh VERSION...   e.g. tools/fetch-ttnn.sh 0.81.1 0.64.5
# Prints, one line per VERSION, the path of the extracted libtt_metal.so
# (or of _ttnncpp.so for old wheels that link TT-Metal into it).
# Env:   TTBPF_CACHE   cache root (default $HOME/.cache/ttbpf); files go to
#                      $TTBPF_CACHE/ttnn/VERSION/{*.whl,ttnn/build/lib/*.so*}
#        TTNN_PY_TAGS  python versions to try, in order
#                      (default "3.10 3.12"; no cp311 wheels exist)
#        TTNN_PLATFORMS wheel platform tags to try
#                      (default manylinux_2_34_x86_64)
#        PIP           pip command (default: python3 -m pip)
# Exit:  0 ok; 77 the index (or pip) cannot be reached, so callers can skip;
#        1 no wheel for a VERSION, or another error.
# Runs under flock $TTBPF_CACHE_LOCK (default /tmp/ttbpf-cache.lock): two
# fetches at once, from two test runs, would extract into the same folder.
set -eu

LOCK=${TTBPF_CACHE_LOCK:-/tmp/ttbpf-cache.lock}
if [ -z "${TTBPF_CACHE_LOCKED:-}" ] && command -v flock >/dev/null; then
	TTBPF_CACHE_LOCKED=1 exec flock "$LOCK" "$0" "$@"
fi

CACHE=${TTBPF_CACHE:-${HOME:-/tmp}/.cache/ttbpf}/ttnn
PY_TAGS=${TTNN_PY_TAGS:-3.10 3.12}
PLATFORMS=${TTNN_PLATFORMS:-manylinux_2_34_x86_64}
PIP=${PIP:-python3 -m pip}
# Only these leave the wheel: the tracer's target, its sibling libraries
# (UMD, tt_stl, tracy, _ttnncpp) and the auditwheel-vendored ones (MPI,
# hwloc, numa) that its RPATH $ORIGIN/../../../ttnn.libs points at, so
# the library also loads and ldd resolves.
PATTERN='ttnn/build/lib/*.so*'
VENDORED='ttnn.libs/*'
NET_ERRORS='NewConnectionError|ConnectionError|ConnectTimeoutError'
NET_ERRORS="$NET_ERRORS|ReadTimeoutError|ProxyError|SSLError|Connection refused"
NET_ERRORS="$NET_ERRORS|Network is unreachable|Name or service not known"
NET_ERRORS="$NET_ERRORS|Temporary failure in name resolution"

die() {
	echo "fetch-ttnn: $2" >&2
	exit "$1"
}

[ $# -gt 0 ] || die 1 "usage: $0 VERSION..."
$PIP --version >/dev/null 2>&1 || die 77 "skip: '$PIP' is not available"

# The wheel holds ~150 MB of .so files; unzip picks members by pattern,
# python's zipfile is the fallback where unzip is not installed.
extract() {
	if command -v unzip >/dev/null 2>&1; then
		# unzip exits 11 when a pattern matches nothing (old wheels
		# may vendor nothing); the check on libtt_metal.so follows.
		unzip -o -q "$1" "$PATTERN" "$VENDORED" -d "$2" || [ $? -eq 11 ]
	else
		python3 - "$1" "$2" "$PATTERN" "$VENDORED" <<'EOF'
import fnmatch, sys, zipfile
whl, dest, pats = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(whl) as z:
    for n in z.namelist():
        if any(fnmatch.fnmatch(n, p) for p in pats):
            z.extract(n, dest)
EOF
	fi
}

# A wheel that pip already fetched is never fetched again.
find_wheel() {
	for w in "$1"/ttnn-"$2"-*.whl; do
		[ -f "$w" ] && { echo "$w"; return 0; }
	done
	return 1
}

# Try each python/platform tag until pip finds a wheel. A network
# failure ends the script with 77; "no such wheel" moves to the next tag.
download() {
	dir=$1
	ver=$2
	log=$dir/pip.log
	listed=0
	for py in $PY_TAGS; do
		for plat in $PLATFORMS; do
			if $PIP download --no-deps --only-binary=:all: \
				--python-version "$py" --platform "$plat" \
				--retries 1 --timeout 20 --progress-bar off \
				-d "$dir" "ttnn==$ver" >"$log" 2>&1; then
				return 0
			fi
			# pip ends with "No matching distribution" even when it
			# never reached the index; its retry warnings tell why.
			if grep -qE "$NET_ERRORS" "$log"; then
				why=$(grep -oE "$NET_ERRORS" "$log" | tail -1)
				die 77 "skip: package index unreachable: $why"
			fi
			grep -q 'from versions: none' "$log" || listed=1
		done
	done
	# An index that lists no ttnn wheel for any tag is as good as
	# unreachable (a mirror without ttnn, an ignored http index).
	[ "$listed" = 1 ] ||
		die 77 "skip: the package index offers no ttnn wheels (see $log)"
	die 1 "no ttnn==$ver wheel for python $PY_TAGS on $PLATFORMS (see $log)"
}

# Wheels up to 0.60.x link TT-Metal statically into _ttnncpp.so and
# ship no libtt_metal.so: then the allocator lives in _ttnncpp.so, and
# that is the library to probe.
target() {
	for f in libtt_metal.so _ttnncpp.so; do
		if [ -s "$1/ttnn/build/lib/$f" ]; then
			echo "$1/ttnn/build/lib/$f"
			return 0
		fi
	done
	return 1
}

for ver in "$@"; do
	dir=$CACHE/$ver
	if ! so=$(target "$dir"); then
		mkdir -p "$dir"
		whl=$(find_wheel "$dir" "$ver") || {
			download "$dir" "$ver"
			whl=$(find_wheel "$dir" "$ver") ||
				die 1 "pip succeeded but no ttnn-$ver wheel in $dir"
		}
		# Extract beside the result and rename, so an interrupted
		# run never leaves a truncated library that looks complete.
		rm -rf "$dir/.extract" "$dir/ttnn" "$dir/ttnn.libs"
		extract "$whl" "$dir/.extract" ||
			die 1 "cannot extract $PATTERN from $whl"
		mv "$dir/.extract"/* "$dir/" && rmdir "$dir/.extract"
		so=$(target "$dir") ||
			die 1 "$whl has neither libtt_metal.so nor _ttnncpp.so"
	fi
	case $so in
	*/_ttnncpp.so) echo "fetch-ttnn: $ver has no libtt_metal.so;" \
		"TT-Metal is linked into _ttnncpp.so" >&2 ;;
	esac
	echo "$so"
done
