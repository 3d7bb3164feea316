#!/bin/sh
# Rotation: by time into a set of files whose union is the stream (no record
# lost or written twice across a boundary), by size, by SIGHUP, and a ring
# that keeps only the newest files.
set -eu

insmod "$KO/hwstats.ko"
insmod "$KO/hwstats_sim.ko" rate=1000

echo "== rotate every second for 5 s"
mkdir "$OUT/time"
p0=$(cat /sys/kernel/debug/hwstats_sim/produced)
echo "$p0" >"$OUT/before-time.txt"
hwstats-record -q -s sim -o "$OUT/time/run.hws" -d 5500ms -R 1s
cat /sys/kernel/debug/hwstats_sim/produced >"$OUT/after-time.txt"
n=$(ls "$OUT/time" | wc -l)
echo "files: $n"
[ "$n" -ge 5 ] && [ "$n" -le 7 ]
hws-simcheck --no-loss "$OUT/time" "$OUT/after-time.txt" "$OUT/before-time.txt"

echo "== rotate at 16 KiB, and on SIGHUP"
mkdir "$OUT/size"
cat /sys/kernel/debug/hwstats_sim/produced >"$OUT/before-size.txt"
hwstats-record -q -s sim -o "$OUT/size/run.hws" -r 16K -F 100ms &
pid=$!
sleep 2
kill -HUP $pid
sleep 1
kill -INT $pid
wait $pid
cat /sys/kernel/debug/hwstats_sim/produced >"$OUT/after-size.txt"
ls -l "$OUT/size"
n=$(ls "$OUT/size" | wc -l)
[ "$n" -ge 3 ]
hws-simcheck --no-loss "$OUT/size" "$OUT/after-size.txt" "$OUT/before-size.txt"

echo "== a ring of 3 files"
mkdir "$OUT/ring"
hwstats-record -q -s sim -o "$OUT/ring/run.hws" -d 5500ms -R 1s -m 3
ls "$OUT/ring"
[ "$(ls "$OUT/ring" | wc -l)" -eq 3 ]
# The newest three remain: numbers 3, 4 and 5 (of 0..5).
[ -f "$OUT/ring/run-000005.hws" ] && [ ! -f "$OUT/ring/run-000002.hws" ]
for f in "$OUT"/ring/*.hws; do
	hwstats-report "$f" >/dev/null || [ $? -eq 3 ]
done

echo "== a restarted recorder continues the ring, overwriting nothing"
hwstats-record -q -s sim -o "$OUT/ring/run.hws" -d 2500ms -R 1s -m 3
ls "$OUT/ring"
[ "$(ls "$OUT/ring" | wc -l)" -eq 3 ]
[ -f "$OUT/ring/run-000008.hws" ] && [ ! -f "$OUT/ring/run-000005.hws" ]

rmmod hwstats_sim
rmmod hwstats
