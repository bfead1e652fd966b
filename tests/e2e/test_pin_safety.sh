#!/bin/bash
# The pin directory lives in /sys/fs/bpf, which every user can write. Each
# attack of a local user (nobody, through setpriv) must fail: a planted pin
# directory is refused, never adopted; symbolic links planted as or inside
# it make root touch nothing else (decoy files keep their bytes and inode);
# racing root's mkdir never yields a user-owned pin directory; --unpin
# leaves no probe attached, and every message says what really happened.
source "$(dirname "$0")/lib.sh"
LIB=$(lib_of "${TTBPF_PIN_VARIANT:-e4-release}")
BASE=/sys/fs/bpf/ttbpf-e2e-$$
AS_USER=(setpriv --reuid=65534 --regid=65534 --clear-groups)
USER_PIDS=()

cleanup_pins() {
	for p in "${USER_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	for d in "$BASE"-*; do
		[ -e "$d" ] || [ -L "$d" ] || continue
		"$TRACE" --unpin --pin-dir "$d" >/dev/null 2>&1
		rm -rf "$d" # never follows the links planted inside
	done
}
trap 'cleanup_pins; cleanup' EXIT

if ! command -v setpriv >/dev/null || ! "${AS_USER[@]}" true; then
	echo "skip: setpriv cannot run commands as nobody here"
	exit 77
fi

# Root's files an unpin that follows names would delete: named like map
# and link pins, in a plain folder and as pinned maps in a bpffs folder.
DECOY=$WORK/decoy
mkdir -m 0700 "$DECOY" "$DECOY/links"
for n in 0 1 2 3 allocs meta dev_usage events; do
	echo "root's $n" >"$DECOY/$n"
	echo "root's links/$n" >"$DECOY/links/$n"
done
DECOY_BPF=$BASE-decoy-bpf
mkdir -m 0700 "$DECOY_BPF"
for n in 0 1 2 allocs meta; do
	bpftool map create "$DECOY_BPF/$n" type array key 4 value 4 entries 1 name decoy_$n
done
fingerprint() {
	(cd "$DECOY" && find . -type f -printf '%p %i ' -exec sha256sum {} \; | sort)
	(cd "$DECOY_BPF" && find . -printf '%p %i %y\n' | sort)
}
fingerprint >"$WORK/decoy.before"
decoys_intact() {
	fingerprint | diff "$WORK/decoy.before" -
}
# ttbpf's programs loaded now that were not before this suite started:
# by id, so that programs of others coming and going do not count.
ttbpf_prog_ids() {
	bpftool -j prog show 2>/dev/null | jq -r '.[] | select(.name // "" |
		test("^(alloc_entry|free_entry|bulk_free|throw_entry|handle_exit)$")) | .id' | sort
}
new_progs() {
	comm -13 <(echo "$BASELINE") <(ttbpf_prog_ids)
}
no_new_progs() { # poll: released links are freed by a kernel worker
	for _ in $(seq 60); do
		[ -z "$(new_progs)" ] && return 0
		sleep 0.05
	done
	echo "still loaded: programs $(new_progs | tr '\n' ' ')"
	return 1
}
owner_mode() { stat -c '%u %a' "$1"; }
BASELINE=$(ttbpf_prog_ids)

# 1. A pin directory the user made first, with links to root's files in it.
P=$BASE-planted
"${AS_USER[@]}" mkdir "$P"
"${AS_USER[@]}" ln -s "$DECOY" "$P/links"
for n in allocs meta events; do "${AS_USER[@]}" ln -s "$DECOY/$n" "$P/$n"; done
expect_error "--pin refuses a pin directory the user made" \
	"$P is owned by uid 65534, not root.*will not" \
	"$TRACE" --lib "$LIB" --pin --pin-dir "$P" --quiet
check "--pin did not adopt it (still the user's, nothing pinned in it)" \
	test "$(owner_mode "$P") $(ls "$P" | tr '\n' ' ')" = "65534 755 allocs events links meta "
expect_error "--unpin refuses it" "$P is owned by uid 65534" \
	"$TRACE" --unpin --pin-dir "$P"
check "--unpin through the planted links touched no file of root's" decoys_intact
expect_error "ttbpf-snapshot refuses to read pins from it" \
	"owned by uid 65534.*will not use" "$SNAP" --pin-dir "$P"
