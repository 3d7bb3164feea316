#!/usr/bin/env bash
# The host parts of `make bench`, one per call: bench/run.sh runs each
# under a time limit, with its settings in the environment (B, RES, WORK,
# HB, REPORT, ROUNDS, GEN_N, SIZE_N, QUICK). Results are key=value lines in
# $RES/<part>.txt.
#
# Usage: bench/host.sh drain|size|report|format
set -euo pipefail

# /usr/bin/time's "wall user sys maxrss_kb" of a command, into a file.
timed() { # OUTFILE CMD...
	local o="$1"
	shift
	/usr/bin/time -f "%e %U %S %M" -o "$o" "$@"
}

# The recorder's pipeline (hwsb-replay) against zstd -1, zstd -3 and cat
# on the same raw records of 2 CPUs, each tool with a process or thread
# per CPU, inputs in the page cache, outputs to files; ROUNDS rounds.
drain() {
	local d="$WORK/drain" r lv
	mkdir -p "$d"
	"$HB/hwsb-gen" -n "$GEN_N" -r 10000 "$d" >"$RES/drain-gen.txt"
	cat "$d"/cpu*.raw >/dev/null
	for ((r = 1; r <= ROUNDS; r++)); do
		rm -f "$d"/out.*
		timed "$d/t" "$HB/hwsb-replay" -o "$d/out.hws" "$d/cpu0.raw" \
			"$d/cpu1.raw" >"$d/replay.txt"
		echo "round=$r tool=hwstats $(cat "$d/replay.txt") time=$(tr ' ' , <"$d/t") out=$(stat -c %s "$d/out.hws")" >>"$RES/drain.txt"
		for lv in 1 3; do
			timed "$d/t" sh -c "zstd -q -$lv -c '$d/cpu0.raw' >'$d/out.z0' &
				zstd -q -$lv -c '$d/cpu1.raw' >'$d/out.z1' & wait"
			echo "round=$r tool=zstd-$lv time=$(tr ' ' , <"$d/t") out=$(($(stat -c %s "$d/out.z0") + $(stat -c %s "$d/out.z1")))" >>"$RES/drain.txt"
		done
		timed "$d/t" sh -c "cat '$d/cpu0.raw' >'$d/out.c0' &
			cat '$d/cpu1.raw' >'$d/out.c1' & wait"
		echo "round=$r tool=cat time=$(tr ' ' , <"$d/t") out=$(($(stat -c %s "$d/out.c0") + $(stat -c %s "$d/out.c1")))" >>"$RES/drain.txt"
	done
	rm -f "$d"/out.z* "$d"/out.c*
}

# What the recorder's one-second chunks cost: the same streams replayed
# into chunks of 2, 5 and 10 s (a chunk is what a crash loses, so the
# recorder does not do this; bench/README.md, part 3).
chunk_lengths() { # DIR GEN_WORDS RAW...
	local d="$1" words="$2" s
	shift 2
	for s in 2 5 10; do
		"$HB/hwsb-replay" -F "${s}000000000" -o "$d/long.hws" "$@" >/dev/null
		echo "chunklen chunk_s=$s $words hws=$(stat -c %s "$d/long.hws")" >>"$RES/size.txt"
	done
	rm -f "$d/long.hws"
}

# The live file's size (1-s chunks), from hwsb-replay's line.
live() { # REPLAY_TXT
	grep -o 'file_bytes=[0-9]*' "$1" | cut -d= -f2
}

# Bytes per record of the .hws file, zstd -3, zstd -19 and xz -6 of the
# same raw records, at three rates of the simulated device (the slow two
# compressors, in parallel, at 1000/s only: raw records hardly change with
# the rate); then bytes per counter sample of two netdev streams. The .hws
# twice: the live file (1-s chunks, what a crash leaves; hws=) and the
# finished file, compacted as hwstats-record leaves it (final=).
size() {
	local rate d z19 xz6
	for rate in 100 1000 10000; do
		d="$WORK/size-$rate"
		mkdir -p "$d"
		"$HB/hwsb-gen" -n "$SIZE_N" -r "$rate" "$d" >"$d/gen.txt"
		"$HB/hwsb-replay" -c -o "$d/out.hws" "$d/cpu0.raw" "$d/cpu1.raw" >"$d/replay.txt"
		cat "$d/cpu0.raw" "$d/cpu1.raw" >"$d/raw"
		z19="" xz6=""
		if ((rate == 1000)); then
			zstd -q -19 -T1 -c "$d/raw" | wc -c >"$d/z19" &
			xz -6 -T1 -c "$d/raw" | wc -c >"$d/xz6" &
			wait
			z19=" zstd19=$(cat "$d/z19")" xz6=" xz6=$(cat "$d/xz6")"
		fi
		echo "size $(cat "$d/gen.txt") hws=$(live "$d/replay.txt") final=$(stat -c %s "$d/out.hws") $(grep -o 'compact_seconds=[0-9.]*' "$d/replay.txt") zstd3=$(zstd -q -3 -T1 -c "$d/raw" | wc -c)$z19$xz6" >>"$RES/size.txt"
		((rate == 100)) && chunk_lengths "$d" "$(cat "$d/gen.txt")" "$d/cpu0.raw" "$d/cpu1.raw"
		rm -f "$d/raw" "$d"/cpu*.raw
	done
	# Realistic streams: a netdev source (24 counters, mostly unchanging)
	# of an idle and of a busy interface, 10 ms period, 10 minutes (1 in
	# --quick), through the same pipeline; bytes per counter sample.
	d="$WORK/size-netdev"
	mkdir -p "$d"
	for kind in idle busy; do
		"$HB/hwsb-netdev" -n $((QUICK ? 6000 : 60000)) "$kind" "$d/cpu0.raw" >"$d/gen.txt"
		"$HB/hwsb-replay" -c -o "$d/out.hws" "$d/cpu0.raw" >"$d/replay.txt"
		echo "$(cat "$d/gen.txt") hws=$(live "$d/replay.txt") final=$(stat -c %s "$d/out.hws") $(grep -o 'compact_seconds=[0-9.]*' "$d/replay.txt") zstd3=$(zstd -q -3 -T1 -c "$d/cpu0.raw" | wc -c)" >>"$RES/size.txt"
		[[ "$kind" == busy ]] && chunk_lengths "$d" "$(cat "$d/gen.txt")" "$d/cpu0.raw"
		rm -f "$d/cpu0.raw"
	done
}

