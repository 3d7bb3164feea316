#!/bin/sh
# Concurrency: things that happen while a capture runs.
#  - snapshots (hwstats-stat) in a loop: each one answers, the capture is
#    exact;
#  - sources registered and unregistered (hwstats_sim loaded and unloaded
#    in a loop) during a capture of net:lo, and during one of every source:
#    the recorders exit 0 (the files hold every record the kernel wrote),
#    the files are readable, net:lo's samples have no gap;
#  - sessions started and stopped while CPU 1 goes offline and online in a
#    loop: every capture exact (hotplug.sh has captures across hotplug);
#  - hwstats.ko and hwstats_sim.ko loaded and unloaded 50 times, with a
#    snapshot each time and a short exact capture every tenth time.
# A second recorder being refused while one runs is in faults.sh.
set -eu
. /guest-lib.sh

SIM=/sys/kernel/debug/hwstats_sim/produced
CPU1=/sys/devices/system/cpu/cpu1/online
# SIGINT to the backgrounded recorder $rec; it must exit 0 (every record
# the kernel wrote is in its files). $1 says what ran, $2 which recorder.
stop_recorder() {
	kill -INT $rec
	st=0
	wait $rec || st=$?
	echo "$1; recorder exit status $st"
	[ "$st" -eq 0 ] || fail "the $2 failed"
}

insmod "$KO/hwstats.ko"
ip link set lo up

echo "== snapshots in a loop while recording"
insmod "$KO/hwstats_sim.ko" rate=1000
cat $SIM >"$OUT/before-snap.txt"
hwstats-record -q -s sim -o "$OUT/snap.hws" -d 6s &
rec=$!
wait_session
n=0
while kill -0 $rec 2>/dev/null; do
	hwstats-stat >/dev/null || fail "hwstats-stat failed during a capture"
	hwstats-stat --json -s sim >"$OUT/snap.json" ||
		fail "hwstats-stat --json failed during a capture"
	n=$((n + 2))
done
st=0
wait $rec || st=$?
echo "$n snapshots during the capture; recorder exit status $st"
[ "$st" -eq 0 ] || fail "the recorder failed"
[ "$n" -ge 10 ] || fail "only $n snapshots"
cat $SIM >"$OUT/after-snap.txt"
hws-simcheck --no-loss "$OUT/snap.hws" "$OUT/after-snap.txt" "$OUT/before-snap.txt"
rmmod hwstats_sim

echo "== hwstats_sim loaded and unloaded while net:lo is recorded"
hwstats-record -q -s net:lo -p 20ms -o "$OUT/lo.hws" &
rec=$!
wait_session
i=0
while [ $i -lt 20 ]; do
	insmod "$KO/hwstats_sim.ko" rate=2000 sources=$((i % 3 + 1))
	ping -q -c 1 -W 1 127.0.0.1 >/dev/null
	rmmod hwstats_sim
	i=$((i + 1))
done
stop_recorder "sim loaded and unloaded $i times" "net:lo recorder"
hws-netcheck "$OUT/lo.hws" net:lo
hwstats-report "$OUT/lo.hws" >"$OUT/lo-report.txt"

echo "== hwstats_sim loaded and unloaded while every source is recorded"
# Sources registered during the session are sampled too (the session takes
# every source). The header lists those of the start; each later one gets
# a new id (ids are never reused) and its schema in a source frame. 20
# loads of 1, 2, 3, 1, ... sources register 39 sources in all.
hwstats-record -q -o "$OUT/all.hws" -p 20ms &
rec=$!
wait_session
i=0
while [ $i -lt 20 ]; do
	insmod "$KO/hwstats_sim.ko" rate=2000 sources=$((i % 3 + 1))
	sleep 0.1
	hwstats-stat >/dev/null
	rmmod hwstats_sim
	i=$((i + 1))
done
stop_recorder "sim loaded and unloaded $i times" "recorder of every source"
hwstats-report "$OUT/all.hws" >"$OUT/all-report.txt" ||
	fail "the capture of every source is not readable"
hws-netcheck "$OUT/all.hws" net:lo
hws-schemacheck --expect sim 39 "$OUT/all.hws" ||
	fail "a source registered during the capture is not described right"
if grep -q "unknown source" "$OUT/all-report.txt"; then
	fail "the report found samples of unknown sources"
fi
# Each load registers the sources again (new ids): the report merges them
# by name and schema, counts the registrations, and sees no loss.
grep -q "^LOSS       none" "$OUT/all-report.txt" ||
	fail "the report took the reloads for loss"
grep -q "^SOURCES    sim registered 20 times, sim1 registered 13 times, sim2 registered 6 times$" \
	"$OUT/all-report.txt" || fail "the report does not count the registrations"

