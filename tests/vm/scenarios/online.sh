#!/bin/sh
# Drain threads follow the online CPUs: a recorder started with CPU 1
# offline drains CPU 0 alone; when CPU 1 comes online it gets a drain of its
# own, and cycling it offline and online again loses nothing: every record
# the simulator produced is in the file, or counted lost (none here).
# Drain threads are told by their name, hws-drain/N (the recorder also has
# its main thread and the compaction thread, hws-compact).
set -eu
. /guest-lib.sh

insmod "$KO/hwstats.ko"
insmod "$KO/hwstats_sim.ko" rate=1000
online() { echo "$1" >/sys/devices/system/cpu/cpu1/online; }
tasks() { cat "/proc/$1/task/"*/comm | grep -c '^hws-drain/' || true; }
# Wait (up to 10 s) for the recorder @1 to have @2 drain threads.
wait_tasks() {
	i=0
	while [ "$(tasks "$1")" -ne "$2" ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "$(tasks "$1") threads, not $2"
		sleep 0.1
	done
}

online 0
cat /sys/kernel/debug/hwstats_sim/produced >"$OUT/before.txt"
hwstats-record -q -s sim -o "$OUT/online.hws" -F 100ms &
pid=$!
wait_session
echo "== CPU 1 offline: one drain"
sleep 1
grep -qx hws-compact "/proc/$pid/task/"*/comm || fail "no compaction thread"
grep -qx hwstats-record "/proc/$pid/comm" || fail "main thread renamed"
[ ! -e /sys/kernel/debug/hwstats/cpu1 ] || fail "cpu1 has a channel while offline"
[ "$(tasks $pid)" -eq 1 ] || fail "$(tasks $pid) drains with one CPU online"
grep Cpus_allowed_list "/proc/$pid/task/"*/status

echo "== CPU 1 comes online: its drain starts"
online 1
wait_tasks $pid 2
sleep 1
echo "== CPU 1 cycled offline and online"
online 0
sleep 1
online 1
sleep 1
[ "$(tasks $pid)" -eq 2 ] || fail "$(tasks $pid) drains after the cycle"
kill -INT $pid
wait $pid
cat /sys/kernel/debug/hwstats_sim/produced >"$OUT/after.txt"
st=0
hws-simcheck --no-loss "$OUT/online.hws" "$OUT/after.txt" "$OUT/before.txt" \
	>"$OUT/check.txt" || st=$?
cat "$OUT/check.txt"
[ "$st" -eq 0 ] || fail "hws-simcheck: status $st"
grep -q "^cpu1: produced [1-9]" "$OUT/check.txt" || fail "no records of CPU 1"

rmmod hwstats_sim
rmmod hwstats
