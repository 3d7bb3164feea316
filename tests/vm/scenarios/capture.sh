#!/bin/sh
# A capture at a modest rate: every record the simulated device produced is
# in the file, and none was lost.
set -eu

insmod "$KO/hwstats.ko"
insmod "$KO/hwstats_sim.ko" rate=1000
hwstats-record -s sim -o "$OUT/capture.hws" -d 3s
cat /sys/kernel/debug/hwstats_sim/produced >"$OUT/produced.txt"
hws-simcheck --no-loss "$OUT/capture.hws" "$OUT/produced.txt"
hwstats-report "$OUT/capture.hws"
rmmod hwstats_sim
rmmod hwstats
