#!/bin/sh
# Load: the simulated device emits as fast as it can on every CPU (burst
# mode: a thread per CPU) while the recorder drains with its default
# buffers. Records are dropped (half or more of them under QEMU), and every
# one is accounted for: per CPU, produced = recorded + lost, the device's
# own count of drops equals the file's, and the sequence gaps are exactly
# the lost records. The same with a single drain thread reading every
# CPU's channel from wherever it runs (--threads 1), half as long: it must
# serve every CPU while the load lasts (each records more than its buffers
# can hold).
# Meanwhile the guest stays responsive: a shell
# loop notes the time every 0.5 s, and the longest gap between two notes
# must stay under 10 s (a liveness check, not a timing: the CPUs are
# emulated, and shared with the host's other work).
#
# 20 s by default (make test); `make test-load` runs the full 60 s through
# the kernel command line: tests/vm/run.sh --append hws_load_seconds=60.
set -eu

secs=$(sed -n 's/.*hws_load_seconds=\([0-9][0-9]*\).*/\1/p' /proc/cmdline)
secs=${secs:-20}
max_gap=10

insmod "$KO/hwstats.ko"
# Small records (one counter) so that the device, not the 9p share to the
# host, is what limits the rate.
insmod "$KO/hwstats_sim.ko" burst=1 counters=1 gauges=0
cat /sys/kernel/debug/hwstats_sim/produced >"$OUT/before.txt"

# The heartbeat: uptime every 0.5 s.
(
	while :; do
		cut -d' ' -f1 /proc/uptime
		sleep 0.5
	done
) >"$OUT/heartbeat.txt" &
hb=$!

st=0
hwstats-record -s sim -o "$OUT/load.hws" -d "${secs}s" || st=$?
cat /sys/kernel/debug/hwstats_sim/produced >"$OUT/produced.txt"
cat "$OUT/produced.txt"
echo "recorder exit status: $st"
[ "$st" -eq 0 ] || {
	echo "FAIL: the recorder did not end cleanly" >&2
	exit 1
}
ls -l "$OUT/load.hws"
hws-simcheck "$OUT/load.hws" "$OUT/produced.txt" "$OUT/before.txt"

echo "== one drain thread for every CPU (--threads 1): reads from other CPUs"
st=0
hwstats-record -q -s sim -o "$OUT/load-t1.hws" -d "$((secs / 2))s" -t 1 || st=$?
cat /sys/kernel/debug/hwstats_sim/produced >"$OUT/produced-t1.txt"
kill $hb
wait $hb 2>/dev/null || true
echo "recorder exit status: $st"
[ "$st" -eq 0 ] || {
	echo "FAIL: the recorder with one thread did not end cleanly" >&2
	exit 1
}
st=0
hws-simcheck "$OUT/load-t1.hws" "$OUT/produced-t1.txt" "$OUT/produced.txt" \
	>"$OUT/check-t1.txt" || st=$?
cat "$OUT/check-t1.txt"
[ "$st" -eq 0 ] || exit 1
# The one thread must serve every CPU during the capture, not only at the
# end: each CPU's recorded count exceeds twice what its buffers hold (8 x
# 256 KiB of 40-byte records), which an unread channel cannot reach.
awk -v cap=$((2 * 8 * 262144 / 40)) '
	/^cpu[0-9]+: produced/ {
		n++
		if ($6 + 0 <= cap) {
			printf "FAIL: %s recorded only %d records (a starved channel holds at most %d)\n", $1, $6, cap / 2
			bad = 1
		}
	}
	END { exit bad || n < 2 }' "$OUT/check-t1.txt" || {
	echo "FAIL: one drain thread did not serve every CPU" >&2
	exit 1
}

# The heartbeat's longest gap, over both captures.
awk -v max="$max_gap" '
	NR > 1 { gap = $1 - prev; if (gap > worst) worst = gap }
	{ prev = $1; n++ }
	END {
		printf "heartbeat: %d notes over the load, longest gap %.2f s (limit %d s)\n", n, worst, max
		exit !(n >= 4 && worst < max)
	}' "$OUT/heartbeat.txt" || {
	echo "FAIL: the guest did not stay responsive under load" >&2
	exit 1
}

rmmod hwstats_sim
rmmod hwstats
echo "load: PASS"
