#!/bin/sh
# Overload: tiny buffers and a high rate. Records are dropped, and every
# one of them is accounted for: produced == recorded + lost, per CPU.
set -eu

insmod "$KO/hwstats.ko"
insmod "$KO/hwstats_sim.ko" rate=5000
status=0
hwstats-record -s sim -o "$OUT/overload.hws" -d 2s -b 4K -n 2 || status=$?
cat /sys/kernel/debug/hwstats_sim/produced >"$OUT/produced.txt"
echo "recorder exit status: $status"
[ "$status" -eq 0 ]
hws-simcheck --expect-loss "$OUT/overload.hws" "$OUT/produced.txt"
rmmod hwstats_sim
rmmod hwstats
