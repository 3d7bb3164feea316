#!/usr/bin/env bash
# Run every unit-test binary in DIR and summarise.
#
# Usage: tests/unit/run.sh DIR
#
# Each test_* executable in DIR runs from the top of the source tree (so
# tests find tests/golden/), with its output kept in DIR/<name>.log. One line
# per binary says PASS or FAIL with its count of cmocka tests; a failing
# binary's log is printed. The last line is "N passed, M failed", counting
# test binaries; the exit status is non-zero if any failed.
set -u

if [[ $# -ne 1 || ! -d "$1" ]]; then
	echo "usage: $0 DIR (a directory of test binaries)" >&2
	exit 2
fi
dir=$(cd "$1" && pwd)
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2

passed=0
failed=0
shopt -s nullglob
for t in "$dir"/test_*; do
	[[ -f "$t" && -x "$t" ]] || continue
	name=$(basename "$t")
	log="$dir/$name.log"
	"$t" >"$log" 2>&1
	rc=$?
	ran=$(grep -c '^\[ RUN      \]' "$log")
	bad=$(sed -n 's/^\[  FAILED  \] \([0-9][0-9]*\) test(s).*/\1/p' "$log")
	if [[ $rc -eq 0 ]]; then
		echo "PASS $name ($ran tests)"
		passed=$((passed + 1))
	else
		echo "FAIL $name (exit $rc, ${bad:-?} of $ran tests failed)"
		sed 's/^/    /' "$log"
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[[ $failed -eq 0 && $passed -gt 0 ]]
