#!/bin/sh
# Install the Debian packages ttbpf needs to build, test and run, and make
# sure bpffs is mounted. Safe to run again: it installs only what is missing.
set -eu

PKGS="make gcc g++ clang llvm libbpf-dev bpftool libelf-dev libdw-dev
zlib1g-dev libcapstone-dev libcmocka-dev libncurses-dev tmux jq python3
python3-pip python3-venv unzip binutils procps clang-format
libclang-rt-14-dev bpftrace bc time liblzma-dev libbz2-dev lintian man-db
groff-base bsdextrautils bash-completion prometheus curl
libsqlite3-dev sqlite3 chromium"

if [ "$(id -u)" -ne 0 ]; then
	echo "ttbpf: setting up needs root (apt-get, bpffs): run with sudo" >&2
	exit 1
fi

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
if [ -n "$missing" ]; then
	echo "ttbpf: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# Pinning and the other tools need bpffs; fresh machines lack the mount.
if ! stat -f -c %T /sys/fs/bpf 2>/dev/null | grep -q bpf; then
	mount -t bpf bpf /sys/fs/bpf
fi
