#!/bin/sh
# One boot: what a record costs the recorder at each compression level
# held fixed (--fixed-level), and the bytes it writes, at a rate every
# level captures without loss, the levels taking turns ROUNDS times. What
# the ladder's rungs are worth on this machine. Parameters from
# /extra/levels.conf: RATE (records/s per CPU), SECS, ROUNDS, LEVELS
# (zstd levels, words); results to $OUT/levels.txt, one line per capture:
# ns of recorder CPU per record (user and system apart too), and bytes
# per record in the file.
# See bench/README.md part 5 for the command line.
set -eu
# shellcheck source=/dev/null
. /extra/levels.conf
D=/sys/kernel/debug/hwstats_bench
R=$D/run
insmod "$KO/hwstats.ko" netdev=0
insmod "$KO/hwstats_bench.ko"
secs() { echo "$1" | awk -F'[ms]' '{ printf "%.3f", $1 * 60 + $2 }'; }
capture() { # NAME OPTS...
	name=$1; shift
	n=$((RATE * SECS))
	(
		hwstats-record -q -f -s bench_sim "$@" -o /tmp/cost.hws 2>/tmp/rec.err &
		pid=$!
		hwsb wait 60
		echo "pace all $n $RATE" >"$R"
		kill -INT $pid
		wait $pid || echo "status $?" >&2
		times >/tmp/times.txt
	)
	sz=$(wc -c </tmp/cost.hws)
	# shellcheck disable=SC2046 # the user and system times, two words
	set -- "$name" $(tail -n 1 /tmp/times.txt)
	awk -v name="$1" -v u="$(secs "$2")" -v s="$(secs "$3")" -v sz="$sz" '
		{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		  ok += v["ok"]; fail += v["fail"] }
		END { printf "level=%s records=%.0f lost=%.0f user=%s sys=%s ns_per_record=%.0f user_ns=%.0f sys_ns=%.0f bytes_per_record=%.2f\n",
			name, ok, fail, u, s, ok ? (u + s) * 1e9 / ok : 0, ok ? u * 1e9 / ok : 0, ok ? s * 1e9 / ok : 0, ok ? sz / ok : 0 }' "$D/results" |
		tee -a "$OUT/levels.txt"
	echo clear >"$R"
	rm -f /tmp/cost.hws
}
i=0
while [ $i -lt "$ROUNDS" ]; do
	for l in $LEVELS; do
		capture "$l" -l "$l" --fixed-level
	done
	i=$((i + 1))
done
rmmod hwstats_bench
rmmod hwstats
