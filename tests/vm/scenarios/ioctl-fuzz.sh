#!/bin/sh
# ioctl fuzzing: thousands of random and boundary calls on /dev/hwstats and
# the channel files from four processes at once (one of them unprivileged),
# while the simulated device emits. No oops, WARN, KASAN or lockdep report
# (the harness fails on those), every call gets a documented answer, no
# session is left behind, and the module records exactly afterwards.
#
# The seed is fixed, so every run makes the same calls (the interleaving of
# the processes aside); another seed: tests/vm/run.sh --append
# hws_fuzz_seed=N ... (and hws_fuzz_calls=N for
# more calls per process).
set -eu

seed=$(sed -n 's/.*hws_fuzz_seed=\([0-9][0-9]*\).*/\1/p' /proc/cmdline)
calls=$(sed -n 's/.*hws_fuzz_calls=\([0-9][0-9]*\).*/\1/p' /proc/cmdline)
seed=${seed:-20261127}
calls=${calls:-20000}

insmod "$KO/hwstats.ko"
insmod "$KO/hwstats_sim.ko" rate=200
hws-ioctl-fuzz --seed "$seed" --calls "$calls" --procs 4 --unprivileged 1

echo "== the module still records exactly"
cat /sys/kernel/debug/hwstats_sim/produced >"$OUT/before.txt"
hwstats-record -q -s sim -o "$OUT/after.hws" -d 1s
cat /sys/kernel/debug/hwstats_sim/produced >"$OUT/produced.txt"
hws-simcheck --no-loss "$OUT/after.hws" "$OUT/produced.txt" "$OUT/before.txt"
hws-abi-check >"$OUT/abi-check.txt" || { cat "$OUT/abi-check.txt"; exit 1; }
tail -n 1 "$OUT/abi-check.txt"
rmmod hwstats_sim
rmmod hwstats
