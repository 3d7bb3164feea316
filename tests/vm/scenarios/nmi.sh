#!/bin/sh
# An emit from NMI context is refused and counted as a lost record: the
# simulated device takes 500 samples as an NMI handler would (in_nmi() true,
# interrupts off) during a capture with room for everything. Exactly those
# 500 records are lost, the device's count of drops equals the file's, and
# each shows as a gap in its source's seq: produced = recorded + lost.
set -eu
. /guest-lib.sh

SIM=/sys/kernel/debug/hwstats_sim
insmod "$KO/hwstats.ko"
insmod "$KO/hwstats_sim.ko" rate=200
cat $SIM/produced >"$OUT/before.txt"
hwstats-record -q -s sim -o "$OUT/nmi.hws" &
rec=$!
wait_session
# The channel files exist a moment before the session is published: wait
# until the device's timer samples into it.
i=0
until [ "$(awk '$1 == "total" { print $2 }' $SIM/produced)" -gt 0 ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "the session took no sample in 10 s"
	sleep 0.1
done
echo 500 >$SIM/nmi_emit
kill -INT $rec
st=0
wait $rec || st=$?
[ "$st" -eq 0 ] || fail "the recorder exited with status $st"
cat $SIM/produced >"$OUT/after.txt"
cat "$OUT/after.txt"
hws-simcheck "$OUT/nmi.hws" "$OUT/after.txt" "$OUT/before.txt"
lost=$(awk '$1 == "total" { print $3 }' "$OUT/after.txt")
[ "$lost" -eq 500 ] || fail "$lost records lost, want exactly the 500 emitted in NMI context"
rmmod hwstats_sim
rmmod hwstats
echo "nmi: PASS"
