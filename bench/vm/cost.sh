#!/bin/sh
# One boot: the recorder's CPU time per record at a fixed rate that every
# build captures without loss, an earlier build (/extra/hwstats-record.base)
# and this one taking turns ROUNDS times, so that a host whose load moves
# during the boot weighs on both alike. Where bench part 5's search for the
# highest lossless rate moves by a quarter between two searches of the same
# build on a shared host, this compares the cost behind that rate directly.
# Parameters from /extra/cost.conf: RATE (records/s per CPU), SECS, ROUNDS,
# OPTS (recorder options, may be empty), TRACE (optional: 1 keeps each
# capture's summary and its ladder moves, HWSTATS_RECORD_LADDER, in
# $OUT/rec-ROUND-BUILD.err, with the file's size); results to
# $OUT/cost.txt, one line per capture: the build, records, lost, user and
# system seconds of the recorder (with its threads), and ns of recorder
# CPU per record.
set -eu
# shellcheck source=/dev/null
. /extra/cost.conf
TRACE=${TRACE:-0}
D=/sys/kernel/debug/hwstats_bench
R=$D/run
insmod "$KO/hwstats.ko" netdev=0
insmod "$KO/hwstats_bench.ko"

# ash's "times": the shell's user and system time, then its children's.
secs() { # "1m2.500s" -> 62.500
	echo "$1" | awk -F'[ms]' '{ printf "%.3f", $1 * 60 + $2 }'
}

capture() { # NAME RECORDER
	n=$((RATE * SECS))
	(
		if [ "$TRACE" = 1 ]; then
			# shellcheck disable=SC2086 # OPTS is a list of options
			HWSTATS_RECORD_LADDER=1 "$2" -f -s bench_sim $OPTS \
				-o /tmp/cost.hws >/tmp/rec.err 2>&1 &
		else
			# shellcheck disable=SC2086 # OPTS is a list of options
			"$2" -q -f -s bench_sim $OPTS -o /tmp/cost.hws 2>/tmp/rec.err &
		fi
		pid=$!
		hwsb wait 60
		echo "pace all $n $RATE" >"$R"
		kill -INT $pid
		wait $pid || echo "status $?" >&2
		times >/tmp/times.txt
		[ "$TRACE" != 1 ] ||
			{ ls -l /tmp/cost.hws; cat /tmp/rec.err; } >"$OUT/rec-$i-$1.err"
	)
	set -- "$1" $(tail -n 1 /tmp/times.txt)
	awk -v name="$1" -v u="$(secs "$2")" -v s="$(secs "$3")" '
		{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		  ok += v["ok"]; fail += v["fail"] }
		END { printf "cost build=%s records=%.0f lost=%.0f user=%s sys=%s ns_per_record=%.0f\n",
			name, ok, fail, u, s, ok ? (u + s) * 1e9 / ok : 0 }' "$D/results" |
		tee -a "$OUT/cost.txt"
	echo clear >"$R"
	rm -f /tmp/cost.hws
}

i=0
while [ $i -lt "$ROUNDS" ]; do
	capture base /extra/hwstats-record.base
	capture new hwstats-record
	i=$((i + 1))
done
awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	  ns[v["build"]] += v["ns_per_record"]; n[v["build"]]++ }
	END { b = ns["base"] / n["base"]; w = ns["new"] / n["new"]
	      printf "mean ns_per_record base=%.0f new=%.0f new/base=%.3f\n", b, w, w / b }' \
	"$OUT/cost.txt" | tee -a "$OUT/cost.txt"
rmmod hwstats_bench
rmmod hwstats
