#!/bin/sh
# 64-bit values across 2^32, for 32-bit kernels (make test-i386), where a
# 64-bit load or store is two 32-bit ones. hwstats.ko starts every
# source's seq, and the simulator its sample numbers (the "ticks" counter
# and the values derived from it), 300 below 2^32, so both cross it on
# every CPU during the capture. While the capture runs, snapshots taken
# from this shell (the simulator's per-CPU numbers summed, as hwstats'
# snapshot reads them, from whichever CPU it runs on) must never go
# backwards or jump by 2147483648 or more; in the file, every CPU's seqs must
# follow one another from the base and its sample numbers only grow, each
# record's values matching the sample number it carries.
set -eu
. /guest-lib.sh

B=4294966996		# 2^32 - 300
TWO32=4294967296
SIM=/sys/kernel/debug/hwstats_sim/produced

insmod "$KO/hwstats.ko" netdev=0 seq_base=$B
insmod "$KO/hwstats_sim.ko" rate=500 ticks_base=$B
hwstats-record -q -s sim -o "$OUT/w.hws" &
rec=$!
wait_session
: >"$OUT/snaps.txt"
i=0
while :; do
	hwstats-stat --json -s sim |
		sed -n 's/.*"seq":\([0-9]*\),"counters":\[{"name":"ticks"[^}]*"value":\([0-9]*\)}.*/\1 \2/p' \
			>>"$OUT/snaps.txt"
	# Every CPU past 2^32 + 300: both bases crossed with room to spare.
	awk -v t=$TWO32 '$1 ~ /^cpu/ && $4 < t + 300 { low = 1 } END { exit low }' "$SIM" &&
		break
	i=$((i + 1))
	[ $i -lt 3000 ] || fail "the sample numbers did not cross 2^32"
done
kill -INT $rec
st=0
wait $rec || st=$?
[ "$st" -eq 0 ] || fail "the recorder ended with status $st"
cat "$SIM" >"$OUT/produced.txt"
cat "$OUT/produced.txt"
awk -v b=$B '
	NF != 2 { print "a snapshot without seq and ticks: " $0; bad = 1; next }
	n && ($1 < s || $2 < v || $1 - s >= 2147483648 || $2 - v >= 2147483648) {
		printf "snapshot %d: seq %.0f ticks %.0f after %.0f %.0f\n", NR, $1, $2, s, v
		bad = 1
	}
	{ s = $1; v = $2; n++ }
	END {
		printf "%d snapshots, ticks %.0f .. %.0f\n", n, first, v
		if (n < 2 || bad) exit 1
	}
	NR == 1 { first = $2 }' "$OUT/snaps.txt" || fail "a snapshot went backwards or jumped"
hws-simcheck --no-loss --seq-base $B --ticks-base $B "$OUT/w.hws" "$OUT/produced.txt"
rmmod hwstats_sim
rmmod hwstats
echo "wrap32: PASS"
