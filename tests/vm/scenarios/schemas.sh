#!/bin/sh
# Sources whose schemas together pass the 16 MiB a header frame may hold
# (40 sources of 8192 counters, about 18 MB): a capture of one of them
# describes that one alone and is small; a capture of all of them
# describes in the header what fits and the rest in source frames, and
# every sample in it is described. No empty file is left behind.
set -eu
. /guest-lib.sh

insmod "$KO/hwstats.ko"
insmod "$KO/hwstats_sim.ko" rate=1 sources=40 counters=8192 gauges=0

echo "== one source selected: the header describes it alone"
st=0
hwstats-record -q -s sim7 -o "$OUT/one.hws" -d 2s -b 1M -n 16 || st=$?
ls -l "$OUT/one.hws"
[ "$st" -eq 0 ] || fail "one source: exit $st"
size=$(stat -c %s "$OUT/one.hws")
# sim7's schema is about 450 KB; every other one left out
[ "$size" -lt 1048576 ] || fail "one source: a $size-byte file"
hws-schemacheck --max-idle 0 --expect sim7 1 "$OUT/one.hws"

echo "== every source: the header takes what fits, source frames the rest"
st=0
hwstats-record -q -o "$OUT/all.hws" -d 3s -b 1M -n 16 || st=$?
ls -l "$OUT/all.hws"
[ "$st" -eq 0 ] || fail "all sources: exit $st"
hws-schemacheck --expect sim 40 "$OUT/all.hws"

echo "== a rotated set: every file describes what its samples need"
mkdir "$OUT/rot"
hwstats-record -q -s sim3,sim30 -o "$OUT/rot/run.hws" -d 3s -R 1s -b 1M -n 16
ls -l "$OUT/rot"
hws-schemacheck --max-idle 0 --expect sim 2 "$OUT"/rot/*.hws
for f in "$OUT"/rot/*.hws; do
	[ "$(stat -c %s "$f")" -lt 2097152 ] || fail "$f is larger than 2 MiB"
done

rmmod hwstats_sim
rmmod hwstats
