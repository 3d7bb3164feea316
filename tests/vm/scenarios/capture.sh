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

echo "== one thread draining every CPU"
cat /sys/kernel/debug/hwstats_sim/produced >"$OUT/before-t1.txt"
hwstats-record -q -t 1 -s sim -o "$OUT/t1.hws" -d 2s
cat /sys/kernel/debug/hwstats_sim/produced >"$OUT/after-t1.txt"
hws-simcheck --no-loss "$OUT/t1.hws" "$OUT/after-t1.txt" "$OUT/before-t1.txt"

echo "== hwstats-stat --watch: per-second rates while recording"
hwstats-record -q -s sim -o "$OUT/watch.hws" -d 3s &
rec=$!
sleep 1
hwstats-stat --json --watch 500ms --count 3 >"$OUT/watch.json"
wait $rec
cat "$OUT/watch.json"
[ "$(wc -l <"$OUT/watch.json")" -eq 3 ]
[ "$(grep -c '"rates":true' "$OUT/watch.json")" -eq 2 ]
tail -n1 "$OUT/watch.json" | grep -q '"name":"ticks","unit":"samples","kind":"counter","rate":[1-9]'
hwstats-stat | grep -E '^sim +ticks +samples +counter'
rmmod hwstats_sim
rmmod hwstats
