#!/bin/sh
# Overload, forced: tiny buffers (2 x 4 KiB per CPU) and a recorder that is
# stopped (SIGSTOP) while every CPU produces more records than its buffers
# can hold. Records are dropped on every CPU whatever the machine's speed,
# and every one of them is accounted for: produced == recorded + lost, per
# CPU, and the device's own count of drops equals the file's.
set -eu
. /guest-lib.sh

# 8 KiB of buffer holds fewer than 8192 / 16 records (a record is at
# least its 16-byte header): producing this many more while nothing reads
# must drop some on each CPU.
MORE=$((2 * 4096 / 16 + 64))

produced_of() {
	awk -v c="$1" '$1 == c { print $2 }' /sys/kernel/debug/hwstats_sim/produced
}

insmod "$KO/hwstats.ko"
insmod "$KO/hwstats_sim.ko" rate=5000
hwstats-record -q -s sim -o "$OUT/overload.hws" -b 4K -n 2 &
rec=$!
wait_session
stop_proc $rec
cpus=$(cd /sys/kernel/debug/hwstats && ls -d cpu*)
[ -n "$cpus" ] || fail "the session has no channel"
for c in $cpus; do
	target=$(($(produced_of "$c") + MORE))
	i=0
	while [ "$(produced_of "$c")" -lt $target ]; do
		i=$((i + 1))
		[ $i -lt 600 ] || fail "$c did not produce $MORE records in 60 s"
		sleep 0.1
	done
	echo "$c produced $MORE records while nothing read"
done
kill -CONT $rec
kill -INT $rec
status=0
wait $rec || status=$?
cat /sys/kernel/debug/hwstats_sim/produced >"$OUT/produced.txt"
cat "$OUT/produced.txt"
echo "recorder exit status: $status"
[ "$status" -eq 0 ] || fail "the recorder did not end cleanly"
hws-simcheck --expect-loss "$OUT/overload.hws" "$OUT/produced.txt"
# Every CPU whose reader was stopped overran its buffers.
for c in $cpus; do
	lost=$(awk -v c="$c" '$1 == c { print $3 }' "$OUT/produced.txt")
	[ "$lost" -gt 0 ] || fail "$c lost nothing while its reader was stopped"
done
rmmod hwstats_sim
rmmod hwstats
echo "overload: PASS"