echo "== hwstats_sim loaded and unloaded, a new file after each time"
# SIGHUP cuts the capture: the file it closes holds every record written
# before the signal, and once the next file exists nothing more goes into
# it. So file k holds the samples of load k (k % 3 + 1 sources, all gone
# before the signal) and no other, and the last file none.
# Each new file describes the sources registered when it begins and those
# met in it, not every source met before: headers stay small however often
# a driver comes back. So a file describes at most 1 source without
# samples in it (net:lo, if no sample of it fell in the file); keeping
# every source met would make that about 20 by the end.
hwstats-record -q -o "$OUT/rot.hws" -p 20ms -R 1h &
rec=$!
wait_session
i=0
while [ $i -lt 12 ]; do
	insmod "$KO/hwstats_sim.ko" rate=2000 sources=$((i % 3 + 1))
	sleep 0.1
	rmmod hwstats_sim
	kill -HUP $rec
	# The next file is there before the next load.
	n=0
	while [ ! -e "$OUT/rot-$(printf %06d $((i + 1))).hws" ]; do
		n=$((n + 1))
		[ $n -lt 100 ] || fail "no file after SIGHUP $((i + 1))"
		sleep 0.05
	done
	sleep 0.1
	i=$((i + 1))
done
stop_recorder "sim loaded and unloaded $i times, a file each time" "rotating recorder"
# 12 loads of 1, 2, 3, ... sources: 24 sources.
st=0
hws-schemacheck --max-idle 1 --expect sim 24 "$OUT"/rot-*.hws \
	>"$OUT/rot-check.txt" || st=$?
cat "$OUT/rot-check.txt"
[ "$st" -eq 0 ] || fail "the rotated files do not describe their sources right"
awk '
	/^\/out\/rot-[0-9]+\.hws:/ {
		k = substr($1, length("/out/rot-") + 1, 6)
		sub(/^0+/, "", k)	# busybox awk reads 000010 as octal
		k += 0
		want = k < 12 ? k % 3 + 1 : 0
		got = $0
		sub(/.*; /, "", got)	# "N named sim* with samples"
		got += 0
		if (got != want) {
			printf "FAIL: %s has samples of %d sim sources, load %d had %d\n", $1, got, k, want
			bad = 1
		}
		n++
	}
	END { exit bad || n != 13 }' "$OUT/rot-check.txt" ||
	fail "SIGHUP did not cut the capture between two loads"

echo "== sessions started and stopped while CPU 1 goes offline and online"
# hotplug.sh covers a capture across hotplug and a CPU that comes online
# during a session; here sessions begin and end while CPU 1 comes and goes.
if [ -w $CPU1 ]; then
	insmod "$KO/hwstats_sim.ko" rate=1000
	(
		i=0
		while [ $i -lt 20 ]; do
			echo 0 >$CPU1
			sleep 0.15
			echo 1 >$CPU1
			sleep 0.15
			i=$((i + 1))
		done
	) &
	hp=$!
	# Sessions that start and stop while the CPU comes and goes.
	k=0
	while kill -0 $hp 2>/dev/null; do
		cat $SIM >"$OUT/before-hp$k.txt"
		st=0
		hwstats-record -q -s sim -o "$OUT/hp$k.hws" -d 500ms || st=$?
		[ "$st" -eq 0 ] || fail "short capture $k across CPU hotplug: exit status $st"
		cat $SIM >"$OUT/after-hp$k.txt"
		hws-simcheck --no-loss "$OUT/hp$k.hws" "$OUT/after-hp$k.txt" "$OUT/before-hp$k.txt" \
			>"$OUT/hp$k-check.txt" || {
			cat "$OUT/hp$k-check.txt"
			fail "short capture $k across CPU hotplug is not exact"
		}
		k=$((k + 1))
	done
	wait $hp || fail "cpu1 could not be taken offline or brought back"
	echo "$k short captures while cpu1 went offline and online 20 times: all exact"
	[ "$(cat $CPU1)" = 1 ] || fail "cpu1 did not come back"
	rmmod hwstats_sim
else
	echo "cpu1 cannot go offline here: skipped"
fi
rmmod hwstats

echo "== hwstats and hwstats_sim loaded and unloaded 50 times"
i=0
while [ $i -lt 50 ]; do
	insmod "$KO/hwstats.ko"
	insmod "$KO/hwstats_sim.ko" rate=1000 sources=$((i % 4 + 1))
	hwstats-stat -s sim >/dev/null || fail "snapshot after load $i"
	if [ $((i % 10)) -eq 9 ]; then
		hwstats-record -q -s sim -o "$OUT/reload$i.hws" -d 300ms
		cat $SIM >"$OUT/reload$i.txt"
		hws-simcheck --no-loss "$OUT/reload$i.hws" "$OUT/reload$i.txt" \
			>"$OUT/reload$i-check.txt" || {
			cat "$OUT/reload$i-check.txt"
			fail "capture after load $i is not exact"
		}
	fi
	rmmod hwstats_sim
	rmmod hwstats
	i=$((i + 1))
done
echo "loaded and unloaded $i times"
[ ! -e /dev/hwstats ] || fail "/dev/hwstats is still there"
echo "concurrency: PASS"
