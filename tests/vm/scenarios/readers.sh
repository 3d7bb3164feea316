#!/bin/sh
# Callers that hold on to something must not hold up anyone else.
#  - A snapshot (then LIST_SOURCES, GET_SCHEMA, GET_STATS) whose
#    destination is a userfaultfd range never resolved: the copy to user
#    space blocks for ever. A capture's STOP (the recorder's SIGINT) and
#    `rmmod hwstats_sim` (its sources unregister) must still complete,
#    within 20 s: the module copies out after dropping its lock.
#  - A reader that keeps an old session's channel file open: the next
#    session starts all the same (relay removes the old file at once),
#    the old file's read() fails (EIO from debugfs), and the new capture
#    is exact.
set -eu
. /guest-lib.sh

SIM=/sys/kernel/debug/hwstats_sim/produced
insmod "$KO/hwstats.ko"

for call in snapshot sources schema stats; do
	insmod "$KO/hwstats_sim.ko" rate=500
	hwstats-record -q -s sim -o "$OUT/uffd-$call.hws" &
	rec=$!
	wait_session
	hws-uffd-snap $call >"$OUT/uffd-$call.txt" 2>&1 &
	snap=$!
	i=0
	until grep -q blocking "$OUT/uffd-$call.txt"; do
		i=$((i + 1))
		[ $i -lt 100 ] || { cat "$OUT/uffd-$call.txt"; fail "hws-uffd-snap $call did not start"; }
		sleep 0.1
	done
	# Into the ioctl, and stuck on the fault.
	sleep 0.5
	kill -0 $snap || { cat "$OUT/uffd-$call.txt"; fail "the $call call did not block"; }
	kill -INT $rec
	st=0
	timeout 20 sh -c "while kill -0 $rec 2>/dev/null; do sleep 0.1; done" || st=$?
	[ "$st" -eq 0 ] || fail "STOP did not complete in 20 s behind a blocked $call"
	wait $rec || fail "the recorder failed behind a blocked $call"
	cat $SIM >"$OUT/uffd-$call-produced.txt"
	hws-simcheck --no-loss "$OUT/uffd-$call.hws" "$OUT/uffd-$call-produced.txt" >"$OUT/uffd-$call-check.txt" || {
		cat "$OUT/uffd-$call-check.txt"
		fail "the capture beside a blocked $call is not exact"
	}
	timeout 20 rmmod hwstats_sim || fail "rmmod hwstats_sim did not complete in 20 s behind a blocked $call"
	kill -0 $snap || fail "the $call call returned: its copy did not block"
	kill -KILL $snap
	wait $snap 2>/dev/null || true
	echo "$call blocked in its copy to user space: STOP and rmmod hwstats_sim completed"
done

echo "== a reader keeps an old session's channel file open"
insmod "$KO/hwstats_sim.ko" rate=500
hwstats-record -q -s sim -o "$OUT/first.hws" &
rec=$!
wait_session
exec 3</sys/kernel/debug/hwstats/cpu0
kill -INT $rec
wait $rec || fail "the first recorder failed"
cat $SIM >"$OUT/before-second.txt"
hwstats-record -q -s sim -o "$OUT/second.hws" -d 1s || fail "a session could not start while an old channel file was open"
cat $SIM >"$OUT/after-second.txt"
hws-simcheck --no-loss "$OUT/second.hws" "$OUT/after-second.txt" "$OUT/before-second.txt"
st=0
dd bs=4096 count=1 <&3 >/dev/null 2>"$OUT/old-read.txt" || st=$?
cat "$OUT/old-read.txt"
[ "$st" -ne 0 ] || fail "reading the old session's file succeeded"
grep -qi "input/output error" "$OUT/old-read.txt" || fail "reading the old session's file did not fail with EIO"
exec 3<&-
rmmod hwstats_sim
rmmod hwstats
echo "readers: PASS"
