#!/bin/sh
# Turn a tree staged by `make install-files DESTDIR=ROOT PREFIX=/usr` into
# a Debian package with dpkg-deb: adds the documentation Debian policy asks
# for, the systemd units (installed, never enabled: there is no maintainer
# script), compresses the man pages, writes control and md5sums.
# Usage: mkdeb.sh ROOT VERSION OUT.deb
set -eu
root=$1
version=$2
out=$3
here=$(cd "$(dirname "$0")" && pwd)
doc=$root/usr/share/doc/ttbpf

# The changelog's date is the last commit's, so that the same tree gives
# the same package.
when=$(git log -1 --format=%ct 2>/dev/null || date +%s)
date=$(date -u -R -d "@$when")

install -d -m 0755 "$doc" "$root/DEBIAN" "$root/lib/systemd/system" \
	"$root/etc/default" "$root/usr/share/lintian/overrides"
install -m 0644 "$here/copyright" "$doc/copyright"
sed -e "s/@VERSION@/$version/" -e "s/@DATE@/$date/" \
	"$here/debian/changelog" | gzip -9n >"$doc/changelog.Debian.gz"
chmod 0644 "$doc/changelog.Debian.gz"
# Every unit in systemd/ ships (a ttbpf-exporter unit joins once that tool
# exists); none is enabled.
install -m 0644 "$here"/systemd/*.service "$root/lib/systemd/system/"
install -m 0644 "$here/debian/ttbpf-trace.default" \
	"$root/etc/default/ttbpf-trace"
install -m 0644 "$here/debian/lintian-overrides" \
	"$root/usr/share/lintian/overrides/ttbpf"
gzip -9nf "$root"/usr/share/man/man8/*.8

(cd "$root" && find etc -type f | sed 's|^|/|' | sort) >"$root/DEBIAN/conffiles"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@SIZE@/$size/" \
	"$here/debian/control" >"$root/DEBIAN/control"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -print |
	sed 's|^\./||' | sort | xargs md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums" \
	"$root/DEBIAN/conffiles"
dpkg-deb --root-owner-group -Zxz --build "$root" "$out" >/dev/null
