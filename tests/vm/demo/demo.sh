#!/bin/sh
# make demo: load the modules, record a few seconds of the simulated device
# and print the report. The capture stays in the shared directory.
set -eu

insmod "$KO/hwstats.ko"
insmod "$KO/hwstats_sim.ko" rate=200 counters=4 gauges=2
echo "== hwstats-stat: every counter, in one call"
hwstats-stat
# Some traffic for the netdev source to see.
ip link set lo up
ping -c 40 -i 0.1 127.0.0.1 >/dev/null &
echo "== hwstats-record -d 5s -o capture.hws"
hwstats-record -d 5s -o "$OUT/capture.hws"
echo "== hwstats-report capture.hws"
hwstats-report "$OUT/capture.hws"
