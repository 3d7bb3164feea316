#!/bin/sh
# Selftest: words the kernel check looks for, printed by the scenario itself
# (not by the kernel), must not fail the run.
echo "BUG: this line is scenario output, not a kernel message"
echo "WARNING: so is this one; Oops, Call Trace, Kernel panic"
echo "stderr: Oops" >&2
exit 0
