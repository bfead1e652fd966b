#!/bin/sh
# Prepare a venv running ttnn 0.81.1 in mock mode (no hardware). Idempotent.
# Python 3.10 by default (venv-0.81.1, from the wheel tools/fetch-ttnn.sh
# caches); TTBPF_MOCK_PY=3.12 builds venv-0.81.1-cp312 from the cp312 wheel,
# which pip fetches into the same cache folder.
# Prints the cache dir on success; exits 77 with one line if impossible.
# Everything third-party is fetched (cached wheel, PyPI deps); the cluster
# descriptors and the sfpi stub are generated here. Skips only when the
# package index cannot be reached (or no python fits the wheels); any other
# failure is an error. Runs under the cache lock, like tools/fetch-ttnn.sh.
#
# Only 0.81.1: ttnn 0.64.5 cannot open a device in mock mode. Its
# MetalContext::initialize() throws whenever the cluster is a mock one
# (tt_metal/impl/context/metal_context.cpp:74 in that wheel): "Mock cluster
# cannot be initialized because there is no device. Mock clusters are only
# supported for testing control plane initialization without a device."
# (checked with ttnn.open_device(device_id=0) on the n150 descriptor below).
set -u
VER=0.81.1
PYV=${TTBPF_MOCK_PY:-3.10}
CACHE=${TTBPF_CACHE:-$HOME/.cache/ttbpf}
case $PYV in
3.10) VENV=$CACHE/venv-$VER ;;
3.12) VENV=$CACHE/venv-$VER-cp312 ;;
*) echo "mock_setup: ttnn $VER has cp310 and cp312 wheels, not $PYV" >&2; exit 1 ;;
esac
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
skip() { echo "skip: $*" >&2; exit 77; }
die() { echo "mock_setup: $*" >&2; exit 1; }

if [ -z "${TTBPF_CACHE_LOCKED:-}" ] && command -v flock >/dev/null; then
	TTBPF_CACHE_LOCKED=1 exec flock "${TTBPF_CACHE_LOCK:-/tmp/ttbpf-cache.lock}" "$0" "$@"
fi

PY=
for p in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/$PYV*/bin/python$PYV "$(command -v python$PYV)"; do
	[ -x "$p" ] && PY=$p && break
done
[ -n "$PY" ] || skip "no python$PYV (ttnn $VER has only cp310/cp312 wheels)"
TAG=cp$(echo "$PYV" | tr -d .)

SITE=$VENV/lib/python$PYV/site-packages
mkdir -p "$CACHE" || die "cannot create $CACHE"
if [ ! -f "$SITE/ttnn/build/lib/libtt_metal.so" ]; then
	"$ROOT/tools/fetch-ttnn.sh" $VER >/dev/null 2>"$CACHE/fetch-$VER.err"
	rc=$?
	[ $rc -eq 77 ] && skip "$(tail -1 "$CACHE/fetch-$VER.err")"
	[ $rc -eq 0 ] || die "fetching ttnn $VER failed: $(tail -1 "$CACHE/fetch-$VER.err")"
	WHEEL=$(ls "$CACHE"/ttnn/$VER/ttnn-$VER-$TAG-*.whl 2>/dev/null | head -1)
	if [ -z "$WHEEL" ] && [ "$PYV" != 3.10 ]; then
		# fetch-ttnn.sh keeps the first wheel it finds (cp310): the
		# other one beside it.
		"$PY" -m pip download -q --no-deps --only-binary=:all: \
			--retries 1 --timeout 30 -d "$CACHE/ttnn/$VER" \
			"ttnn==$VER" >"$CACHE/fetch-$VER-$TAG.err" 2>&1 ||
			skip "cannot download the ttnn $VER $TAG wheel: $(tail -1 "$CACHE/fetch-$VER-$TAG.err")"
		WHEEL=$(ls "$CACHE"/ttnn/$VER/ttnn-$VER-$TAG-*.whl 2>/dev/null | head -1)
	fi
	[ -n "$WHEEL" ] || die "no ttnn $VER $TAG wheel in $CACHE/ttnn/$VER"
	rm -rf "$VENV"
	"$PY" -m venv "$VENV" >/dev/null 2>&1 || die "venv creation failed"
	# The wheel's dependencies come from the index: a network failure
	# there is a skip, anything else an error.
	if ! "$VENV/bin/pip" install -q --retries 1 --timeout 30 "$WHEEL" \
		>"$VENV.log" 2>&1; then
		if grep -qE 'NewConnectionError|ConnectTimeoutError|ReadTimeoutError|Temporary failure in name resolution|Network is unreachable' \
			"$VENV.log"; then
			rm -rf "$VENV"
			skip "package index unreachable while installing ttnn $VER's dependencies"
		fi
		rm -rf "$VENV"
		die "pip install failed, see $VENV.log"
	fi
