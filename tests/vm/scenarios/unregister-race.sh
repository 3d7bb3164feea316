#!/bin/sh
# vm-append: slub_debug=FZP
# hwstats_source_unregister() against emits in flight. The simulator's
# churn test (<debugfs>/hwstats_sim/churn) registers and unregisters a
# source in a loop while a thread bound to the other CPU emits to it in a
# tight loop, preemption disabled around each use, interrupts on; the
# unregistering side has no synchronisation of its own. The guest runs
# with slab poisoning and red zones (slub_debug=FZP): a source freed under
# a running emit would be read back as 0x6b bytes (an enabled flag that
# is true, a seq pointer that faults) or written after its free (a
# "Poison overwritten" report); the harness fails on either. Three runs:
# no session; a session of another source, so that each churned source
# is freed at once; a session of every source, so that they are sampled,
# retired and freed when the session ends.
set -eu
. /guest-lib.sh

CH=/sys/kernel/debug/hwstats_sim/churn
churn() { # ROUNDS
	before=$(cat "$CH")
	echo "$1" >"$CH" || fail "churn $1 failed"
	after=$(cat "$CH")
	echo "churn $1: $before -> $after"
	# shellcheck disable=SC2086 # the words of both lines, split
	set -- $before $after
	[ "${16}" -eq 0 ] || fail "emits gave unexpected errors: $after"
	[ $((${10} - $2)) -eq "$ROUNDS" ] || fail "rounds: $before -> $after"
	written=$((${14} - $6))
}

grep -q slub_debug=FZP /proc/cmdline || fail "not booted with slub_debug=FZP"
insmod "$KO/hwstats.ko" netdev=0
insmod "$KO/hwstats_sim.ko" rate=100

echo "== no session"
ROUNDS=100
churn $ROUNDS
[ "$written" -eq 0 ] || fail "$written records written with no session"

echo "== a session of sim only: each churned source is freed at once"
hwstats-record -q -s sim -o "$OUT/sim.hws" &
rec=$!
wait_session
churn $ROUNDS
[ "$written" -eq 0 ] || fail "$written records of an unselected source"
kill -INT $rec
wait $rec || fail "the recorder failed"

echo "== a session of every source: each churned source is sampled"
hwstats-record -q -o "$OUT/all.hws" &
rec=$!
wait_session
churn $ROUNDS
[ "$written" -gt 0 ] || fail "no churn record was written"
kill -INT $rec
wait $rec || fail "the recorder failed"
hws-schemacheck "$OUT/all.hws"
rmmod hwstats_sim
rmmod hwstats
echo "unregister-race: PASS"
