#!/bin/sh
# Every ioctl with bad arguments and in every session state returns its
# documented error; the module still records correctly afterwards.
set -eu

insmod "$KO/hwstats.ko"
insmod "$KO/hwstats_sim.ko" rate=500
hws-abi-check
cat /sys/kernel/debug/hwstats_sim/produced >"$OUT/before.txt"
hwstats-record -q -s sim -o "$OUT/after.hws" -d 1s
cat /sys/kernel/debug/hwstats_sim/produced >"$OUT/produced.txt"
hws-simcheck --no-loss "$OUT/after.hws" "$OUT/produced.txt" "$OUT/before.txt"
rmmod hwstats_sim
rmmod hwstats