fi

# UMD of this version wants 'boards' as a sequence of 3-map sequences.
cat >"$CACHE/mock-n150.yaml" <<'Y'
arch: { 0: Wormhole, }
chips: { 0: [0,0,0,0], }
ethernet_connections: [ ]
chips_with_mmio: [ 0: 0, ]
harvesting: { 0: {noc_translation: true, harvest_mask: 32}, }
boardtype: { 0: n150, }
boards: [ [ {board_id: 72059269369839682}, {board_type: n150}, {chips: [0]} ], ]
Y
# Two n150 cards: two boards, one chip each, both reached over PCIe.
cat >"$CACHE/mock-2xn150.yaml" <<'Y'
arch: { 0: Wormhole, 1: Wormhole, }
chips: { 0: [0,0,0,0], 1: [0,0,0,0], }
ethernet_connections: [ ]
chips_with_mmio: [ 0: 0, 1: 1, ]
harvesting: { 0: {noc_translation: true, harvest_mask: 32}, 1: {noc_translation: true, harvest_mask: 32}, }
boardtype: { 0: n150, 1: n150, }
boards: [ [ {board_id: 72059269369839682}, {board_type: n150}, {chips: [0]} ], [ {board_id: 72059269369839683}, {board_type: n150}, {chips: [1]} ], ]
Y
# One n300: two chips on one board, chip 1 reached over ethernet from chip 0.
cat >"$CACHE/mock-n300.yaml" <<'Y'
arch: { 0: Wormhole, 1: Wormhole, }
chips: { 0: [0,0,0,0], 1: [1,0,0,0], }
ethernet_connections: [ [ {chip: 0, chan: 8}, {chip: 1, chan: 0} ], [ {chip: 0, chan: 9}, {chip: 1, chan: 1} ], ]
chips_with_mmio: [ 0: 0, ]
harvesting: { 0: {noc_translation: true, harvest_mask: 32}, 1: {noc_translation: true, harvest_mask: 32}, }
boardtype: { 0: n300, 1: n300, }
boards: [ [ {board_id: 72059269369839690}, {board_type: n300}, {chips: [0, 1]} ], ]
Y

# Only --version is ever needed: it must match the pre-compiled firmware's
# compiler so the build key matches and nothing is compiled.
SV=$(strings -a "$SITE"/ttnn/tt_metal/pre-compiled/*/*/*.elf 2>/dev/null |
	grep -m1 -o 'tenstorrent/sfpi:[^)]*')
[ -n "$SV" ] || SV="tenstorrent/sfpi:7.89.0[1050]"
BIN=$SITE/ttnn/runtime/sfpi/compiler/bin
mkdir -p "$BIN"
cat >"$BIN/riscv-tt-elf-g++" <<S
#!/bin/sh
case "\$*" in *--version*|*-dumpversion*) echo "riscv-tt-elf-g++ ($SV) 15.1.0"; exit 0;; esac
exit 1
S
chmod +x "$BIN/riscv-tt-elf-g++"
echo "$CACHE"
