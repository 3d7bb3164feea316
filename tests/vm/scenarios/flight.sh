#!/bin/sh
# Flight recorder: with --overwrite the kernel keeps the newest data, and a
# dump (at the end, or on SIGUSR1) holds exactly the newest records.
#  - 4 x 4 KiB per CPU, and the dump taken only once every CPU has produced
#    more records than that can hold (2048: a record is at least 16 bytes):
#    older records were overwritten whatever the machine's speed;
#  - a quiet device (50 samples/s per CPU) with a flush interval of 100 ms
#    and room for thousands of records: the dump holds every record
#    produced. A flush tick that switched sub-buffers would keep only the
#    last 3 x 100 ms;
#  - read() of a running flight recorder returns whole sub-buffers only,
#    however fast the writer laps them (hws-flightread);
#  - SIGUSR1 dumps and goes on.
set -eu
. /guest-lib.sh

SIM=/sys/kernel/debug/hwstats_sim/produced
# Wait until every CPU with a channel has produced at least $1 records.
wait_produced() {
	for c in $(cd /sys/kernel/debug/hwstats && ls -d cpu*); do
		i=0
		while [ "$(awk -v c="$c" '$1 == c { print $2 }' $SIM)" -lt "$1" ]; do
			i=$((i + 1))
			[ $i -lt 600 ] || fail "$c did not produce $1 records in 60 s"
			sleep 0.1
		done
	done
}

insmod "$KO/hwstats.ko"
insmod "$KO/hwstats_sim.ko" rate=2000
mkdir "$OUT/fr"
hwstats-record -q -s sim -w -b 4K -n 4 -o "$OUT/fr/fr.hws" &
rec=$!
wait_session
wait_produced 2048
kill -INT $rec
wait $rec || fail "the flight recorder failed"
cat $SIM >"$OUT/produced.txt"
ls -l "$OUT/fr"
hws-simcheck --newest "$OUT/fr/fr-000000.hws" "$OUT/produced.txt"
rmmod hwstats_sim

echo "== a quiet flight recorder keeps all that its buffers hold"
insmod "$KO/hwstats_sim.ko" rate=50
mkdir "$OUT/fr3"
hwstats-record -q -s sim -w -b 64K -n 4 -F 100ms -o "$OUT/fr3/fr.hws" &
rec=$!
wait_session
wait_produced 100
kill -INT $rec
wait $rec || fail "the flight recorder failed"
cat $SIM >"$OUT/produced-quiet.txt"
hws-simcheck --no-loss "$OUT/fr3/fr-000000.hws" "$OUT/produced-quiet.txt"
rmmod hwstats_sim

echo "== a flight recorder read while it runs returns whole sub-buffers only"
# The device emits as fast as it can: CPU 1's 4 x 4 KiB are overwritten
# many times while a reader on CPU 0 copies them.
insmod "$KO/hwstats_sim.ko" burst=1
hws-flightread 1 3 || fail "reading a running flight recorder returned damaged data"
rmmod hwstats_sim

echo "== SIGUSR1 dumps and goes on"
insmod "$KO/hwstats_sim.ko" rate=2000
mkdir "$OUT/fr2"
hwstats-record -q -s sim -w -b 4K -n 4 -o "$OUT/fr2/fr.hws" &
pid=$!
wait_session
sleep 1
kill -USR1 $pid
sleep 1
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
echo "flight: PASS"
