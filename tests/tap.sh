#!/bin/bash
# Result helpers shared by the shell test suites: "ok - NAME" and
# "not ok - NAME: WHY" lines, counted for the closing
# "N passed, N failed" line that tests/run-all.sh reads.
PASS=0
FAIL=0

ok() {
	echo "ok - $1"
	PASS=$((PASS + 1))
}

not_ok() {
	echo "not ok - $1${2:+: $2}"
	FAIL=$((FAIL + 1))
}

# check NAME CMD...: passes when CMD succeeds; its output explains a failure.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		ok "$name"
	else
		not_ok "$name" "$out"
	fi
}

# jq_true [JQ OPTIONS...] FILTER FILE: jq -e, but an empty or missing FILE
# fails (jq -e alone succeeds when there is no input at all).
jq_true() {
	local file=${!#}
	[ -s "$file" ] || { echo "$file: empty or missing"; return 1; }
	jq -e "$@"
}
