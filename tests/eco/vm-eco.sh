#!/bin/sh
# Guest side of the ecosystem tests (tests/eco/run.sh), one boot for all:
#  - prometheus-live.sh: one snapshot of every source, written by
#    hwstats-stat both as JSON (stdout) and in the Prometheus text format
#    (--prometheus), so the host can compare what a real node_exporter
#    serves from the second with the first, value for value. It runs as a
#    member of the device's group, not as root, as
#    packaging/systemd/hwstats-stat-prometheus.service does;
#  - prometheus-backfill.sh and the pandas test: a real capture,
#    $OUT/capture.hws, for the host to backfill into Prometheus and read
#    with Python.
set -eu
. /guest-lib.sh

echo 'alice:x:1000:1000:alice:/tmp:/bin/sh' >>/etc/passwd
printf 'alice:x:1000:\nhwstats:x:990:alice\n' >>/etc/group

insmod "$KO/hwstats.ko"
insmod "$KO/hwstats_sim.ko" rate=0 sources=3 counters=6 gauges=3
chgrp hwstats /dev/hwstats
mkdir -p "$OUT/textfile"
chown alice "$OUT/textfile"
prom="$OUT/textfile/hwstats.prom"
echo stale >"$prom"
chown alice "$prom"
su -s /bin/sh alice -c "hwstats-stat --json --prometheus $prom" >"$OUT/stat.json" ||
	fail "hwstats-stat as a member of the device's group failed"
grep -q stale "$prom" && fail "the old file was not replaced"
left=$(ls -A "$OUT/textfile")
[ "$left" = "hwstats.prom" ] || fail "files left beside the output: $left"
# A directory that cannot be written: one line, exit 3, nothing changed.
st=0
su -s /bin/sh alice -c "hwstats-stat -q --prometheus /hwstats.prom" 2>"$OUT/err.txt" || st=$?
cat "$OUT/err.txt"
[ "$st" -eq 3 ] || fail "an unwritable --prometheus file should exit 3, not $st"
[ "$(wc -l <"$OUT/err.txt")" -eq 1 ] || fail "expected one line of error"
echo "series: $(grep -c '^hwstats_' "$prom")"
rmmod hwstats_sim

# 3 s of the simulated device at 50 samples/s per CPU, and net:lo.
insmod "$KO/hwstats_sim.ko" rate=50 sources=2 counters=4 gauges=2
hwstats-record -q -o "$OUT/capture.hws" -d 3s
cat /sys/kernel/debug/hwstats_sim/produced >"$OUT/produced.txt"
# A flight recorder whose 2 x 4 KiB per CPU are lapped within the 3 s: its
# dump starts late, and the readers must say so (overwritten, not lost).
mkdir "$OUT/flight"
hwstats-record -q -w -b 4K -n 2 -o "$OUT/flight/fr.hws" -d 3s
rmmod hwstats_sim
rmmod hwstats
echo "vm-eco: done"
