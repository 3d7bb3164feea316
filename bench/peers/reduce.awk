# Reduce a tracer's text output (trace-cmd report, perf script,
# babeltrace2 --clock-seconds) to the per-second table of the counters'
# rates: a row per second from the first record, the records in it and each
# counter's increase summed over the CPUs (each record's value minus the
# previous record's of the same CPU). Lines without the event are skipped.
/hwsb_peers_rec/ {
	cpu = ""; ts = ""
	if (match($0, /cpu_id = [0-9]+/)) cpu = substr($0, RSTART + 9, RLENGTH - 9) + 0
	else if (match($0, /\[[0-9]+\]/)) cpu = substr($0, RSTART + 1, RLENGTH - 2) + 0
	if (match($0, /\[[0-9]+\.[0-9]+\]/)) ts = substr($0, RSTART + 1, RLENGTH - 2) + 0
	else if (match($0, / [0-9]+\.[0-9]+: /)) ts = substr($0, RSTART + 1, RLENGTH - 3) + 0
	for (i = 0; i < 4; i++) {
		if (match($0, "c" i " ?= ?[0-9]+")) {
			s = substr($0, RSTART, RLENGTH); gsub(/[^0-9]/, "", s)
			v[i] = substr(s, 2) + 0
		}
	}
	if (t0 == "") t0 = ts
	sec = int(ts - t0)
	if (sec > maxsec) maxsec = sec
	n[sec]++
	if (cpu in last0)
		for (i = 0; i < 4; i++) d[sec, i] += v[i] - last[cpu, i]
	last0[cpu] = 1
	for (i = 0; i < 4; i++) last[cpu, i] = v[i]
	total++
}
END {
	for (s = 0; s <= maxsec; s++)
		printf "sec=%d records=%d c0=%d c1=%d c2=%d c3=%d\n", s, n[s], d[s, 0], d[s, 1], d[s, 2], d[s, 3]
	printf "total records=%d\n", total
}
