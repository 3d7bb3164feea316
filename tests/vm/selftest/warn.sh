#!/bin/sh
# Selftest: a kernel warning must fail the run even though the scenario
# itself exits 0. The warning is injected into the kernel log through
# /dev/kmsg at KERN_WARNING level, the level WARN() uses.
echo "injecting a kernel warning on purpose"
echo "<4>WARNING: CPU: 0 PID: $$ at selftest/warn.sh:1 injected by the selftest" >/dev/kmsg
sleep 1
exit 0
