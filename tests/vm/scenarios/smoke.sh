#!/bin/sh
# Smoke test for the VM harness: the guest boots, debugfs is there and the
# host out-directory is writable.
set -eu

echo "kernel: $(uname -r)"
echo "cpus:   $(nproc)"
echo "out:    $OUT  ko: $KO"

if ! grep -q ' /sys/kernel/debug debugfs ' /proc/mounts; then
	echo "debugfs is not mounted" >&2
	exit 1
fi
echo "debugfs: mounted"

uname -r >"$OUT/smoke.txt"
[ "$(cat "$OUT/smoke.txt")" = "$(uname -r)" ]
echo "wrote $OUT/smoke.txt"
exit 0
