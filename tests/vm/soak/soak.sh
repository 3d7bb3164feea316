#!/bin/sh
# Soak: a long capture with rotation (by size, and on SIGHUP every 30 s)
# into a bounded ring of files, as a field logger runs. Every 10 s it notes
# the files' count and total size and the recorder's memory (VmRSS,
# VmData); meanwhile snapshots are taken and loopback traffic flows.
# Asserts:
#  - disk use stays bounded: never more than --max-files + 1 files (the next
#    one is created ahead), never more than that many times the rotation
#    size plus one chunk;
#  - the recorder's memory does not grow: in the last third of the run its
#    VmData rises by no more than 512 KiB and its RSS peaks by no more than
#    1 MiB over the middle third (the first third is warm-up);
#  - the recorder ends cleanly (exit 0: every record the kernel wrote went
#    into one of the files it wrote), every file kept is readable
#    (hwstats-report) and holds no kernel address (hws-ptrscan);
#  - the files kept hold the newest records of the simulated device, each
#    once, without a gap, up to the last one it produced (hws-simcheck
#    --newest on the ring).
# 10 minutes by default; tests/vm/run.sh --append hws_soak_seconds=N to
# change it. Run by `make soak` (tests/vm/soak/run-long.sh).
set -eu
. /guest-lib.sh

secs=$(sed -n 's/.*hws_soak_seconds=\([0-9][0-9]*\).*/\1/p' /proc/cmdline)
secs=${secs:-600}
ring=5
rotate_s=20
rotate_size=262144
chunk_slack=65536

insmod "$KO/hwstats.ko"
insmod "$KO/hwstats_sim.ko" rate=1000
ip link set lo up
mkdir -p "$OUT/ring"

hwstats-record -q -o "$OUT/ring/soak.hws" -d "${secs}s" -p 100ms \
	-R "${rotate_s}s" -r "$rotate_size" -m "$ring" &
rec=$!

# Background activity: a snapshot every 2 s, a ping every second.
(
	while :; do
		hwstats-stat >/dev/null || echo "snapshot failed" >>"$OUT/activity-errors.txt"
		ping -q -c 2 -i 0.5 127.0.0.1 >/dev/null 2>&1 || true
	done
) &
act=$!

# Every 10 s: the files' count and size, the recorder's RSS and VmData.
echo "t_s files bytes rss_kib data_kib" >"$OUT/samples.txt"
t=0
max_files=0
max_bytes=0
while kill -0 $rec 2>/dev/null; do
	sleep 10
	t=$((t + 10))
	mem=$(awk '/^VmRSS:/ { r = $2 } /^VmData:/ { d = $2 } END { print r, d }' \
		"/proc/$rec/status" 2>/dev/null) || break
	[ -n "$mem" ] || break
	files=$(ls "$OUT/ring" | wc -l)
	bytes=$(ls -l "$OUT/ring" | awk '{ s += $5 } END { print s + 0 }')
	echo "$t $files $bytes $mem" >>"$OUT/samples.txt"
	[ $((t % 60)) -ne 0 ] ||
		echo "soak: ${t}s: $files files, $bytes bytes, recorder RSS and VmData $mem KiB"
	[ "$files" -gt "$max_files" ] && max_files=$files
	[ "$bytes" -gt "$max_bytes" ] && max_bytes=$bytes
	# Rotations by size every ~14 s, and every 30 s one on SIGHUP, which
	# cuts the capture (flushes the kernel's buffers and reads them).
	[ $((t % 30)) -ne 0 ] || kill -HUP $rec 2>/dev/null || true
done
st=0
wait $rec || st=$?
kill $act
wait $act 2>/dev/null || true
echo "recorder exit status: $st"
[ "$st" -eq 0 ] || fail "the recorder did not end cleanly"

limit_files=$((ring + 1))
limit_bytes=$((limit_files * (rotate_size + chunk_slack)))
echo "disk: at most $max_files files and $max_bytes bytes (limits $limit_files and $limit_bytes)"
[ "$max_files" -le "$limit_files" ] || fail "too many files"
[ "$max_bytes" -le "$limit_bytes" ] || fail "disk use not bounded"
[ "$(ls "$OUT/ring" | wc -l)" -le "$ring" ] || fail "more than $ring files at the end"

# Memory: the middle third of the run against the last. The first third
# is warm-up (the allocator's arenas reach their size while files rotate);
# after it a leak keeps lifting VmData (what malloc took from the kernel),
# while RSS moves by a MiB or so between samples with transient buffers.
# VmData may rise by 512 KiB at most, the RSS peaks by 1 MiB.
awk -v secs="$secs" '
	NR == 1 { next }
	{ third = int($1 * 3 / secs) }
	third == 1 { n1++; if ($4 > r1) r1 = $4; if ($5 > d1) d1 = $5 }
	third >= 2 { n2++; if ($4 > r2) r2 = $4; if ($5 > d2) d2 = $5; dend = $5 }
	END {
		printf "memory: recorder RSS peak %d KiB, VmData peak %d KiB in the middle third; %d KiB and %d KiB (%d KiB at the end) in the last\n", r1, d1, r2, d2, dend
		if (!n1 || !n2) { print "the soak was too short to measure memory"; exit 1 }
		exit !(d2 <= d1 + 512 && r2 <= r1 + 1024)
	}' "$OUT/samples.txt" || fail "the recorder's memory grew"

[ ! -s "$OUT/activity-errors.txt" ] || fail "snapshots failed: $(sort | uniq -c <"$OUT/activity-errors.txt")"
n=0
mkdir -p "$OUT/reports"
for f in "$OUT"/ring/*.hws; do
	hwstats-report "$f" >"$OUT/reports/$(basename "$f").txt" ||
		fail "$f is not readable"
	n=$((n + 1))
done
hws-ptrscan "$OUT"/ring/*.hws >"$OUT/ptrscan.txt" || {
	cat "$OUT/ptrscan.txt"
	fail "kernel addresses in the files"
}
echo "$n files kept, every one readable"
cat /sys/kernel/debug/hwstats_sim/produced >"$OUT/produced.txt"
if [ -e "$OUT/ring/soak-000000.hws" ]; then
	# A short soak: the ring never wrapped, so it holds everything.
	hws-simcheck --no-loss "$OUT/ring" "$OUT/produced.txt"
else
	hws-simcheck --newest "$OUT/ring" "$OUT/produced.txt"
fi
ls -l "$OUT/ring"
rmmod hwstats_sim
rmmod hwstats
echo "soak: PASS"
