#!/bin/sh
# The spill, forced: a recorder stopped (SIGSTOP) while one CPU produces a
# burst of more than a quarter of its buffer, then let go, finds the
# sub-buffer a quarter ahead entered and copies the complete sub-buffers
# out into memory (--spill), compressing them from there. Checked: every
# record in the file in order (hws-simcheck --no-loss), the summary's
# spill line with what was held, and a spill too small for the burst (the
# rest waits in the kernel) or none at all losing nothing either.
set -eu
. /guest-lib.sh

produced_of() {
	awk -v c="$1" '$1 == c { print $2 }' /sys/kernel/debug/hwstats_sim/produced
}

# Stop the recorder $1, wait until cpu0 has produced $2 records more,
# let it go, and end it after cpu0 produced $3 more; status in $OUT/$4.status.
burst() { # PID RECORDS AFTER NAME
	stop_proc "$1"
	for n in "$2" "$3"; do
		t=$(($(produced_of cpu0) + n))
		i=0
		while [ "$(produced_of cpu0)" -lt $t ]; do
			i=$((i + 1))
			[ $i -lt 1200 ] || fail "cpu0 did not produce $n records in 120 s"
			sleep 0.1
		done
		kill -CONT "$1"
	done
	kill -INT "$1"
	st=0
	wait "$1" || st=$?
	echo "$st" >"$OUT/$4.status"
}

insmod "$KO/hwstats.ko"
# One CPU: no other producer fills a buffer at its own pace meanwhile.
for f in /sys/devices/system/cpu/cpu*/online; do
	echo 0 >"$f"
done
[ "$(cat /sys/devices/system/cpu/online)" = 0 ] || fail "cannot take CPUs offline"

# 64 KiB x 8 per CPU; 4200 records of 80 bytes fill 5 sub-buffers (0.62
# of the buffer): more than a quarter, less than all. Spills of 1 MiB
# (16 sub-buffers), 128 KiB (2: the burst does not fit) and none.
for spill in 1M 128K 0; do
	name=spill-$spill
	insmod "$KO/hwstats_sim.ko" rate=2000
	hwstats-record -s sim -F 3600s -o "$OUT/$name.hws" -b 64K -n 8 \
		--spill $spill >"$OUT/$name.txt" 2>&1 &
	rec=$!
	wait_session
	burst $rec 4200 2000 "$name"
	cat /sys/kernel/debug/hwstats_sim/produced >"$OUT/$name-produced.txt"
	cat "$OUT/$name.txt"
	[ "$(cat "$OUT/$name.status")" -eq 0 ] || fail "$name: the recorder did not end cleanly"
	hws-simcheck --no-loss "$OUT/$name.hws" "$OUT/$name-produced.txt"
	line=$(grep '^spill: ' "$OUT/$name.txt" || true)
	case $spill in
	1M)	echo "$line" | grep -Eq 'up to (256|320|384) KiB .*--spill 1024 KiB' ||
			fail "$name: the burst did not go through the spill: '$line'" ;;
	128K)	echo "$line" | grep -q 'up to 128 KiB .*--spill 128 KiB' ||
			fail "$name: the spill did not fill up: '$line'" ;;
	0)	[ -z "$line" ] || fail "$name: a spill without one: '$line'" ;;
	esac
	rmmod hwstats_sim
done
for f in /sys/devices/system/cpu/cpu*/online; do
	echo 1 >"$f"
done
rmmod hwstats
echo "spill: PASS"
