#!/bin/sh
# Selftest: a scenario that never finishes must be killed at --timeout and
# reported as FAIL (timeout).
echo "sleeping past the timeout on purpose"
sleep 600
exit 0
