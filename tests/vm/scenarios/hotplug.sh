#!/bin/sh
# CPU hotplug during captures. CPU1 goes offline and comes back three times
# while the simulated device samples at 500/s on every online CPU: the
# recorder ends cleanly and every record produced on either CPU is in the
# file, none lost. The same when CPU1 is offline at the start and comes
# online during the session. Then CPU1 cycles again with the device in
# burst mode (a thread per CPU emitting as fast as it can, parked while its
# CPU is offline): records are dropped, and every one is accounted for,
# per CPU. Last, sessions start and stop in a tight loop while CPU1 goes
# offline and online 80 times and the device samples at 2000/s: a session
# started while CPU1 was coming up must still give it a buffer (or count
# its records lost), never crash in the emit path.
set -eu
. /guest-lib.sh

ONLINE=/sys/devices/system/cpu/cpu1/online
cycle_cpu1() {
	for i in 1 2 3; do
		sleep 0.4
		echo 0 >"$ONLINE"
		[ "$(cat "$ONLINE")" = 0 ] || fail "cpu1 did not go offline"
		sleep 0.4
		echo 1 >"$ONLINE"
		[ "$(cat "$ONLINE")" = 1 ] || fail "cpu1 did not come back"
	done
	echo "cpu1 went offline and back 3 times"
}

[ -e "$ONLINE" ] || fail "needs a second CPU that can go offline"
insmod "$KO/hwstats.ko"

insmod "$KO/hwstats_sim.ko" rate=500
hwstats-record -s sim -o "$OUT/h.hws" -d 6s &
rec=$!
wait_session
cycle_cpu1
status=0
wait $rec || status=$?
echo "recorder exit status: $status"
[ "$status" -eq 0 ] || fail "the recorder did not end cleanly"
cat /sys/kernel/debug/hwstats_sim/produced >"$OUT/produced.txt"
hws-simcheck --no-loss "$OUT/h.hws" "$OUT/produced.txt"
rmmod hwstats_sim

# A CPU offline when the session starts has no buffer yet: relay creates
# it when the CPU comes online, and the recorder picks it up.
insmod "$KO/hwstats_sim.ko" rate=500
echo 0 >"$ONLINE"
hwstats-record -s sim -o "$OUT/late.hws" -d 4s &
rec=$!
wait_session
sleep 0.5
[ ! -e /sys/kernel/debug/hwstats/cpu1 ] || fail "an offline CPU has a channel"
echo 1 >"$ONLINE"
echo "cpu1 came online 0.5 s into the session"
status=0
wait $rec || status=$?
echo "recorder exit status: $status"
[ "$status" -eq 0 ] || fail "the recorder did not end cleanly"
cat /sys/kernel/debug/hwstats_sim/produced >"$OUT/produced-late.txt"
hws-simcheck --no-loss "$OUT/late.hws" "$OUT/produced-late.txt"
p1=$(awk '$1 == "cpu1" { print $2 }' "$OUT/produced-late.txt")
[ "$p1" -gt 0 ] || fail "cpu1 produced nothing once online"
rmmod hwstats_sim

# Small buffers (512 KiB per CPU): the bursts overrun them often.
insmod "$KO/hwstats_sim.ko" burst=1 burst_ms=5
hwstats-record -s sim -b 128K -n 4 -o "$OUT/burst.hws" -d 4s &
rec=$!
wait_session
cycle_cpu1
status=0
wait $rec || status=$?
echo "recorder exit status: $status"
[ "$status" -eq 0 ] || fail "the recorder did not end cleanly"
cat /sys/kernel/debug/hwstats_sim/produced >"$OUT/produced-burst.txt"
hws-simcheck "$OUT/burst.hws" "$OUT/produced-burst.txt"
rmmod hwstats_sim

insmod "$KO/hwstats_sim.ko" rate=2000
rm -f /tmp/startstop-done
hws-startstop /tmp/startstop-done >"$OUT/startstop.txt" &
ss=$!
i=0
while [ $i -lt 80 ]; do
	echo 0 >"$ONLINE"
	echo 1 >"$ONLINE"
	i=$((i + 1))
done
touch /tmp/startstop-done
wait $ss || fail "starting and stopping sessions failed during hotplug"
cat "$OUT/startstop.txt"
echo "cpu1 went offline and online $i times while sessions started and stopped"
[ "$(cat "$ONLINE")" = 1 ] || fail "cpu1 did not come back"
rmmod hwstats_sim
rmmod hwstats
echo "hotplug: PASS"
