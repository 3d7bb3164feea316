#!/usr/bin/env bash
# Run every scenario in tests/vm/scenarios on each kernel series given
# (default: 6.1 6.12), with the modules built for that kernel and the
# statically linked tools. Ends with "N passed, M failed".
#
# Usage: tests/vm/run-all.sh [SERIES...]     e.g. tests/vm/run-all.sh 6.1
#   SCENARIOS="capture smoke" limits the scenarios run.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TOP="$(cd "$HERE/../.." && pwd)"
cd "$TOP" || exit 125

series_list=("$@")
((${#series_list[@]})) || series_list=(6.1 6.12)

bin="$TOP/build/vm-bin"
rm -rf "$bin" && mkdir -p "$bin"
cp build/static/bin/* build/static/vmtools/* "$bin/" || {
	echo "vm: static tools missing: run 'make static'" >&2
	exit 125
}

if [[ -n "${SCENARIOS:-}" ]]; then
	scenarios=()
	for s in $SCENARIOS; do scenarios+=("tests/vm/scenarios/$s.sh"); done
else
	scenarios=(tests/vm/scenarios/*.sh)
fi

passed=0
failed=0
failures=()
for series in "${series_list[@]}"; do
	kdir="$(bash scripts/kdir.sh "$series")" || exit 125
	krel="$(basename "$kdir")"
	krel="${krel#linux-headers-}"
	make --no-print-directory -s modules KDIR="$kdir" >/dev/null || {
		echo "vm: building the modules for $krel failed" >&2
		exit 125
	}
	for sc in "${scenarios[@]}"; do
		start=$(date +%s)
		if HWSTATS_KO_DIR="$TOP/build/kmod/$krel" HWSTATS_BIN_DIR="$bin" \
			bash tests/vm/run.sh --kernel "$series" "$sc"; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
			failures+=("$(basename "$sc" .sh) on $series")
		fi
		echo "vm: $(basename "$sc" .sh) on $series took $(($(date +%s) - start)) s"
	done
done
for f in "${failures[@]}"; do echo "vm: failed: $f"; done
echo "vm: $passed passed, $failed failed"
((failed == 0))
