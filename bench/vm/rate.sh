#!/bin/sh
# One boot: the highest rate at which hwstats-record, with default buffers,
# captures a stream of the simulated device's records without losing one,
# and the rate at which the same records are emitted when nothing reads
# (bench/README.md). Parameters come from /extra/bench.conf (written by
# bench/run.sh); results go to $OUT as key=value lines.
set -eu
# shellcheck source=/dev/null
. /extra/bench.conf

P=/sys/kernel/debug/hwstats_sim/produced
D=/sys/kernel/debug/hwstats_bench
R=$D/run
ncpu=$(nproc)
echo "kernel=$(uname -r) cpus=$ncpu" >"$OUT/guest.txt"
insmod "$KO/hwstats.ko" netdev=0

# hwstats_sim, emit only: a thread per CPU emits as fast as it can
# (burst=1) into an overwrite session that nobody reads.
insmod "$KO/hwstats_sim.ko" burst=1
hwsb session -w -s sim -- sleep "$BURST_S" | sed 's/^/sim-burst /' >>"$OUT/rate.txt"
awk '$1 == "total" { print "sim-burst produced=" $2 " lost=" $3 }' "$P" >>"$OUT/rate.txt"
rmmod hwstats_sim

# hwstats_sim at its fastest timer rate: the rate its hrtimers reach under
# emulation, captured by hwstats-record.
insmod "$KO/hwstats_sim.ko" rate="$SIM_RATE"
st=0
hwstats-record -q -f -s sim -o /tmp/sim.hws -d "${PROBE_S}s" 2>/tmp/rec.err || st=$?
awk -v r="$SIM_RATE" -v s="$PROBE_S" -v st="$st" '$1 == "total" {
	print "sim-timer rate=" r " seconds=" s " status=" st " produced=" $2 " lost=" $3 }' "$P" >>"$OUT/rate.txt"
rmmod hwstats_sim
rm -f /tmp/sim.hws

# The paced producer of hwstats_bench: the same records (schema, values,
# 80 bytes) at a rate that is held, late wakeups made up.
insmod "$KO/hwstats_bench.ko"
hwsb session -w -s bench_sim -- sh -c "echo 'pace all $FLAT_N 0' >$R" >/dev/null
awk '{ print "flat", $0 }' "$D/results" >>"$OUT/rate.txt"
echo clear >"$R"

# One capture at RATE per CPU for SECONDS by the recorder $REC with the
# options $REC_OPTS; true when every record was captured and the rate was
# held.
REC=hwstats-record
probe() { # RATE SECONDS
	n=$(($1 * $2))
	st=0
	# shellcheck disable=SC2086 # REC_OPTS is a list of options
	"$REC" -q -f -s bench_sim $REC_OPTS -o /tmp/probe.hws 2>/tmp/rec.err &
	pid=$!
	hwsb wait 60
	echo "pace all $n $1" >"$R"
	kill -INT "$pid" 2>/dev/null || true
	wait "$pid" || st=$?
	size=$(wc -c </tmp/probe.hws 2>/dev/null || echo 0)
	rm -f /tmp/probe.hws
	err=$(head -c 300 /tmp/rec.err | tr '\n"' '  ')
	awk -v g="$GEOM" -v r="$1" -v s="$2" -v st="$st" -v sz="$size" -v err="$err" '
		{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		  fail += v["fail"]; ok += v["ok"]; if (v["wall"] + 0 > wall) wall = v["wall"] + 0 }
		END { printf "probe geom=%s rate=%d seconds=%d status=%d ok=%.0f lost=%.0f wall=%.0f file_bytes=%.0f err=\"%s\"\n",
			g, r, s, st, ok, fail, wall, sz, err }' "$D/results" >/tmp/probe.txt
	echo clear >"$R"
	cat /tmp/probe.txt >>"$OUT/rate.txt"
	# Held: every CPU's records went out within 10 % of the time asked.
	awk -v s="$2" '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
		END { exit !(v["status"] == 0 && v["lost"] == 0 && v["wall"] <= s * 1.1e9) }' /tmp/probe.txt
}

# Double until a short capture fails (or halve until one succeeds), bisect,
# then confirm with a long capture, stepping down when that one fails.
search() { # GEOM REC_OPTS
	GEOM=$1
	REC_OPTS=$2
	good=0
	bad=0
	rate=$RATE_START
	if probe "$rate" "$PROBE_S"; then
		good=$rate
		while [ "$rate" -lt "$RATE_MAX" ]; do
			rate=$((rate * 2))
			[ "$rate" -gt "$RATE_MAX" ] && rate=$RATE_MAX
			if probe "$rate" "$PROBE_S"; then good=$rate; else bad=$rate; break; fi
		done
	else
		bad=$rate
		while [ "$rate" -ge 1000 ]; do
			rate=$((rate / 2))
			if probe "$rate" "$PROBE_S"; then good=$rate; break; else bad=$rate; fi
		done
	fi
	step=0
	while [ "$bad" -gt 0 ] && [ "$good" -gt 0 ] && [ "$step" -lt "$BISECT_STEPS" ] &&
		[ $((bad - good)) -gt $((good / 10)) ]; do
		mid=$(((good + bad) / 2))
		if probe "$mid" "$PROBE_S"; then good=$mid; else bad=$mid; fi
		step=$((step + 1))
	done
	# The long capture: step down by a quarter until one holds, then
	# bisect between it and the lowest rate a long capture lost at
	# (CONFIRM_BISECT steps, default 2), so that one failure near the top
	# does not cost a quarter of the figure.
	tries=0
	lbad=0
	while [ "$good" -gt 0 ]; do
		if probe "$good" "$CONFIRM_S"; then
			break
		fi
		lbad=$good
		tries=$((tries + 1))
		if [ "$tries" -ge "$CONFIRM_TRIES" ]; then
			good=0
			break
		fi
		good=$((good * 3 / 4))
	done
	step=0
	while [ "$good" -gt 0 ] && [ "$lbad" -gt 0 ] && [ "$step" -lt "${CONFIRM_BISECT:-2}" ] &&
		[ $((lbad - good)) -gt $((good / 20)) ]; do
		mid=$(((good + lbad) / 2))
		if probe "$mid" "$CONFIRM_S"; then good=$mid; else lbad=$mid; fi
		step=$((step + 1))
	done
	echo "result geom=$GEOM rate=$good confirm_s=$CONFIRM_S max=$RATE_MAX" >>"$OUT/rate.txt"
}

# The recorder's default buffers: 32 x 256 KiB per CPU, and its default
# adaptive compression level; then, in the same boot, the kernel's 8 x
# 256 KiB (the recorder's default before) and the level held at 3, for the
# ratios between them.
# A recorder given as /extra/hwstats-record.base (an earlier build, for a
# before and after in one boot) is searched first, with its defaults.
# RATE_SETS in bench.conf picks the searches and their order (a name may
# repeat, for an A/B/A/B in one boot).
for set in ${RATE_SETS:-base default n8 fixed}; do
	REC=hwstats-record
	case $set in
	base)
		[ -x /extra/hwstats-record.base ] || continue
		REC=/extra/hwstats-record.base
		search base "" ;;
	default) search default "" ;;
	n8) search n8 "-n 8" ;;
	fixed) search fixed "--fixed-level" ;;
	*) echo "rate: unknown set $set" >&2; exit 1 ;;
	esac
done
REC=hwstats-record
rmmod hwstats_bench
rmmod hwstats
echo "rate: done"
