#!/bin/sh
# Helpers for the guest side of VM scenarios: the harness (run.sh) puts
# this file at /guest-lib.sh in every initramfs; a scenario that wants
# them starts with ". /guest-lib.sh".

# Say what went wrong and end the scenario with status 1.
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# Wait (up to 10 s) until a backgrounded recorder has its session: its
# channel files exist.
wait_session() {
	_i=0
	while [ ! -e /sys/kernel/debug/hwstats/cpu0 ]; do
		_i=$((_i + 1))
		[ $_i -lt 100 ] || fail "the recorder did not start a session"
		sleep 0.1
	done
}

# SIGSTOP process $1 and wait (up to 5 s) until it is stopped: a stopped
# process has every thread stopped, state T in its status.
stop_proc() {
	kill -STOP "$1"
	_i=0
	until grep -q '^State:.*T' /proc/"$1"/status; do
		_i=$((_i + 1))
		[ $_i -lt 100 ] || fail "process $1 did not stop"
		sleep 0.05
	done
}
