#!/bin/sh
# The recorder adapts instead of dropping, forced: a recorder stopped
# (SIGSTOP) while every CPU produces a burst, then let go.
#
# 1. A burst of more than half but less than all of the buffers: nothing
#    may be lost, and having read half a buffer or more at once each CPU
#    steps down its ladder of levels (to a negative zstd level): the end
#    summary says so, and every record is accounted for, lost 0.
# 2. A burst larger than the buffers: records are dropped, and a drop
#    sends each CPU to zstd's fastest level (-64); a second burst drops
#    records there too, to the bottom rung, where its chunks are stored
#    raw (no column encoding, no compression). The summary gives both,
#    produced == recorded + lost to the record, and hwstats-report reads
#    the file, whose chunks mix both encodings.
set -eu
. /guest-lib.sh

produced_of() {
	awk -v c="$1" '$1 == c { print $2 }' /sys/kernel/debug/hwstats_sim/produced
}

# Wait until each of the CPUs $2 has produced $1 records more.
produce() { # RECORDS CPUS
	targets=
	for c in $2; do
		targets="$targets $c=$(($(produced_of "$c") + $1))"
	done
	for t in $targets; do
		c=${t%=*}
		i=0
		while [ "$(produced_of "$c")" -lt "${t#*=}" ]; do
			i=$((i + 1))
			[ $i -lt 1200 ] || fail "$c did not produce $1 records in 120 s"
			sleep 0.1
		done
	done
}

# Stop the recorder $1, wait until each of the CPUs $3 has produced $2
# records more, and let it go.
pause_burst() { # PID RECORDS CPUS
	stop_proc "$1"
	produce "$2" "$3"
	echo "$3 produced $2 records each while nothing read"
	kill -CONT "$1"
}

# End the recorder $1; its status in $OUT/$2.status.
end_rec() { # PID NAME
	kill -INT "$1"
	st=0
	wait "$1" || st=$?
	echo "$st" >"$OUT/$2.status"
}

# pause_burst PID RECORDS CPUS, then wait for AFTER records more on each
# (0: none) and end the recorder; its status in $OUT/$3.status.
burst() { # PID RECORDS NAME CPUS AFTER
	pause_burst "$1" "$2" "$4"
	[ "$5" -eq 0 ] || produce "$5" "$4"
	end_rec "$1" "$3"
}

insmod "$KO/hwstats.ko"

# 1. One CPU bursts (the others offline: no second producer can fill the
# buffers at its own pace while the first one's burst is counted).
# 64 KiB x 8, 512 KiB; a sample record is 80 bytes, so 4200 records fill
# 5 sub-buffers, 0.62 of the buffer (the drain sees full sub-buffers
# only: 4 would be just under half), and with what came before the stop
# (the session is a moment old) and at most 0.1 s of production at
# 2000/s more, still below 0.85: more than half, less than all. The flush interval
# is an hour: the kernel's flush timer, which hands out a partly filled
# sub-buffer, must not use up sub-buffers however long the burst takes.
for f in /sys/devices/system/cpu/cpu*/online; do
	echo 0 >"$f"
done
[ "$(cat /sys/devices/system/cpu/online)" = 0 ] || fail "cannot take CPUs offline"
insmod "$KO/hwstats_sim.ko" rate=2000
HWSTATS_RECORD_LADDER=1 hwstats-record -s sim -F 3600s -o "$OUT/half.hws" \
	-b 64K -n 8 >"$OUT/half.txt" 2>&1 &
rec=$!
wait_session
burst $rec 4200 half cpu0 0
cat /sys/kernel/debug/hwstats_sim/produced >"$OUT/half-produced.txt"
cat "$OUT/half.txt"
[ "$(cat "$OUT/half.status")" -eq 0 ] || fail "the recorder did not end cleanly"
hws-simcheck --no-loss "$OUT/half.hws" "$OUT/half-produced.txt"
grep -Eq '^compression levels? .*-[0-9]+' "$OUT/half.txt" ||
	fail "no CPU stepped down its ladder after half its buffer waited"
# HWSTATS_RECORD_LADDER: the move, on cpu0, from level 3, for being behind
# by half the buffer (256 KiB) or more, with nothing lost.
grep '^ladder: ' "$OUT/half.txt" | head -n 1 | awk '
	{ for (i = 1; i <= NF; i++) if ($i == "bytes") behind = $(i - 1) }
	$4 == "cpu0" && $7 == "(level" && $8 == "3)" && /: behind, / &&
	behind >= 262144 && / 0 lost,/ { ok = 1 }
	END { exit !ok }' ||
	fail "HWSTATS_RECORD_LADDER did not show cpu0 stepping down from level 3 for being behind"
