#!/bin/sh
# Flight recorder: with --overwrite the kernel keeps the newest data, and a
# dump (at the end, or on SIGUSR1) holds exactly the newest records.
set -eu

insmod "$KO/hwstats.ko"
insmod "$KO/hwstats_sim.ko" rate=2000
mkdir "$OUT/fr"
hwstats-record -q -s sim -w -b 4K -n 4 -o "$OUT/fr/fr.hws" -d 3s
cat /sys/kernel/debug/hwstats_sim/produced >"$OUT/produced.txt"
ls -l "$OUT/fr"
hws-simcheck --newest "$OUT/fr/fr-000000.hws" "$OUT/produced.txt"

echo "== SIGUSR1 dumps and goes on"
mkdir "$OUT/fr2"
hwstats-record -q -s sim -w -b 4K -n 4 -o "$OUT/fr2/fr.hws" &
pid=$!
sleep 2
kill -USR1 $pid
sleep 2
kill -INT $pid
wait $pid
ls -l "$OUT/fr2"
[ -s "$OUT/fr2/fr-000000.hws" ]
[ -s "$OUT/fr2/fr-000001.hws" ]
for f in "$OUT"/fr2/*.hws; do
	hwstats-report "$f" >/dev/null
done

rmmod hwstats_sim
rmmod hwstats
