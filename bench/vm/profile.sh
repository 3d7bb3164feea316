#!/bin/sh
# One boot: where the guest's CPU time goes while hwstats-record captures
# bench_sim's paced producer (bench part 5's capture) at RATE records per
# second per CPU for SECS seconds, once per recorder option set in OPTS
# (words; a comma for a space; "default" for none). perf runs from the
# Debian tree shared as 9p tag "rootfs" (scripts/build-rootfs.sh; the
# peers benchmark's has linux-perf), with its software clock, which works
# under TCG. Parameters come from /extra/profile.conf; the flat profiles
# (by command, object and symbol) and the call graphs go to $OUT. See
# bench/README.md part 5 for the command line.
set -u
# shellcheck source=/dev/null
. /extra/profile.conf
RT=/mnt/rootfs
D=/sys/kernel/debug/hwstats_bench
R=$D/run
insmod "$KO/hwstats.ko" netdev=0 || exit 3
insmod "$KO/hwstats_bench.ko" || exit 3
mkdir -p "$RT"
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144 rootfs "$RT" || exit 3
mount -t proc proc "$RT/proc"
mount -t sysfs sysfs "$RT/sys"
mount -t debugfs debugfs "$RT/sys/kernel/debug"
mount -t devtmpfs devtmpfs "$RT/dev"
mount -t tmpfs tmpfs "$RT/tmp"
mount -t tmpfs tmpfs "$RT/root"
# perf resolves the recorder's symbols from the same path in the chroot.
cp "$(command -v hwstats-record)" "$RT/tmp/hwstats-record" || exit 3
for cfg in $OPTS; do
	o=$(echo "$cfg" | tr , ' ')
	[ "$o" = default ] && o=""
	n=$((RATE * SECS))
	# shellcheck disable=SC2086 # $o is a list of options
	chroot "$RT" /tmp/hwstats-record -q -f -s bench_sim $o -o /tmp/p.hws 2>/tmp/rec.err &
	pid=$!
	hwsb wait 60
	s0=$(head -n 1 /proc/stat)
	chroot "$RT" perf record -q -e cpu-clock -F 2000 -a -g -o /tmp/perf.data -- \
		sh -c "echo 'pace all $n $RATE' >$R" 2>/tmp/perf.err
	s1=$(head -n 1 /proc/stat)
	kill -INT "$pid"
	st=0
	wait "$pid" || st=$?
	{
		echo "opts=$cfg rate=$RATE seconds=$SECS status=$st file_bytes=$(wc -c <"$RT/tmp/p.hws")"
		echo "$s0 $s1" | awk '{ for (i = 2; i <= 11; i++) a += $(i + 11) - $i
			printf "busy=%.3f user=%.3f sys=%.3f\n", 1 - ($16 - $5) / a, ($13 - $2) / a, ($15 - $4) / a }'
		awk '{ print $2, $5, $6, $7 }' "$D/results"
	} >>"$OUT/profile.txt"
	echo clear >"$R"
	chroot "$RT" perf report -i /tmp/perf.data --no-children --sort comm,dso,sym \
		--stdio -g none 2>/dev/null | grep -v '^$' | head -n 120 >"$OUT/flat-$cfg.txt"
	chroot "$RT" perf report -i /tmp/perf.data --no-children --sort sym --stdio \
		-g caller,0.5,callee --percent-limit 1 2>/dev/null | head -n 600 >"$OUT/graph-$cfg.txt"
	rm -f "$RT/tmp/perf.data" "$RT/tmp/p.hws"
done
rmmod hwstats_bench
rmmod hwstats
echo "profile: done"
