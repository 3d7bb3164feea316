#!/usr/bin/env bash
# The ecosystem tests (make test-eco): the installed library, the pandas
# reader against hwstats-report, and a real node_exporter serving
# hwstats-stat's snapshot. Ends with "N passed, M failed".
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TOP="$(cd "$HERE/../.." && pwd)"
cd "$TOP" || exit 2
series="${1:-6.1}"
passed=0
failed=0
run() {
	local name=$1
	shift
	if "$@"; then
		passed=$((passed + 1))
		echo "eco: $name: PASS"
	else
		failed=$((failed + 1))
		echo "eco: $name: FAIL"
	fi
}
run install bash tests/eco/install.sh
run pandas env HWSTATS_LIBHWS="$TOP/build/host/lib/libhws.so.1" \
	HWSTATS_REPORT="$TOP/build/host/bin/hwstats-report" \
	/usr/bin/python3 python/tests/test_hwstats.py
run prometheus-live bash tests/eco/prometheus-live.sh "$series"
echo "eco: $passed passed, $failed failed"
((failed == 0))
