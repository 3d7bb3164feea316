#!/bin/sh
# One boot: the cost of a record through hwstats_emit() and its peers, the
# BPF ring-buffer peer, and the snapshot transports (bench/README.md).
# Parameters come from /extra/bench.conf (written by bench/run.sh); results
# go to $OUT as key=value lines that bench/run.sh reads.
set -eu
# shellcheck source=/dev/null
. /extra/bench.conf

D=/sys/kernel/debug/hwstats_bench
R=$D/run

{
	echo "kernel=$(uname -r)"
	echo "cpus=$(nproc)"
	echo "clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
	# ERMS (6.1) or FSRM (6.12) makes the kernel's memcpy() a rep movsb.
	echo "rep_movsb_flags=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -x -E 'erms|fsrm' | tr '\n' ',')"
} >"$OUT/guest.txt"

insmod "$KO/hwstats.ko" netdev=0
insmod "$KO/hwstats_bench.ko"
# Loading a module that uses trace_printk() prints a notice banner.
echo "printk_banner_lines=$(dmesg | grep -c 'trace_printk() being used' || true)" >>"$OUT/guest.txt"

# Results of the module since the last call, each line tagged; then clear.
take() { # TAG FILE
	awk -v t="$1" '{ print t, $0 }' "$D/results" >>"$2"
	echo clear >"$R"
}

# Emit cost: the methods take turns, a batch of 1024 records each, on one
# CPU and then on all at once; rounds repeat that. hwstats_emit() needs a
# session: overwrite mode, so no case ever meets a full buffer (the bare
# relay channel never refuses a sub-buffer either). reserve comes first:
# every method's vs_first is its cost over reserve's, turn by turn.
MIX=reserve,emit,reserve_memcpy,reserve_loop,write,printk,puts,tp,empty
r=1
while [ "$r" -le "$ROUNDS" ]; do
	for where in one all; do
		hwsb session -w -s bench -- sh -c "echo '$MIX $where $N_MIX' >$R" >>"$OUT/sessions.txt"
		take "round=$r" "$OUT/emit.txt"
		# The BPF peer takes turns with reserve and emit; its ring holds
		# every record, nothing reads while the loop runs.
		hwsb session -w -s bench -- hwsb-bpf -s "$BPF_RING" -- \
			sh -c "echo 'reserve,emit,tp $where $N_BPF' >$R" |
			awk -v t="round=$r where=$where" '/^bpf / { print t, $0 }' >>"$OUT/bpf-cost.txt"
		awk -v t="round=$r" '{ sub(/^tp /, "bpf "); sub(/^reserve /, "bpf:reserve ");
			sub(/^emit /, "bpf:emit "); print t, $0 }' "$D/results" >>"$OUT/emit.txt"
		echo clear >"$R"
	done
	r=$((r + 1))
done

# Throughput with a reader: every CPU emits flat out while user space
# drains; hwstats read() per CPU vs one ring_buffer__poll() thread, each
# with 4 MiB of buffer in all (8 x 256 KiB per CPU on 2 CPUs).
r=1
while [ "$r" -le "$TPUT_ROUNDS" ]; do
	hwsb drain -s bench -- sh -c "echo 'emit all $TPUT_N' >$R" |
		awk -v t="round=$r" '{ print t, $0 }' >>"$OUT/tput.txt"
	take "round=$r producer=hwstats" "$OUT/tput.txt"
	hwsb-bpf -p -s "$TPUT_RING" -- sh -c "echo 'tp all $TPUT_N' >$R" |
		awk -v t="round=$r" '{ print t, $0 }' >>"$OUT/tput.txt"
	take "round=$r producer=bpf" "$OUT/tput.txt"
	r=$((r + 1))
done
rmmod hwstats_bench

# Snapshot transports: the bench_snapK sources alone (hwstats.ko has no
# netdev sources), so that the ioctl's answer is exactly K * (48 + 8 * N)
# bytes. SNAP_SPECS holds K:N:REPS words.
for spec in $SNAP_SPECS; do
	k=${spec%%:*}
	values=${spec#*:}
	values=${values%:*}
	reps=${spec##*:}
	insmod "$KO/hwstats_bench.ko" emit_source=0 snap_sources="$k" snap_values="$values"
	r=1
	while [ "$r" -le "$SNAP_ROUNDS" ]; do
		for m in ioctl seqfile genl relay; do
			hwsb snap -m "$m" -r "$reps" |
				awk -v t="round=$r" '{ print t, $0 }' >>"$OUT/snap.txt"
		done
		r=$((r + 1))
	done
	rmmod hwstats_bench
done
rmmod hwstats
echo "emit: done"
