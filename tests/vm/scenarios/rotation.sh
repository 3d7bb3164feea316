#!/bin/sh
# Rotation: by time and by size into a set of files whose union is the
# stream (no record lost or written twice across a boundary), on SIGHUP,
# and a ring that keeps only the newest files, also across a restart.
# Counts of files are asserted only where SIGHUP makes them deterministic.
# Closed files are compacted (docs/design.md): the union checks run on the
# compacted files, and no temporary file of a compaction is left behind.
set -eu
. /guest-lib.sh

insmod "$KO/hwstats.ko"
insmod "$KO/hwstats_sim.ko" rate=1000
produced() { cat /sys/kernel/debug/hwstats_sim/produced >"$OUT/$1.txt"; }

echo "== rotate every second (10 chunks a CPU: compacted)"
mkdir "$OUT/time"
produced before-time
hwstats-record -q -s sim -o "$OUT/time/run.hws" -d 4500ms -R 1s -F 100ms
produced after-time
n=$(ls "$OUT/time" | wc -l)
echo "files: $n"
[ "$n" -ge 2 ]
hws-simcheck --no-loss "$OUT/time" "$OUT/after-time.txt" "$OUT/before-time.txt"
no_temp() { ! ls -A "$1" | grep -q '\.compact-' || fail "$1: a compaction's temporary file is left"; }
no_temp "$OUT/time"

echo "== rotate at 16 KiB, and on SIGHUP (files as written: their sizes)"
mkdir "$OUT/size"
produced before-size
hwstats-record -q -s sim -o "$OUT/size/run.hws" -r 16K -F 100ms --no-compact &
pid=$!
sleep 2
kill -HUP $pid
sleep 1
kill -INT $pid
wait $pid
produced after-size
ls -l "$OUT/size"
n=$(ls "$OUT/size" | wc -l)
[ "$n" -ge 2 ]
# Only the file SIGHUP closed and the last one end below the size; a
# rotation never leaves a file of a header and a footer alone.
small=0
for f in "$OUT"/size/*.hws; do
	[ "$(stat -c %s "$f")" -ge 16384 ] || small=$((small + 1))
done
[ "$small" -le 2 ] || fail "$small files below 16 KiB"
hws-simcheck --no-loss "$OUT/size" "$OUT/after-size.txt" "$OUT/before-size.txt"

echo "== a ring of 3 files: six made by SIGHUP, the newest three kept"
mkdir "$OUT/ring"
hwstats-record -q -s sim -o "$OUT/ring/run.hws" -m 3 &
pid=$!
for i in 1 2 3 4 5; do
	sleep 1
	kill -HUP $pid
done
sleep 1
kill -INT $pid
wait $pid
ls "$OUT/ring"
[ "$(ls "$OUT/ring" | wc -l)" -eq 3 ]
[ -f "$OUT/ring/run-000005.hws" ]
[ -f "$OUT/ring/run-000003.hws" ]
[ ! -f "$OUT/ring/run-000002.hws" ]
for f in "$OUT"/ring/*.hws; do
	hwstats-report "$f" >/dev/null
done
no_temp "$OUT/ring"

echo "== a restarted recorder continues the ring, overwriting nothing"
hwstats-record -q -s sim -o "$OUT/ring/run.hws" -m 3 &
pid=$!
sleep 1
kill -HUP $pid
sleep 1
kill -INT $pid
wait $pid
ls "$OUT/ring"
[ "$(ls "$OUT/ring" | wc -l)" -eq 3 ]
[ -f "$OUT/ring/run-000007.hws" ]
[ -f "$OUT/ring/run-000005.hws" ]
[ ! -f "$OUT/ring/run-000004.hws" ]
no_temp "$OUT/ring"

echo "== the last file compacted before the summary, which gives its size"
mkdir "$OUT/last"
produced before-last
hwstats-record -s sim -o "$OUT/last/run.hws" -d 2s -F 100ms >"$OUT/last.txt"
produced after-last
cat "$OUT/last.txt"
grep -q "finished file compacted into longer chunks" "$OUT/last.txt" ||
	fail "the last file was not compacted"
size=$(stat -c %s "$OUT/last/run.hws")
grep -q " $size bytes (" "$OUT/last.txt" || fail "the summary does not give the size, $size bytes"
hws-simcheck --no-loss "$OUT/last" "$OUT/after-last.txt" "$OUT/before-last.txt"
no_temp "$OUT/last"

rmmod hwstats_sim
rmmod hwstats
