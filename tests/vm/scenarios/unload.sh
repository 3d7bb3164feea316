#!/bin/sh
# Unloading under a running capture. The simulated device is unloaded in
# the middle of a session (at a rate, then in burst mode): no oops, the
# recorder ends cleanly, and the records the device reported at unload are
# all in the file. hwstats itself cannot be unloaded while a recorder holds
# /dev/hwstats, and can once it has exited, also after a SIGKILL.
set -eu
. /guest-lib.sh

# The sim logs its final per-CPU counts ("final cpuN produced lost ticks")
# when it is unloaded: the newest of them, one per possible CPU, in the
# format of its produced file.
final_counts() {
	dmesg | sed -n 's/.*hwstats_sim: final \(cpu[0-9]* .*\)/\1/p' | tail -n "$NCPUS"
}
# Stop a recorder, expect a clean end.
stop_recorder() {
	kill -INT "$1"
	status=0
	wait "$1" || status=$?
	echo "recorder exit status: $status"
	[ "$status" -eq 0 ] || fail "the recorder did not end cleanly"
}

insmod "$KO/hwstats.ko"

# 1. hwstats_sim goes away while its samples are being recorded.
insmod "$KO/hwstats_sim.ko" rate=500
NCPUS=$(grep -c '^cpu' /sys/kernel/debug/hwstats_sim/produced)
hwstats-record -s sim -o "$OUT/rate.hws" &
rec=$!
wait_session
sleep 1
rmmod hwstats_sim
final_counts >"$OUT/produced-rate.txt"
cat "$OUT/produced-rate.txt"
sleep 0.5

# 2. hwstats cannot go while the recorder holds /dev/hwstats.
if rmmod hwstats 2>"$OUT/rmmod.err"; then
	fail "hwstats was unloaded while /dev/hwstats was open"
fi
echo "rmmod hwstats while recording: $(cat "$OUT/rmmod.err")"
refcnt=$(cat /sys/module/hwstats/refcnt)
echo "hwstats in use: refcnt $refcnt"
# The recorder holds /dev/hwstats and one channel file per CPU.
[ "$refcnt" -ge 1 ] || fail "expected the recorder to hold the module, refcnt $refcnt"
stop_recorder $rec
hws-simcheck --no-loss "$OUT/rate.hws" "$OUT/produced-rate.txt"

# 3. The same in burst mode: the threads stop mid-burst, and what was
# dropped (small buffers, 512 KiB per CPU) is accounted for.
insmod "$KO/hwstats_sim.ko" burst=1
hwstats-record -s sim -b 128K -n 4 -o "$OUT/burst.hws" &
rec=$!
wait_session
sleep 1
rmmod hwstats_sim
final_counts >"$OUT/produced-burst.txt"
cat "$OUT/produced-burst.txt"
stop_recorder $rec
hws-simcheck "$OUT/burst.hws" "$OUT/produced-burst.txt"

# 4. A recorder killed outright still releases the module.
insmod "$KO/hwstats_sim.ko" rate=500
hwstats-record -s sim -o "$OUT/killed.hws" &
rec=$!
wait_session
sleep 0.5
kill -KILL $rec
wait $rec || true
rmmod hwstats_sim
refcnt=$(cat /sys/module/hwstats/refcnt)
[ "$refcnt" -eq 0 ] || fail "hwstats still has $refcnt users after the recorder died"
[ ! -e /sys/kernel/debug/hwstats/cpu0 ] || fail "the killed recorder's session is still there"

rmmod hwstats
[ ! -e /sys/module/hwstats ] || fail "hwstats is still loaded"
echo "unload: PASS"
