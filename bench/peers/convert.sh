#!/usr/bin/env bash
# Turn each capture of the peer benchmark into the per-second table of the
# counters' rates, timed, with peak memory, on the host: hwstats-report -i 1s
# for hwstats; trace-cmd report, perf script and babeltrace2, each reduced
# by bench/peers/reduce.awk, for the tracers (run from the Debian tree of
# scripts/build-rootfs.sh under chroot, the versions the guest recorded
# with). Prints key=value lines; the tables go to CAPDIR/table.TOOL.
#
# Usage: bench/peers/convert.sh CAPDIR ROOTFS
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TOP="$(cd "$HERE/../.." && pwd)"
cap="$1" rootfs="$2"
REPORT="$TOP/build/host/bin/hwstats-report"
work="$rootfs/tmp/peers-convert"
rm -rf "$work" && mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

timed() { # TOOL CMD: best wall of 3, its peak RSS
	local tool="$1" best="" rss="" w m
	shift
	for _ in 1 2 3; do
		/usr/bin/time -f '%e %M' -o "$work/time" sh -c "$*" >"$cap/table.$tool" 2>"$work/err"
		read -r w m <"$work/time"
		if [[ -z "$best" ]] || awk -v a="$w" -v b="$best" 'BEGIN { exit !(a < b) }'; then
			best=$w rss=$m
		fi
	done
	echo "convert tool=$tool wall_s=$best peak_rss_kib=$rss"
	# What the table holds: its records, and each counter's increase.
	if [[ "$tool" == hwstats ]]; then
		sed -n 's/^records *[0-9]* (\([0-9]*\) samples.*/table tool=hwstats records=\1/p' "$cap/table.$tool"
	else
		awk -v t="$tool" '/^sec=/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); s[kv[1]] += kv[2] } }
			END { printf "table tool=%s records=%d c1=%d c2=%d c3=%d\n", t, s["records"], s["c1"], s["c2"], s["c3"] }' \
			"$cap/table.$tool"
	fi
	head -n 3 "$work/err" | sed "s/^/convert_err tool=$tool: /"
}

R="chroot $rootfs /usr/bin/env LC_ALL=C PATH=/usr/bin:/bin"
for t in hwstats ftrace perf lttng; do
	[[ -e "$cap/cap.$t" ]] || continue
	cp -r "$cap/cap.$t" "$work/"
	case $t in
	hwstats) timed hwstats "$REPORT -i 1s $work/cap.hwstats" ;;
	ftrace) timed ftrace "$R trace-cmd report -i /tmp/peers-convert/cap.ftrace | awk -f $HERE/reduce.awk" ;;
	perf) timed perf "$R perf script -i /tmp/peers-convert/cap.perf | awk -f $HERE/reduce.awk" ;;
	lttng) timed lttng "$R babeltrace2 --clock-seconds /tmp/peers-convert/cap.lttng | awk -f $HERE/reduce.awk" ;;
	esac
done
