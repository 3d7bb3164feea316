#!/bin/sh
# The flush tick interrupts only CPUs with records waiting: with the
# simulator sampling on CPU 0 alone (cpu_mask=1), CPU 1 runs no flush
# callback at all over the session while CPU 0 runs one at each of 20
# flush ticks or more (<debugfs>/hwstats/flushes counts the callbacks each
# CPU ran). An idle NOHZ CPU is left asleep; counting the callbacks, not
# timing anything, shows it.
set -eu
. /guest-lib.sh

FL=/sys/kernel/debug/hwstats/flushes
count() { # FILE CPU
	awk -v c="cpu$2" '$1 == c { print $2 }' "$1"
}

insmod "$KO/hwstats.ko" netdev=0
[ -e /sys/devices/system/cpu/cpu1 ] || fail "needs a second CPU"
insmod "$KO/hwstats_sim.ko" rate=200 cpu_mask=1
cat "$FL" >"$OUT/before.txt"
hwstats-record -q -s sim -F 20ms -o "$OUT/f.hws" &
rec=$!
wait_session
b0=$(count "$OUT/before.txt" 0)
i=0
while :; do
	cat "$FL" >"$OUT/during.txt"
	[ $(($(count "$OUT/during.txt" 0) - b0)) -lt 20 ] || break
	i=$((i + 1))
	[ $i -lt 600 ] || fail "cpu0 ran fewer than 20 flush callbacks"
	sleep 0.1
done
kill -INT $rec
st=0
wait $rec || st=$?
[ "$st" -eq 0 ] || fail "the recorder ended with status $st"
cat "$FL" >"$OUT/after.txt"
cat /sys/kernel/debug/hwstats_sim/produced >"$OUT/produced.txt"
cat "$OUT/produced.txt"
d0=$(($(count "$OUT/after.txt" 0) - b0))
d1=$(($(count "$OUT/after.txt" 1) - $(count "$OUT/before.txt" 1)))
echo "flush callbacks in the session: cpu0 $d0, cpu1 $d1"
p1=$(awk '$1 == "cpu1" { print $2 }' "$OUT/produced.txt")
[ "$p1" -eq 0 ] || fail "cpu1 produced $p1 records: it was not quiet"
[ "$d0" -ge 20 ] || fail "cpu0 ran $d0 flush callbacks, expected 20 or more"
[ "$d1" -eq 0 ] || fail "the flush interrupted the idle cpu1 $d1 times"
# Every record accounted for (a 20 ms tick uses a sub-buffer each time:
# a recorder slowed by a busy host may let some be dropped, and counted).
hws-simcheck "$OUT/f.hws" "$OUT/produced.txt"
rmmod hwstats_sim
rmmod hwstats
echo "flush-idle: PASS"
