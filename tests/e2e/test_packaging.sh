#!/bin/bash
# What ships: `make install` (PREFIX, DESTDIR) installs exactly the tools,
# their man pages and bash completion, and `make uninstall` removes exactly
# that; the man pages render without warnings and document every option
# --help lists; completion offers the tools' options; the Debian package of
# `make deb` passes lintian, installs with dpkg -i into a scratch root,
# runs, and purges without leaving a file. Loads no BPF.
source "$(dirname "$0")/lib.sh"
REPO=$(cd "$E2E/../.." && pwd)
DIST=${TTBPF_DIST:-$(dirname "$OUT")/dist}
# Every tool the build makes ships: a new one needs its man page.
TOOLS=$(cd "$OUT" && ls ttbpf-* | grep -v '\.')
BPF_OBJ=$(dirname "$OUT")/release/ttbpf.bpf.o

# make in the repository, without the caller's make variables (make test
# builds with SAN=1; install ships the release build).
mk() {
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s -C "$REPO" \
		--no-print-directory "$@"
}

expected_files() { # PREFIX
	for t in $TOOLS; do
		echo "$1/bin/$t"
		echo "$1/share/man/man8/$t.8"
		echo "$1/share/bash-completion/completions/$t"
	done | sort
}

listing() { # DIR: every non-directory, relative
	(cd "$1" && find . -not -type d | sed 's|^\.||' | sort)
}

# --- make install / uninstall -------------------------------------------------

for prefix in /usr/local /opt/ttbpf; do
	dest=$WORK/dest$(echo "$prefix" | tr / _)
	mk install DESTDIR="$dest" PREFIX="$prefix" >"$WORK/install.log" 2>&1
	check "make install DESTDIR PREFIX=$prefix exits 0" test $? -eq 0
	check "install PREFIX=$prefix: exactly the tools, man pages, completion" \
		diff <(expected_files "$prefix") <(listing "$dest")
	for t in $TOOLS; do
		check "installed $t --version: release, revision, BPF hash, libbpf" \
			bash -c "'$dest$prefix/bin/$t' --version | sed -n 3p | grep -qx 'BPF object: sha256 $(sha256sum "$BPF_OBJ" | cut -d' ' -f1), $(stat -c %s "$BPF_OBJ") bytes'"
	done
	mk uninstall DESTDIR="$dest" PREFIX="$prefix" >>"$WORK/install.log" 2>&1
	check "make uninstall PREFIX=$prefix exits 0" test $? -eq 0
	check "make uninstall PREFIX=$prefix leaves no file" test -z "$(listing "$dest")"
done

dest=$WORK/dest
mk install DESTDIR="$dest" PREFIX=/usr >"$WORK/install.log" 2>&1
RELEASE=$("$dest/usr/bin/ttbpf-trace" --version | head -1 | cut -d' ' -f2)
MANDIR=$dest/usr/share/man

# --- man pages -----------------------------------------------------------------

for t in $TOOLS; do
	page=$MANDIR/man8/$t.8
	check "man -l $t.8 renders without warnings" bash -c \
		"out=\$(MANWIDTH=100 man --warnings -l '$page' 2>&1 >/dev/null); [ -z \"\$out\" ] || { echo \"\$out\"; exit 1; }"
	check "groff -ww -man $t.8: no warnings" bash -c \
		"out=\$(groff -ww -man -z '$page' 2>&1); [ -z \"\$out\" ] || { echo \"\$out\"; exit 1; }"
	check "man -M finds $t in section 8" test \
		"$(man -M "$MANDIR" -w 8 "$t" 2>/dev/null)" = "$page"
	MANWIDTH=200 man -l "$page" 2>/dev/null | col -b >"$WORK/$t.man.txt"
	# Every long option --help lists is documented, and the page's
	# OPTIONS section documents nothing --help does not list.
	"$dest/usr/bin/$t" --help | grep -Eo -- '^ +(-., )?--[a-z][a-z-]*' |
		grep -Eo -- '--[a-z-]+' | sort -u >"$WORK/$t.help.opts"
	sed -n '/^OPTIONS/,/^[A-Z]/p' "$WORK/$t.man.txt" |
		grep -Eo -- '--[a-z][a-z-]*' | sort -u >"$WORK/$t.man.opts"
	check "$t.8 documents every option of --help" \
		bash -c "comm -23 '$WORK/$t.help.opts' '$WORK/$t.man.opts' | { ! grep .; }"
	check "$t.8 OPTIONS lists no option --help lacks" \
		bash -c "comm -13 '$WORK/$t.help.opts' '$WORK/$t.man.opts' | { ! grep .; }"
	for sec in 'EXIT STATUS' FILES EXAMPLES; do
		check "$t.8 has a $sec section" grep -qx "$sec" "$WORK/$t.man.txt"
	done
	check "$t.8 is the page of this release" grep -q \
		"^\.TH .* \"ttbpf $RELEASE\"" "$page"
	check "$t.8 names the pinned maps' directory" grep -q '/sys/fs/bpf/ttbpf' "$WORK/$t.man.txt"
done
for t in ttbpf-trace ttbpf-snapshot; do
	check "$t.8 has the JSON reference" grep -qx 'JSON OUTPUT' "$WORK/$t.man.txt"
done

# --- bash completion -----------------------------------------------------------

