#!/usr/bin/env bash
# Run one long VM scenario on each kernel series given, with the modules
# built for that kernel and the statically linked tools, as run-all.sh does
# for the short ones. Used by `make soak` and `make test-load`.
#
# Usage: tests/vm/soak/run-long.sh [--timeout SEC] [--append ARGS]
#                                  [--name NAME] SCENARIO SERIES...
#   --timeout SEC   per run (default 1800)
#   --append ARGS   kernel command line, e.g. hws_soak_seconds=600
#   --name NAME     out directories tests/vm/out/NAME-SERIES (default: the
#                   scenario's name)
# Ends with "N passed, M failed"; exit 0 only if all passed.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TOP="$(cd "$HERE/../../.." && pwd)"
cd "$TOP" || exit 125

timeout_s=1800
append=""
name=""
while (($#)); do
	case "$1" in
	--timeout) timeout_s="$2"; shift 2 ;;
	--append) append="$2"; shift 2 ;;
	--name) name="$2"; shift 2 ;;
	*) break ;;
	esac
done
(($# >= 2)) || {
	sed -n '6,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 125
}
scenario="$1"
shift
[[ -f "$scenario" ]] || { echo "run-long: no scenario $scenario" >&2; exit 125; }
name="${name:-$(basename "$scenario" .sh)}"

bin="$TOP/build/vm-bin-long"
rm -rf "$bin" && mkdir -p "$bin"
cp build/static/bin/* build/static/vmtools/* "$bin/" || {
	echo "run-long: static tools missing: run 'make static'" >&2
	exit 125
}
passed=0
failed=0
for series in "$@"; do
	kdir="$(bash scripts/kdir.sh "$series")" || exit 125
	krel="$(basename "$kdir")"
	krel="${krel#linux-headers-}"
	make --no-print-directory -s modules KDIR="$kdir" >/dev/null || {
		echo "run-long: building the modules for $krel failed" >&2
		exit 125
	}
	args=(--kernel "$series" --timeout "$timeout_s" --out "tests/vm/out/$name-$series")
	[[ -z "$append" ]] || args+=(--append "$append")
	start=$(date +%s)
	if HWSTATS_KO_DIR="$TOP/build/kmod/$krel" HWSTATS_BIN_DIR="$bin" \
		bash tests/vm/run.sh "${args[@]}" "$scenario"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
	echo "run-long: $name on $series took $(($(date +%s) - start)) s"
done
echo "run-long: $passed passed, $failed failed"
((failed == 0))