grep -q 'stored raw' "$OUT/half.txt" &&
	fail "the raw rung was reached without a drop or a long backlog"
hwstats-report "$OUT/half.hws" >"$OUT/half-report.txt" 2>&1
grep -qi 'damage\|corrupt' "$OUT/half-report.txt" &&
	fail "hwstats-report did not read every chunk"
rmmod hwstats_sim
for f in /sys/devices/system/cpu/cpu*/online; do
	echo 1 >"$f"
done

# 2. Every CPU; 4 KiB x 8 per CPU: more than 32 KiB / 16 bytes of records
# overrun it, and between the bursts it holds 0.4 s of the producer's
# 5000 records a second (a drop then would send a CPU on early). The
# flush interval is an hour, so that only full chunks (1 MiB, 13108
# records of 80 bytes) close, and the chunk open at the end.
insmod "$KO/hwstats_sim.ko" rate=5000
HWSTATS_RECORD_LADDER=1 hwstats-record -s sim -F 3600s -o "$OUT/full.hws" \
	-b 4K -n 8 >"$OUT/full.txt" 2>&1 &
rec=$!
wait_session
# Then 300 more on each CPU (6 sub-buffers of 4 KiB): the drain meets
# sub-buffers written after the drop, whose headers count it, and goes to
# level -64, where it stays (a climb waits for 16 calm wakes, a wake a
# sub-buffer at most). A second burst drops
# records again: from -64 to the raw rung, where the recorder ends (loss
# there after a buffer's worth would send the CPU back to -64 for good).
n=$((8 * 4096 / 16 + 64))
cpus="$(awk '$1 ~ /^cpu/ { print $1 }' /sys/kernel/debug/hwstats_sim/produced)"
pause_burst $rec $n "$cpus"
produce 300 "$cpus"
pause_burst $rec $n "$cpus"
produce 300 "$cpus"
end_rec $rec full
cat /sys/kernel/debug/hwstats_sim/produced >"$OUT/full-produced.txt"
cat "$OUT/full.txt"
[ "$(cat "$OUT/full.status")" -eq 0 ] || fail "the recorder did not end cleanly"
hws-simcheck --expect-loss "$OUT/full.hws" "$OUT/full-produced.txt"
# Each CPU reaches zstd's fastest level before the stored rung (its moves,
# HWSTATS_RECORD_LADDER). Whether it also completes a chunk there before
# the next drop depends on how soon its drain catches up after the burst
# (drops that go on send it on to the stored rung), so the summary's
# levels are not what is checked.
for cpu in $cpus; do
	awk -v cpu="$cpu" '$1 == "ladder:" && $4 == cpu {
			if (/-> [0-9]+ \(level -64\): / && !fast) fast = NR
			if (/-> [0-9]+ \(level -64, stored\): / && !stored) stored = NR
		}
		END { exit !(fast && (!stored || fast < stored)) }' "$OUT/full.txt" ||
		fail "a drop did not send $cpu to zstd's fastest level before the stored rung"
done
# The second burst's drop, seen at -64, sends each CPU to the stored rung.
# Whether a chunk closes there before the end depends on how soon 16 calm
# wakes take it back to -64 (in one 7.2 run, 0.3 s), so the summary's
# "chunks stored raw" counts only when no CPU climbed off it first.
for cpu in $cpus; do
	grep -Eq "^ladder: .* $cpu rung [0-9]+ \(level -64\) -> [0-9]+ \(level -64, stored\): records lost" \
		"$OUT/full.txt" ||
		fail "a drop at the fastest level did not send $cpu to the raw rung"
done
grep -Eq '^ladder: .*\(level -64, stored\) -> [0-9]+ \(level -64\): calm' "$OUT/full.txt" ||
	grep -Eq '^[0-9]+ chunks stored raw, neither column-encoded nor compressed' "$OUT/full.txt" ||
	fail "the CPUs ended on the raw rung but no chunk was stored raw"
hwstats-report "$OUT/full.hws" >"$OUT/full-report.txt" 2>&1
grep -qi 'damage\|corrupt' "$OUT/full-report.txt" &&
	fail "hwstats-report did not read every chunk"
rmmod hwstats_sim
rmmod hwstats
echo "ladder: PASS"
