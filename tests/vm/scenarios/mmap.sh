#!/bin/sh
# Zero-copy reading (ABI minor 1). The same capture through the mapped
# buffers (the default) and through read() (HWSTATS_RECORD_READ set): the
# recorder maps one buffer per CPU in the one and none in the other, and
# both files hold every record produced, none lost. Then the same with
# the recorder stopped until the kernel drops records: produced ==
# recorded + lost, to the record, on both paths. Then the edges
# (hws-mmapcheck): every bad mmap() and CONSUME argument refused with its
# errno, and a mapping that outlives STOP, RESET and the device file
# closed; while it is held hwstats cannot be unloaded, and once it is
# gone it can.
set -eu
. /guest-lib.sh

produced_of() {
	awk -v c="$1" '$1 == c { print $2 }' /sys/kernel/debug/hwstats_sim/produced
}

# The recorder's mappings of the control device, once its drains run.
maps_of() {
	grep -c ' /dev/hwstats$' "/proc/$1/maps" || true
}

insmod "$KO/hwstats.ko"
insmod "$KO/hwstats_sim.ko" rate=1000
NCPUS=$(grep -c '^cpu' /sys/kernel/debug/hwstats_sim/produced)

for path in mmap read; do
	echo "== capture through $path"
	if [ $path = read ]; then
		export HWSTATS_RECORD_READ=1
		want=0
	else
		unset HWSTATS_RECORD_READ
		want=$NCPUS
	fi
	cat /sys/kernel/debug/hwstats_sim/produced >"$OUT/before-$path.txt"
	hwstats-record -q -s sim -o "$OUT/$path.hws" -d 3s &
	rec=$!
	wait_session
	i=0
	while [ "$(maps_of $rec)" -ne "$want" ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "$path: the recorder maps $(maps_of $rec) buffers, expected $want"
		sleep 0.05
	done
	echo "$path: $(maps_of $rec) buffers mapped"
	wait $rec
	cat /sys/kernel/debug/hwstats_sim/produced >"$OUT/after-$path.txt"
	hws-simcheck --no-loss "$OUT/$path.hws" "$OUT/after-$path.txt" \
		"$OUT/before-$path.txt"

	echo "== overload through $path: 2 x 4 KiB buffers, recorder stopped"
	hwstats-record -q -s sim -o "$OUT/over-$path.hws" -b 4K -n 2 &
	rec=$!
	wait_session
	stop_proc $rec
	for c in $(cd /sys/kernel/debug/hwstats && ls -d cpu*); do
		# more than 8 KiB of records while nothing reads
		target=$(($(produced_of "$c") + 2 * 4096 / 16 + 64))
		i=0
		while [ "$(produced_of "$c")" -lt $target ]; do
			i=$((i + 1))
			[ $i -lt 600 ] || fail "$c did not produce in 60 s"
			sleep 0.1
		done
	done
	kill -CONT $rec
	kill -INT $rec
	status=0
	wait $rec || status=$?
	[ $status -eq 0 ] || fail "$path overload: exit status $status"
	cat /sys/kernel/debug/hwstats_sim/produced >"$OUT/over-after-$path.txt"
	hws-simcheck --expect-loss "$OUT/over-$path.hws" \
		"$OUT/over-after-$path.txt" "$OUT/after-$path.txt"
done
unset HWSTATS_RECORD_READ

echo "== bad arguments, and a mapping that outlives its session"
nobuf=-1
if [ -w /sys/devices/system/cpu/cpu1/online ]; then
	echo 0 >/sys/devices/system/cpu/cpu1/online
	nobuf=1
fi
rm -f /tmp/go
hws-mmapcheck $nobuf /tmp/go >"$OUT/mmapcheck.txt" 2>&1 &
chk=$!
i=0
until grep -qs '^held' "$OUT/mmapcheck.txt"; do
	i=$((i + 1))
	kill -0 $chk 2>/dev/null || { cat "$OUT/mmapcheck.txt"; fail "hws-mmapcheck ended early"; }
	[ $i -lt 200 ] || fail "hws-mmapcheck did not get to its held mapping"
	sleep 0.05
done
[ $nobuf -lt 0 ] || echo 1 >/sys/devices/system/cpu/cpu1/online
rmmod hwstats_sim
if rmmod hwstats 2>/dev/null; then
	fail "hwstats unloaded while a mapping of its buffer is held"
fi
echo "hwstats stays loaded while the mapping is held"
touch /tmp/go
status=0
wait $chk || status=$?
cat "$OUT/mmapcheck.txt"
[ $status -eq 0 ] || fail "hws-mmapcheck: status $status"
rmmod hwstats
echo "hwstats unloaded once the mapping was gone"
