#!/bin/sh
# Prepare a venv running ttnn 0.81.1 in mock mode (no hardware). Idempotent.
# Prints the cache dir on success; exits 77 with one line if impossible.
# Everything third-party is fetched (cached wheel, PyPI deps); the cluster
# yaml and the sfpi stub are generated here.
set -u
VER=0.81.1
CACHE=${TTBPF_CACHE:-$HOME/.cache/ttbpf}
VENV=$CACHE/venv-$VER
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
skip() { echo "skip: $*" >&2; exit 77; }

PY=
for p in /root/.pyenv/versions/3.10*/bin/python3.10 "$(command -v python3.10)"; do
	[ -x "$p" ] && PY=$p && break
done
[ -n "$PY" ] || skip "no python3.10 (ttnn $VER has only cp310/cp312 wheels)"

LIB=$("$ROOT/tools/fetch-ttnn.sh" $VER 2>/dev/null | tail -1)
WHEEL=$(ls "$CACHE"/ttnn/$VER/*.whl "$CACHE"/ttnn/*$VER*.whl 2>/dev/null | head -1)
SITE=$VENV/lib/python3.10/site-packages
if [ ! -f "$SITE/ttnn/build/lib/libtt_metal.so" ]; then
	[ -n "$WHEEL" ] || skip "ttnn $VER wheel not in $CACHE (lib: $LIB)"
	"$PY" -m venv "$VENV" >/dev/null 2>&1 || skip "venv creation failed"
	"$VENV/bin/pip" install -q "$WHEEL" >"$CACHE/venv-$VER.log" 2>&1 ||
		skip "pip install failed, see $CACHE/venv-$VER.log"
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
