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
	if env "$@"; then
		passed=$((passed + 1))
		echo "eco: $name: PASS"
	else
		failed=$((failed + 1))
		echo "eco: $name: FAIL"
	fi
}

# One boot of the guest gives the snapshot and the capture the tests use.
kdir="$(bash scripts/kdir.sh "$series")" || exit 2
krel="$(basename "$kdir")"
krel="${krel#linux-headers-}"
bin="$TOP/build/eco-bin"
rm -rf "$bin" && mkdir -p "$bin" && cp build/static/bin/* "$bin/" || exit 2
out="$TOP/tests/vm/out/eco-$series"
rm -rf "$out" && mkdir -p "$out" || exit 2
run vm HWSTATS_KO_DIR="$TOP/build/kmod/$krel" HWSTATS_BIN_DIR="$bin" \
	bash tests/vm/run.sh --kernel "$series" --out "$out" tests/eco/vm-eco.sh

run install bash tests/eco/install.sh
traces="$(ls "$TOP"/tests/golden/hws/*.hws "$out"/flight/*.hws | tr '\n' ' ')$out/capture.hws"
run pandas env HWSTATS_LIBHWS="$TOP/build/host/lib/libhws.so.1" \
	HWSTATS_REPORT="$TOP/build/host/bin/hwstats-report" \
	HWSTATS_TRACES="$traces" \
	/usr/bin/python3 python/tests/test_hwstats.py
run prometheus-live bash tests/eco/prometheus-live.sh "$out"
run prometheus-backfill bash tests/eco/prometheus-backfill.sh "$out/capture.hws"
echo "eco: $passed passed, $failed failed"
((failed == 0))
