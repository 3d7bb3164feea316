#!/bin/sh
# The recorder under faults: a clean stop on SIGINT, a second recorder
# refused, SIGKILL leaving a file readable up to its last flush, a full disk
# reported with a readable file, bad options refused before anything starts.
set -eu
. /guest-lib.sh

insmod "$KO/hwstats.ko"
insmod "$KO/hwstats_sim.ko" rate=1000

echo "== bad options are refused before a session starts"
for args in "-d 0" "-d abc" "-b 1000" "-n 1" "-l 30" "-p 1ns" "-s nosuch" "-r 1" "-m 0" "--bogus"; do
	st=0
	# shellcheck disable=SC2086
	hwstats-record -q -o "$OUT/bad.hws" $args 2>"$OUT/err.txt" || st=$?
	echo "hwstats-record $args -> $st: $(cat "$OUT/err.txt" | head -n1)"
	[ "$st" -eq 1 ]
	[ "$(wc -l <"$OUT/err.txt")" -le 2 ]
	[ ! -e "$OUT/bad.hws" ]
done
st=0
hwstats-record -q -o /nonexistent/dir/x.hws -d 1s 2>"$OUT/err.txt" || st=$?
echo "unwritable output -> $st: $(cat "$OUT/err.txt")"
[ "$st" -eq 3 ]

echo "== what a new user meets: a directory, another device, the summary"
st=0
hwstats-record -q -o /tmp -d 1s 2>"$OUT/err.txt" || st=$?
echo "-o /tmp -> $st: $(cat "$OUT/err.txt")"
[ "$st" -eq 3 ] && grep -q "/tmp: is a directory" "$OUT/err.txt"
[ "$(wc -l <"$OUT/err.txt")" -eq 1 ]
st=0
hwstats-record -q -D /dev/null -o "$OUT/null.hws" -d 1s 2>"$OUT/err.txt" || st=$?
echo "-D /dev/null -> $st: $(cat "$OUT/err.txt")"
[ "$st" -eq 2 ] && grep -q "not the hwstats control device" "$OUT/err.txt"
[ ! -e "$OUT/null.hws" ]
hwstats-record -s sim -o "$OUT/sum.hws" -d 1s >"$OUT/sum.txt"
size=$(stat -c %s "$OUT/sum.hws")
grep "records in" "$OUT/sum.txt"
grep -q " $size bytes (" "$OUT/sum.txt" || fail "the summary does not give the size, $size bytes"

echo "== SIGINT stops cleanly; a second recorder is refused meanwhile"
cat /sys/kernel/debug/hwstats_sim/produced >"$OUT/before-int.txt"
hwstats-record -q -s sim -o "$OUT/int.hws" &
pid=$!
sleep 1
st=0
hwstats-record -q -o "$OUT/second.hws" -d 1s 2>"$OUT/err.txt" || st=$?
echo "second recorder -> $st: $(cat "$OUT/err.txt")"
[ "$st" -eq 2 ]
grep -q "already running" "$OUT/err.txt"
[ ! -e "$OUT/second.hws" ]
sleep 1
kill -INT $pid
wait $pid
cat /sys/kernel/debug/hwstats_sim/produced >"$OUT/after-int.txt"
hws-simcheck --no-loss "$OUT/int.hws" "$OUT/after-int.txt" "$OUT/before-int.txt"

echo "== a second SIGINT ends the recorder wherever it is"
# The output is a pipe already full, held open and never read: the
# recorder's first write blocks for good, with its session started. The
# first SIGINT asks for a stop it cannot finish; the next one ends it.
mkfifo /tmp/full.fifo
exec 3<>/tmp/full.fifo
head -c 65536 /dev/zero >&3
hwstats-record -q -f -s sim -o /tmp/full.fifo 2>"$OUT/err.txt" &
pid=$!
wait_session
i=0
while kill -INT $pid 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 50 ] || fail "the recorder did not end on repeated SIGINT"
	sleep 0.2
done
st=0
wait $pid || st=$?
echo "SIGINT x$i on a blocked recorder -> $st"
[ "$st" -eq 4 ] || fail "exit $st, not 4"
[ "$i" -ge 2 ] || fail "ended on the first SIGINT"
exec 3<&-
rm /tmp/full.fifo
# its session ended with it: the next recorder starts
hwstats-record -q -s sim -o "$OUT/after-fifo.hws" -d 1s

echo "== SIGKILL: the file is readable up to the last flush"
hwstats-record -q -s sim -o "$OUT/killed.hws" -F 100ms &
pid=$!
sleep 3
kill -KILL $pid
wait $pid || true
ls -l "$OUT/killed.hws"
st=0
hwstats-report "$OUT/killed.hws" >"$OUT/killed-report.txt" || st=$?
echo "report of the killed capture -> $st"
[ "$st" -eq 0 ] || [ "$st" -eq 3 ]
hws-simcheck --partial "$OUT/killed.hws" /sys/kernel/debug/hwstats_sim/produced "$OUT/after-int.txt" | tee "$OUT/killed-check.txt"
awk '/holds the first/ { n += $9 } END { print "records kept:", n; exit !(n > 0) }' "$OUT/killed-check.txt"

echo "== disk full"
mkdir /tmp/small
mount -t tmpfs -o size=64k none /tmp/small
cat /sys/kernel/debug/hwstats_sim/produced >"$OUT/before-full.txt"
st=0
hwstats-record -s sim -o /tmp/small/full.hws -d 20s -F 100ms 2>"$OUT/err.txt" || st=$?
cat "$OUT/err.txt"
echo "disk full -> $st"
[ "$st" -eq 3 ]
grep -q "disk full" "$OUT/err.txt"
cp /tmp/small/full.hws "$OUT/full.hws"
hws-simcheck --partial "$OUT/full.hws" /sys/kernel/debug/hwstats_sim/produced "$OUT/before-full.txt"

rmmod hwstats_sim
rmmod hwstats
