#!/bin/sh
# Snapshots of any size in one call. Three sources of 50000 counters make a
# snapshot of 1.2 MB: too small a buffer gets ENOSPC and the exact size
# needed, and the answer, through the ioctl and through hwstats-stat
# --json, holds the simulated device's closed form, value for value. Then
# the same after a capture, with samples wider than one record.
set -eu

insmod "$KO/hwstats.ko"
insmod "$KO/hwstats_sim.ko" rate=0 sources=3 counters=50000 gauges=0
hwstats-stat --json >"$OUT/stat.json"
hws-snapcheck --json "$OUT/stat.json" --min-size 1048577
rmmod hwstats_sim

# 8300 values per sample: two records each (hwstats_max_values() is 8187).
insmod "$KO/hwstats_sim.ko" rate=10 counters=8200 gauges=100
hwstats-record -q -s sim -o "$OUT/wide.hws" -d 3s
cat /sys/kernel/debug/hwstats_sim/produced >"$OUT/produced.txt"
cat "$OUT/produced.txt"
hws-simcheck --no-loss "$OUT/wide.hws" "$OUT/produced.txt"
hwstats-stat --json >"$OUT/stat-wide.json"
hws-snapcheck --json "$OUT/stat-wide.json"
rmmod hwstats_sim
rmmod hwstats
echo "snapshot: PASS"