# hwstats-report (summary, and --interval 1s) on a file of its own, four
# times the drain part's records (a run lasts some 50 times the 10 ms that
# /usr/bin/time resolves), decoding on one thread and on two
# (HWSTATS_THREADS), and on two threads confined to one CPU (taskset: what
# handing chunks between threads costs, without moving the decoded records
# from one CPU's cache to the other's); against the fair baseline: zstd -dc
# of the same raw records stored as one plain zstd -3 stream, what a user
# holding the raw records would run. The load average is taken at the start
# and end: the other CPU must be idle for the two-thread figures to mean
# anything. And what two CPUs give at that moment at best: each CPU's
# records written to a file of their own and reported by two processes at
# once (no merge, nothing shared; the ceiling of any split by CPU), and one
# of them alone.
report() {
	local d="$WORK/report" r t
	local f="$d/out.hws" z="$d/raw.zst"
	mkdir -p "$d"
	"$HB/hwsb-gen" -n $((GEN_N * 4)) -r 10000 "$d" >"$d/gen.txt"
	"$HB/hwsb-replay" -o "$f" "$d/cpu0.raw" "$d/cpu1.raw" >"$d/replay.txt"
	"$HB/hwsb-replay" -o "$d/c0.hws" "$d/cpu0.raw" >"$d/replay0.txt"
	"$HB/hwsb-replay" -o "$d/c1.hws" "$d/cpu1.raw" >/dev/null
	cat "$d/cpu0.raw" "$d/cpu1.raw" | zstd -q -3 -T1 -c >"$z"
	rm -f "$d"/cpu*.raw
	echo "load at=start avg=$(cut -d' ' -f1 /proc/loadavg)" >>"$RES/report.txt"
	for ((r = 1; r <= ROUNDS; r++)); do
		for t in 1 2; do
			timed "$WORK/t" env HWSTATS_THREADS=$t "$REPORT" "$f" >/dev/null
			echo "round=$r tool=summary threads=$t time=$(tr ' ' , <"$WORK/t")" >>"$RES/report.txt"
			timed "$WORK/t" env HWSTATS_THREADS=$t "$REPORT" -i 1s "$f" >/dev/null
			echo "round=$r tool=interval threads=$t time=$(tr ' ' , <"$WORK/t")" >>"$RES/report.txt"
		done
		timed "$WORK/t" taskset -c 0 env HWSTATS_THREADS=2 "$REPORT" "$f" >/dev/null
		echo "round=$r tool=summary-onecpu threads=2 time=$(tr ' ' , <"$WORK/t")" >>"$RES/report.txt"
		timed "$WORK/t" zstd -q -dc "$z" -o /dev/null
		echo "round=$r tool=zstd-dc time=$(tr ' ' , <"$WORK/t")" >>"$RES/report.txt"
		timed "$WORK/t" env HWSTATS_THREADS=1 "$REPORT" "$d/c0.hws" >/dev/null
		echo "round=$r tool=percpu-one time=$(tr ' ' , <"$WORK/t")" >>"$RES/report.txt"
		# /usr/bin/time counts both children: the shell waits for them.
		# shellcheck disable=SC2016 # the inner shell expands them
		timed "$WORK/t" env HWSTATS_THREADS=1 R="$REPORT" D="$d" sh -c \
			'"$R" "$D/c0.hws" >/dev/null & "$R" "$D/c1.hws" >/dev/null && wait $!'
		echo "round=$r tool=percpu-pair time=$(tr ' ' , <"$WORK/t")" >>"$RES/report.txt"
	done
	echo "load at=end avg=$(cut -d' ' -f1 /proc/loadavg)" >>"$RES/report.txt"
	echo "file records=$(grep -o 'records=[0-9]*' "$d/replay.txt" | cut -d= -f2) bytes=$(stat -c %s "$f") raw_bytes=$(zstd -q -dc "$z" | wc -c) zst_bytes=$(stat -c %s "$z") cpus=$(nproc) cpu0_records=$(grep -o 'records=[0-9]*' "$d/replay0.txt" | cut -d= -f2)" >>"$RES/report.txt"
	rm -f "$z" "$f" "$d/c0.hws" "$d/c1.hws"
}

# bench/format's own microbenchmark, as it is.
format() {
	make --no-print-directory -s -C bench/format all >/dev/null
	"$B/bench_format" $((QUICK ? 8 : 16)) 2 >"$RES/format.txt"
}

case "${1:-}" in
drain | size | report | format) "$1" ;;
*)
	echo "usage: bench/host.sh drain|size|report|format" >&2
	exit 2
	;;
esac
