#!/bin/sh
# Selftest: a kernel crash must be reported as FAIL at once (panic=-1 and
# -no-reboot stop QEMU), not after the timeout.
echo "crashing the kernel on purpose"
sync
echo c >/proc/sysrq-trigger
sleep 600
exit 0