# complete TOOL WORDS...: what TAB offers for the last word.
complete_words() {
	bash -c 'source /usr/share/bash-completion/bash_completion
		source "$1/usr/share/bash-completion/completions/$2"
		PATH=$1/usr/bin:$PATH
		shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_ttbpf "$1" "${COMP_WORDS[-1]}" "${COMP_WORDS[-2]}"
		printf "%s\n" "${COMPREPLY[@]}"' _ "$dest" "$@" 2>/dev/null
}
if [ -r /usr/share/bash-completion/bash_completion ]; then
	check "completion: ttbpf-trace --pi offers --pid=, --pin, --pin-dir=" test \
		"$(complete_words ttbpf-trace --pi | sort | tr '\n' ' ')" = "--pid= --pin --pin-dir= "
	check "completion: ttbpf-top --sort offers the sort keys" test \
		"$(complete_words ttbpf-top --sort '' | tr '\n' ' ')" = "dram l1 l1_small trace buffers peak age pid "
	check "completion: ttbpf-snapshot --fa offers --fail-on-leak" test \
		"$(complete_words ttbpf-snapshot --fa)" = "--fail-on-leak"
	check "completion: after ttbpf-trace -- it completes a command" test \
		"$(complete_words ttbpf-trace -- ttbpf-sn)" = "ttbpf-snapshot"
else
	not_ok "bash-completion is installed" "tools/install-deps.sh installs it"
fi
mk uninstall DESTDIR="$dest" PREFIX=/usr >/dev/null 2>&1

# --- the Debian package ---------------------------------------------------------

shopt -s nullglob
debs=("$DIST"/ttbpf_*_amd64.deb)
if [ ${#debs[@]} -ne 1 ]; then
	not_ok "one .deb in $DIST" "found ${#debs[@]}: run make deb"
	finish
fi
DEB=${debs[0]}
lintian --no-tag-display-limit "$DEB" >"$WORK/lintian.txt" 2>&1
rc=$?
check "lintian: no errors" bash -c "[ $rc -eq 0 ] && ! grep '^E:' '$WORK/lintian.txt'"
grep -E '^[WI]:' "$WORK/lintian.txt" | sed 's/^/# lintian /'

dpkg-deb -c "$DEB" | awk '{print $6}' | sed 's|^\.||' >"$WORK/deb.files"
for f in /usr/bin/ttbpf-trace /usr/bin/ttbpf-top /usr/bin/ttbpf-snapshot \
	/usr/share/man/man8/ttbpf-trace.8.gz /usr/share/man/man8/ttbpf-top.8.gz \
	/usr/share/man/man8/ttbpf-snapshot.8.gz \
	/usr/share/bash-completion/completions/ttbpf-trace \
	/lib/systemd/system/ttbpf-trace.service /etc/default/ttbpf-trace \
	/usr/share/doc/ttbpf/copyright; do
	check "deb ships $f" grep -qx "$f" "$WORK/deb.files"
done
check "deb: the unit is not enabled (no .wants link)" bash -c "! grep -q wants '$WORK/deb.files'"
check "deb version is the tools' release" bash -c \
	"dpkg-deb -f '$DEB' Version | grep -qx '$RELEASE-[0-9]*'"
check "deb depends on nothing (static tools)" bash -c \
	"[ -z \"\$(dpkg-deb -f '$DEB' Depends)\" ]"

# The unit, checked by systemd with the binary where it would be.
unit=$WORK/ttbpf-trace.service
sed "s|/usr/bin/ttbpf-trace|$(realpath "$(dirname "$OUT")/static/ttbpf-trace")|g" \
	"$REPO/tools/packaging/systemd/ttbpf-trace.service" >"$unit"
if command -v systemd-analyze >/dev/null; then
	check "systemd-analyze verify: the unit has no warnings" bash -c \
		"out=\$(systemd-analyze verify --man=no '$unit' 2>&1); [ -z \"\$out\" ] || { echo \"\$out\"; exit 1; }"
fi

R=$WORK/dpkg-root
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates"
: >"$R/var/lib/dpkg/status"
dpkg --root="$R" -i "$DEB" >"$WORK/dpkg.log" 2>&1
check "dpkg -i into a scratch root" test $? -eq 0
check "dpkg says ttbpf is installed" bash -c \
	"dpkg-query --root='$R' -W -f='\${Status}' ttbpf | grep -qx 'install ok installed'"
"$R/usr/bin/ttbpf-trace" --version >"$WORK/deb-version.txt" 2>&1
check "installed package: ttbpf-trace --version" grep -Eqx \
	"ttbpf-trace [0-9]+\.[0-9]+\.[0-9]+" <(head -1 "$WORK/deb-version.txt")
check "installed package: ttbpf-trace is the static build" bash -c \
	"! ldd '$R/usr/bin/ttbpf-trace' >/dev/null 2>&1"
check "installed package: man pages are read by man" bash -c \
	"man -M '$R/usr/share/man' 8 ttbpf-top 2>/dev/null | grep -q 'ttbpf-top'"
dpkg --root="$R" -P ttbpf >>"$WORK/dpkg.log" 2>&1
check "dpkg -P removes the package" test $? -eq 0
check "nothing of the package is left" bash -c \
	"[ -z \"\$(cd '$R' && find . -not -type d -not -path './var/lib/dpkg/*')\" ]"
finish
