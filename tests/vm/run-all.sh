#!/usr/bin/env bash
# Run every scenario in tests/vm/scenarios on each kernel series given
# (default: 6.1 6.12), with the modules built for that kernel and the
# statically linked tools of its architecture. Ends with "N passed, M failed".
#
# Usage: tests/vm/run-all.sh [SERIES...]     e.g. tests/vm/run-all.sh 6.1
#   SERIES: 6.1, 6.12, latest, 6.1-arm64, 6.1-686 (scripts/fetch-kernel.sh)
#   SCENARIOS="capture smoke" limits the scenarios run;
#   SKIP_SCENARIOS="concurrency load" leaves those out (make test does, on
#   every series but the newest: see the Makefile's vm-test).
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TOP="$(cd "$HERE/../.." && pwd)"
cd "$TOP" || exit 125

series_list=("$@")
((${#series_list[@]})) || series_list=(6.1 6.12)

# The statically linked tools of the guest's architecture: make static
# (amd64), make static-arm64, make static-i386.
tools_for() { # SERIES
	local variant=static bin
	case "$1" in
	*-arm64) variant=static-arm64 ;;
	*-686) variant=static-i386 ;;
	esac
	bin="$TOP/build/vm-bin/$variant"
	if [[ ! -d "$bin" ]]; then
		mkdir -p "$bin"
		cp "build/$variant"/bin/* "build/$variant"/vmtools/* "$bin/" || {
			echo "vm: static tools missing: run 'make $variant'" >&2
			return 1
		}
	fi
	echo "$bin"
}
rm -rf "$TOP/build/vm-bin"

if [[ -n "${SCENARIOS:-}" ]]; then
	scenarios=()
	for s in $SCENARIOS; do scenarios+=("tests/vm/scenarios/$s.sh"); done
else
	scenarios=(tests/vm/scenarios/*.sh)
fi
if [[ -n "${SKIP_SCENARIOS:-}" ]]; then
	kept=()
	for sc in "${scenarios[@]}"; do
		[[ " $SKIP_SCENARIOS " == *" $(basename "$sc" .sh) "* ]] || kept+=("$sc")
	done
	scenarios=("${kept[@]}")
	echo "vm: not run here: $SKIP_SCENARIOS"
fi

passed=0
failed=0
failures=()
for series in "${series_list[@]}"; do
	kdir="$(bash scripts/kdir.sh "$series")" || exit 125
	bin="$(tools_for "$series")" || exit 125
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
