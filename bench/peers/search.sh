# shellcheck shell=sh
# shellcheck disable=SC2034 # SEARCH_* are for the caller
# The search for the highest rate per CPU at which a capture loses
# nothing, as bench part 5 does it (bench/vm/rate.sh): double from
# RATE_START until a short capture fails (or halve until one succeeds),
# bisect between the last success and the first failure, then confirm with
# a long capture, stepping down by a quarter when that one fails.
# Sourced by bench/peers/guest.sh (busybox sh).
#
# rate_search PROBE: PROBE RATE SECONDS runs one capture and returns 0 when
# it lost nothing. Uses RATE_START, RATE_MAX, PROBE_S (the short captures),
# BISECT_STEPS (at most; bisection also stops within 10 % of the success),
# CONFIRM_S and CONFIRM_TRIES. Sets SEARCH_GOOD (the confirmed rate, 0 if
# none), SEARCH_BAD (the lowest short capture that failed, 0 if none did)
# and SEARCH_CONFIRM_FAILS (the confirming captures that failed).
rate_search() { # PROBE
	good=0
	bad=0
	rate=$RATE_START
	if "$1" "$rate" "$PROBE_S"; then
		good=$rate
		while [ "$rate" -lt "$RATE_MAX" ]; do
			rate=$((rate * 2))
			[ "$rate" -gt "$RATE_MAX" ] && rate=$RATE_MAX
			if "$1" "$rate" "$PROBE_S"; then good=$rate; else bad=$rate; break; fi
		done
	else
		bad=$rate
		while [ "$rate" -ge 1000 ]; do
			rate=$((rate / 2))
			if "$1" "$rate" "$PROBE_S"; then good=$rate; break; else bad=$rate; fi
		done
	fi
	step=0
	while [ "$bad" -gt 0 ] && [ "$good" -gt 0 ] && [ "$step" -lt "$BISECT_STEPS" ] &&
		[ $((bad - good)) -gt $((good / 10)) ]; do
		mid=$(((good + bad) / 2))
		if "$1" "$mid" "$PROBE_S"; then good=$mid; else bad=$mid; fi
		step=$((step + 1))
	done
	SEARCH_BAD=$bad
	SEARCH_CONFIRM_FAILS=0
	while [ "$good" -gt 0 ]; do
		"$1" "$good" "$CONFIRM_S" && break
		SEARCH_CONFIRM_FAILS=$((SEARCH_CONFIRM_FAILS + 1))
		if [ "$SEARCH_CONFIRM_FAILS" -ge "$CONFIRM_TRIES" ]; then
			good=0
			break
		fi
		good=$((good * 3 / 4))
	done
	SEARCH_GOOD=$good
}