expect_error "ttbpf-top refuses to read pins from it (and does not attach by itself)" \
	"owned by uid 65534.*will not use" "$TOP" --pin-dir "$P" --once

# 2. The pin directory itself a link to root's folders.
for target in "$DECOY" "$DECOY_BPF"; do
	L=$BASE-link
	"${AS_USER[@]}" ln -s "$target" "$L"
	expect_error "--unpin refuses a pin path that is a link (to $(basename "$target"))" \
		"$L is a symbolic link, not ttbpf's pin directory: ttbpf will not follow or touch it" \
		"$TRACE" --unpin --pin-dir "$L"
	expect_error "--pin refuses it too (to $(basename "$target"))" \
		"$L is a symbolic link" "$TRACE" --lib "$LIB" --pin --pin-dir "$L" --quiet
	check "nothing of root's behind the link was touched" decoys_intact
	rm "$L"
done

# 3. A link on the way to the pin directory.
"${AS_USER[@]}" ln -s "$WORK" "$BASE-via"
expect_error "--unpin does not follow a link on the way" \
	"$BASE-via, on the way to the pin directory, is not a directory.*does not follow" \
	"$TRACE" --unpin --pin-dir "$BASE-via/decoy"
check "--unpin through a link on the way touched nothing" decoys_intact
rm "$BASE-via"

# 4. Root's own folder, but writable by others, with a link planted in it.
P=$BASE-loose
mkdir -m 0777 "$P"
"${AS_USER[@]}" ln -s "$DECOY/links" "$P/links"
expect_error "--unpin refuses a pin directory others can write" \
	"$P has mode 0777, not 0700" "$TRACE" --unpin --pin-dir "$P"
expect_error "ttbpf-snapshot refuses to read from it" \
	"$P is writable by group or others" "$SNAP" --pin-dir "$P"
check "root's files behind the planted link survive" decoys_intact
rm -rf "$P"

# 5. The mkdir race: the user tries, in a loop, to create the directory
# (or a link in its place) while root pins: in odd rounds from before root
# starts, in even rounds from a few ms after (while root loads its BPF
# programs: the window an exists-check followed by a later mkdir leaves
# open). Whoever wins, the pin directory root uses is root's own; a
# user's directory or link is only refused.
user_race() {
	"${AS_USER[@]}" bash -c "while :; do mkdir '$P' 2>/dev/null || ln -s '$DECOY' '$P' 2>/dev/null; done" &
	USER_PIDS+=($!)
}
won_root=0 won_user=0 race_ok=1
for i in $(seq 8); do
	P=$BASE-race-$i
	if ((i % 2)); then
		user_race
		for _ in $(seq 100); do [ -e "$P" ] || [ -L "$P" ] && break; sleep 0.01; done
	fi
	"$TRACE" --lib "$LIB" --pin --pin-dir "$P" --quiet -i 0 >"$WORK/race.out" 2>"$WORK/race.err" &
	tp=$!
	BG_PIDS+=("$tp")
	if ! ((i % 2)); then
		sleep "0.0$((i - 2))"
		user_race
	fi
	for _ in $(seq 200); do
		grep -q '^ttbpf: attached' "$WORK/race.err" && break
		kill -0 "$tp" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "${USER_PIDS[-1]}"
	wait "${USER_PIDS[-1]}" 2>/dev/null
	if grep -q '^ttbpf: attached' "$WORK/race.err"; then
		won_root=$((won_root + 1))
		kill -INT "$tp"
		wait "$tp"
		if [ "$(owner_mode "$P")" != "0 700" ] || [ -L "$P" ] || ! [ -e "$P/meta" ]; then
			race_ok=0
			echo "round $i: root pinned into $(stat -c '%U %a %F' "$P")"
		fi
		"$TRACE" --unpin --pin-dir "$P" >/dev/null 2>&1 || race_ok=0
	else
		wait "$tp"
		won_user=$((won_user + 1))
		if ! grep -Eq "owned by uid 65534|is a symbolic link" "$WORK/race.err" ||
			[ -e "$P/meta" ]; then
			race_ok=0
			echo "round $i: $(cat "$WORK/race.err")"
		fi
	fi
	rm -rf "$P"
done
echo "# race: root won $won_root rounds, the user $won_user"
check "the mkdir race never gives root a user's pin directory ($won_root/$won_user)" test "$race_ok" -eq 1
check "no race round touched root's files" decoys_intact
check "no probe left attached by the race rounds" no_new_progs

