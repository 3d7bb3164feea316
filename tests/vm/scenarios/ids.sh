#!/bin/sh
# Source ids come from a cyclic allocator (hwstats.ko max_source_id=4
# makes the range 1..4 so that it wraps within the test; netdev=0 leaves
# it to the simulator): a source that
# goes gives its id back, and the id comes round again only after the
# rest of the range; an id stays taken while its source is registered,
# and while the running session may still hold its records; a full range
# refuses a registration with ENOSPC. A capture of every source through
# all of that describes every sample with its own source's schema, found
# by id.
set -eu
. /guest-lib.sh

SIM=/sys/kernel/debug/hwstats_sim/produced
# "name=id ..." of every registered source, by name.
ids() {
	hwstats-stat --json | tr '{' '\n' |
		sed -n 's/^"id":\([0-9]*\),"name":"\([^"]*\)".*/\2=\1/p' |
		sort | tr '\n' ' ' | sed 's/ $//'
}
expect_ids() {
	got=$(ids)
	echo "sources: $got"
	[ "$got" = "$1" ] || fail "expected ids '$1', got '$got'"
}
# Until the simulator has taken a sample in the session (no timing).
wait_sampled() {
	_i=0
	while [ "$(awk '$1 == "total" { print $2 }' "$SIM")" -eq 0 ]; do
		_i=$((_i + 1))
		[ $_i -lt 300 ] || fail "the simulator took no sample"
		sleep 0.1
	done
}

insmod "$KO/hwstats.ko" max_source_id=4 netdev=0
insmod "$KO/hwstats_sim.ko" sources=2
expect_ids "sim1=2 sim=1"
rmmod hwstats_sim
insmod "$KO/hwstats_sim.ko" sources=2
expect_ids "sim1=4 sim=3"
rmmod hwstats_sim
echo "== the range wraps: 1 and 2 come round again"
insmod "$KO/hwstats_sim.ko" sources=2
expect_ids "sim1=2 sim=1"
rmmod hwstats_sim
echo "== five sources do not fit four ids"
if insmod "$KO/hwstats_sim.ko" sources=5 2>"$OUT/insmod5.err"; then
	fail "five sources registered with four ids"
fi
cat "$OUT/insmod5.err"
grep -q "No space left on device" "$OUT/insmod5.err" ||
	fail "a full id range did not answer ENOSPC"
[ -z "$(ids)" ] || fail "sources left after the failed load: $(ids)"

echo "== a session keeps the ids of the sources it sampled"
# The failed load took 3, 4, 1, 2 and gave them back: 3 and 4 are next.
insmod "$KO/hwstats_sim.ko" sources=2
first=$(ids)
expect_ids "sim1=4 sim=3"
hwstats-record -q -o "$OUT/all.hws" &
rec=$!
wait_session
wait_sampled
rmmod hwstats_sim
insmod "$KO/hwstats_sim.ko" sources=2
second=$(ids)
echo "sources: $second"
for a in $first; do
	for b in $second; do
		[ "${a#*=}" != "${b#*=}" ] ||
			fail "id ${a#*=} handed out again during the session that sampled it"
	done
done
wait_sampled
rmmod hwstats_sim
if insmod "$KO/hwstats_sim.ko" sources=1 2>"$OUT/insmod1.err"; then
	fail "a source registered while the session held every id"
fi
grep -q "No space left on device" "$OUT/insmod1.err" ||
	fail "no ENOSPC while the session held every id"
kill -INT $rec
st=0
wait $rec || st=$?
[ "$st" -eq 0 ] || fail "the recorder ended with status $st"
echo "== the session is over: its ids are free again"
# The search resumes after the last id handed out (2): 3 and 4 again.
insmod "$KO/hwstats_sim.ko" sources=2
expect_ids "$first"
# Four sources, two ids each: every sample described by its own schema.
hws-schemacheck --expect sim 4 "$OUT/all.hws"
rmmod hwstats_sim
rmmod hwstats
echo "ids: PASS"
