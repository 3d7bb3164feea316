#!/bin/sh
# A channel file opened while relay is still setting up the buffer behind
# it. relay creates a buffer's file first and initialises the buffer after
# (its reference count included): an open() in between would take a
# reference that the initialisation overwrites, and the buffer would be
# freed under its open file (a refcount warning, then a use after free, and
# every later START failing on "cpu0 already present").
#
# hwstats_sim's open_race_ms holds every new channel file 300 ms in that
# window, while a loop opens the channel files as fast as it can: at START
# (relay_open) and when a CPU comes online during a session (relay's
# hotplug callback). No warning (the harness fails on one), some opens are
# refused while the file is there (the window was hit), the captures are
# exact, and the module unloads.
#
# Three CPUs: relay's hotplug callback runs on the CPU that brings CPU1 up,
# spinning there, so the opener needs a CPU of its own besides.
# vm-cpus: 3
set -eu
. /guest-lib.sh

DIR=/sys/kernel/debug/hwstats
ONLINE=/sys/devices/system/cpu/cpu1/online
[ -e "$ONLINE" ] || fail "needs a second CPU that can go offline"

insmod "$KO/hwstats.ko"
insmod "$KO/hwstats_sim.ko" rate=500 open_race_ms=300

# Opens the channel files FILES... until $OUT/stop appears; counts the
# opens that failed while the file was there before and after the attempt.
opener() {
	refused=0
	opened=0
	while [ ! -e "$OUT/stop" ]; do
		for f in "$@"; do
			[ -e "$f" ] || continue
			if { true <"$f"; } 2>/dev/null; then
				opened=$((opened + 1))
			elif [ -e "$f" ]; then
				refused=$((refused + 1))
			fi
		done
	done
	echo "$refused $opened" >"$OUT/opener.txt"
}

run_opener() { # FUNCTION FILES...: FUNCTION runs while FILES are opened
	fn=$1
	shift
	rm -f "$OUT/stop" "$OUT/opener.txt"
	opener "$@" &
	pid=$!
	"$fn"
	: >"$OUT/stop"
	wait "$pid"
	read -r refused opened <"$OUT/opener.txt"
	echo "opener of $*: $refused refused while the file was there, $opened opened"
	[ "$refused" -gt 0 ] || fail "no open met a buffer being set up"
}

capture() { # NAME: a 1-s capture, exact
	cat /sys/kernel/debug/hwstats_sim/produced >"$OUT/$1-before.txt"
	hwstats-record -q -s sim -o "$OUT/$1.hws" -d 1s
	cat /sys/kernel/debug/hwstats_sim/produced >"$OUT/$1-produced.txt"
	hws-simcheck --no-loss "$OUT/$1.hws" "$OUT/$1-produced.txt" \
		"$OUT/$1-before.txt"
}

echo "== opens during START, three sessions"
starts() {
	for i in 1 2 3; do
		capture "start$i"
	done
}
run_opener starts "$DIR/cpu0" "$DIR/cpu1" "$DIR/cpu2"

echo "== opens while CPU1 comes online during a session"
echo 0 >"$ONLINE"
online_mid_session() {
	cat /sys/kernel/debug/hwstats_sim/produced >"$OUT/hotplug-before.txt"
	hwstats-record -q -s sim -o "$OUT/hotplug.hws" -d 3s &
	rec=$!
	wait_session
	sleep 0.3
	[ ! -e "$DIR/cpu1" ] || fail "cpu1 has a buffer while offline"
	echo 1 >"$ONLINE"
	wait "$rec"
	cat /sys/kernel/debug/hwstats_sim/produced >"$OUT/hotplug-produced.txt"
	hws-simcheck --no-loss "$OUT/hotplug.hws" "$OUT/hotplug-produced.txt" \
		"$OUT/hotplug-before.txt"
}
# Only CPU1's file: relay's hotplug callback alone creates it here.
run_opener online_mid_session "$DIR/cpu1"

echo "== later sessions still start, and the modules unload"
capture after
rmmod hwstats_sim
rmmod hwstats
