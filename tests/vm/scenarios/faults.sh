#!/bin/sh
# The recorder under faults: a clean stop on SIGINT, a second recorder
# refused, SIGKILL leaving a file readable up to its last flush, a full disk
# reported with a readable file, bad options refused before anything starts.
set -eu

insmod "$KO/hwstats.ko"
insmod "$KO/hwstats_sim.ko" rate=1000

echo "== bad options are refused before a session starts"
for args in "-d 0" "-d abc" "-b 1000" "-n 1" "-l 30" "-p 1ns" "-s nosuch" "-r 1" "-m 0" "--bogus"; do
	st=0
	# shellcheck disable=SC2086
	hwstats-record -q -o "$OUT/bad.hws" $args 2>"$OUT/err.txt" || st=$?
	echo "hwstats-record $args -> $st: $(cat "$OUT/err.txt" | head -n1)"
	[ "$st" -eq 1 ]
	[ "$(wc -l <"$OUT/err.txt")" -le 2 ]
	[ ! -e "$OUT/bad.hws" ]
done
st=0
hwstats-record -q -o /nonexistent/dir/x.hws -d 1s 2>"$OUT/err.txt" || st=$?
echo "unwritable output -> $st: $(cat "$OUT/err.txt")"
[ "$st" -eq 3 ]

echo "== SIGINT stops cleanly; a second recorder is refused meanwhile"
cat /sys/kernel/debug/hwstats_sim/produced >"$OUT/before-int.txt"
hwstats-record -q -s sim -o "$OUT/int.hws" &
pid=$!
sleep 1
st=0
hwstats-record -q -o "$OUT/second.hws" -d 1s 2>"$OUT/err.txt" || st=$?
echo "second recorder -> $st: $(cat "$OUT/err.txt")"
[ "$st" -eq 2 ]
grep -q "already running" "$OUT/err.txt"
[ ! -e "$OUT/second.hws" ]
sleep 1
kill -INT $pid
wait $pid
cat /sys/kernel/debug/hwstats_sim/produced >"$OUT/after-int.txt"
hws-simcheck --no-loss "$OUT/int.hws" "$OUT/after-int.txt" "$OUT/before-int.txt"

echo "== SIGKILL: the file is readable up to the last flush"
hwstats-record -q -s sim -o "$OUT/killed.hws" -F 100ms &
pid=$!
sleep 3
kill -KILL $pid
wait $pid || true
ls -l "$OUT/killed.hws"
st=0
hwstats-report "$OUT/killed.hws" >"$OUT/killed-report.txt" || st=$?
echo "report of the killed capture -> $st"
[ "$st" -eq 0 ] || [ "$st" -eq 3 ]
hws-simcheck --partial "$OUT/killed.hws" /sys/kernel/debug/hwstats_sim/produced "$OUT/after-int.txt" | tee "$OUT/killed-check.txt"
awk '/holds the first/ { n += $9 } END { print "records kept:", n; exit !(n > 0) }' "$OUT/killed-check.txt"

echo "== disk full"
mkdir /tmp/small
mount -t tmpfs -o size=64k none /tmp/small
cat /sys/kernel/debug/hwstats_sim/produced >"$OUT/before-full.txt"
st=0
hwstats-record -s sim -o /tmp/small/full.hws -d 20s -F 100ms 2>"$OUT/err.txt" || st=$?
cat "$OUT/err.txt"
echo "disk full -> $st"
[ "$st" -eq 3 ]
grep -q "disk full" "$OUT/err.txt"
cp /tmp/small/full.hws "$OUT/full.hws"
hws-simcheck --partial "$OUT/full.hws" /sys/kernel/debug/hwstats_sim/produced "$OUT/before-full.txt"

rmmod hwstats_sim
rmmod hwstats
