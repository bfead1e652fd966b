#!/bin/sh
# Regenerate vmlinux/vmlinux.h from a kernel's BTF. The committed header is
# what every build uses, so a build never depends silently on the build
# host's kernel; CO-RE relocates field offsets at load time anyway.
# Usage: tools/gen-vmlinux.sh [BTF_FILE]   (default /sys/kernel/btf/vmlinux)
set -eu
BTF=${1:-${VMLINUX_BTF:-/sys/kernel/btf/vmlinux}}
OUT=$(dirname "$0")/../vmlinux/vmlinux.h
TMP=$(mktemp)
trap 'rm -f "$TMP"' EXIT
bpftool btf dump file "$BTF" format c >"$TMP"
if cmp -s "$TMP" "$OUT"; then
	echo "vmlinux.h unchanged"
else
	cp "$TMP" "$OUT"
	echo "vmlinux.h regenerated from $BTF ($(uname -r)): update vmlinux/README.md"
fi
