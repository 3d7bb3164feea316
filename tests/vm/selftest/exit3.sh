#!/bin/sh
# Selftest: a scenario failing with status 3 must be reported as FAIL (status 3).
echo "exiting with status 3 on purpose"
exit 3