# 6. --unpin removes every probe, and says so.
P=$BASE-pinned
umask 0777 # would take every bit from mkdir's 0700
start_tracer pinned --lib "$LIB" --pin --pin-dir "$P" --quiet -i 0
umask 022
check "a pinned tracer's directory is root's, mode 0700 (any umask)" \
	test "$(owner_mode "$P") $(owner_mode "$P/links")" = "0 700 0 700"
stop_tracer pinned
check "stopped --pin tracer says its probes stay pinned" \
	grep -q "^ttbpf: probes and maps stay pinned in $P" "$WORK/pinned.trace.err"
check "its probes are still attached" test -n "$(new_progs)"
"$TRACE" --unpin --pin-dir "$P" 2>"$WORK/unpin.err"
check "--unpin exits 0" test $? -eq 0
check "--unpin says what it removed" \
	grep -Eq "^ttbpf: removed [1-9][0-9]* probes and [1-9][0-9]* maps pinned at $P$" "$WORK/unpin.err"
check "after --unpin no ttbpf probe stays attached" no_new_progs
check "after --unpin the pin directory is gone" test ! -e "$P"

# 7. A live --pin tracer whose pins someone removed does not claim they stay.
start_tracer live --lib "$LIB" --pin --pin-dir "$P" --quiet -i 0
"$TRACE" --unpin --pin-dir "$P" 2>"$WORK/unpin-live.err"
check "--unpin under a live tracer exits 0" test $? -eq 0
check "--unpin under a live tracer says its probes detach when it exits" \
	grep -q "stay attached while the tracer that pinned them (pid ${TR_PID[live]}) runs" "$WORK/unpin-live.err"
stop_tracer live
check "the live tracer then says nothing stays pinned" \
	grep -q "^ttbpf: nothing stays pinned: the pins in $P were removed while tracing" "$WORK/live.trace.err"
check "... and never claims that its probes stay pinned" \
	bash -c "! grep -q 'stay pinned in' '$WORK/live.trace.err'"
check "its probes are gone once it exits" no_new_progs

# 8. --unpin with nothing pinned.
"$TRACE" --unpin --pin-dir "$P" >"$WORK/none.out" 2>"$WORK/none.err"
check "--unpin with nothing pinned exits 0" test $? -eq 0
check "--unpin with nothing pinned says so (and not 'removed')" \
	test "$(cat "$WORK/none.err")" = "ttbpf: nothing pinned at $P"

# 9. Something that is not ttbpf's at the pin path, or in the directory.
P=$BASE-object
bpftool map create "$P" type array key 4 value 4 entries 1 name not_ttbpf
expect_error "--pin names the BPF map at the pin path and leaves it" \
	"$P is a pinned BPF map, not ttbpf's pin directory: ttbpf will not follow or touch it" \
	"$TRACE" --lib "$LIB" --pin --pin-dir "$P" --quiet
expect_error "--unpin names it too" "$P is a pinned BPF map, not ttbpf's pin directory" \
	"$TRACE" --unpin --pin-dir "$P"
check "the map is still pinned there" bpftool map show pinned "$P"
rm "$P"
P=$BASE-foreign
mkdir -m 0700 "$P"
bpftool map create "$P/other_tool" type array key 4 value 4 entries 1 name other_tool
expect_error "--unpin leaves a directory holding pins of another tool" \
	"$P holds other_tool \(a pinned BPF map\), which ttbpf did not pin: ttbpf will not touch it" \
	"$TRACE" --unpin --pin-dir "$P"
expect_error "--pin does not pin into it" "$P holds other_tool" \
	"$TRACE" --lib "$LIB" --pin --pin-dir "$P" --quiet
check "the other tool's pin survives" bpftool map show pinned "$P/other_tool"
expect_error "a relative --pin-dir is refused" "not an absolute path" \
	"$TRACE" --unpin --pin-dir ttbpf
# Root's own 0700 folder of ttbpf-named files, but not on bpffs.
expect_error "--unpin deletes nothing off bpffs" "$DECOY is not on a bpffs" \
	"$TRACE" --unpin --pin-dir "$DECOY"

check "root's decoy files are intact at the end" decoys_intact
check "nothing of ttbpf's left attached" no_new_progs
finish
