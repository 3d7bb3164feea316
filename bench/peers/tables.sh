#!/usr/bin/env bash
# The peer benchmark's table from one kernel's results directory
# (build/peers/results/<release>, written by bench/peers/run.sh).
# Usage: bench/peers/tables.sh RESULTS_DIR
set -uo pipefail
res="$1"
krel=$(sed -n 's/^kernel=//p' "$res/guest.txt" 2>/dev/null)
echo "#### Guest kernel ${krel:-?}"
echo
files=()
for f in cost capture convert rate; do
	[[ -f "$res/$f.txt" ]] && files+=("$res/$f.txt")
done
awk '
function med(list,   n, a, i, j, t) {
	n = split(list, a, " ")
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return n ? a[int((n + 1) / 2)] : ""
}
FILENAME ~ /cost.txt$/ {
	for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	tool = f["tool"]; m = $4; where = $5
	key = tool SUBSEP where SUBSEP m SUBSEP f["round"]
	sum[key] += f["batch_med"]; cnt[key]++
	if (m == "tp") vs[tool, where] = vs[tool, where] " " f["vs_emit"] / 1000
	tools[tool] = 1; rounds[f["round"]] = 1
	next
}
FILENAME ~ /capture.txt$/ {
	for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	bpr[f["tool"]] = f["produced"] ? f["bytes"] / f["produced"] : ""
	capn[f["tool"]] = f["produced"]
	next
}
FILENAME ~ /convert.txt$/ && /^table / {
	for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	intable[f["tool"]] = f["records"]
	next
}
FILENAME ~ /convert.txt$/ && /^convert / {
	for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	cw[f["tool"]] = f["wall_s"]; cr[f["tool"]] = f["peak_rss_kib"]
	next
}
FILENAME ~ /rate.txt$/ {
	for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	g = $0; sub(/.*got=\[/, "", g); split(g, w, /[^0-9]+/)
	t = f["tool"]
	lost = f["produced"] - (t == "hwstats" ? f["produced"] - f["refused"] : w[1])
	if (lost <= 0 && f["refused"] == 0) { if (f["rate"] > best[t]) best[t] = f["rate"] }
	else if (!(t in firstfail)) { firstfail[t] = f["rate"]; ffl[t] = lost }
	next
}
END {
	# Per round: tp net of the values loop over emit net of it.
	for (t in tools) for (wi = 1; wi <= 2; wi++) {
		where = wi == 1 ? "one" : "all"; l = ""
		for (r in rounds) {
			e = sum[t, where, "emit", r] / cnt[t, where, "emit", r]
			p = sum[t, where, "tp", r] / cnt[t, where, "tp", r]
			z = sum[t, where, "empty", r] / cnt[t, where, "empty", r]
			if (cnt[t, where, "emit", r] && e > z) l = l " " (p - z) / (e - z)
			if (where == "one" && cnt[t, where, "emit", r]) ensall = ensall " " e / 1024
		}
		net[t, where] = med(l)
	}
	print "| tool | cost per record ÷ hwstats_emit(), one CPU / all CPUs, turn by turn | the same, net of building the values | hwstats_emit(), ns/record (one CPU, median batch) | bytes on disk per record | ÷ hwstats | highest rate per CPU with no loss, 2-s captures doubling from 16000/s | first loss at, lost | convert to a per-second table: s, peak RSS MiB | ÷ hwstats (time / memory) | records in the table / produced |"
	print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	n = split("hwstats ftrace perf lttng none", order, " ")
	for (k = 1; k <= n; k++) {
		t = order[k]
		if (!(t in tools) && !(t in bpr)) continue
		name = t == "hwstats" ? "**hwstats**" : t == "ftrace" ? "ftrace (trace-cmd)" : t == "none" ? "the tracepoint, nothing attached" : t
		c1 = t == "hwstats" ? "1 / 1" : sprintf("%.2f / %.2f", med(vs[t, "one"]), med(vs[t, "all"]))
		c2 = t == "hwstats" ? "1 / 1" : sprintf("%.2f / %.2f", net[t, "one"], net[t, "all"])
		en = t == "hwstats" ? sprintf("%.0f", med(ensall)) : ""
		b = bpr[t] != "" ? sprintf("%.1f", bpr[t]) : ""
		br = bpr[t] != "" && bpr["hwstats"] ? sprintf("%.2f", bpr[t] / bpr["hwstats"]) : ""
		rt = t in best ? best[t] : (t in firstfail ? "<" firstfail[t] : "")
		ff = t in firstfail ? firstfail[t] "/s, " ffl[t] : ""
		cv = t in cw ? sprintf("%s, %.1f", cw[t], cr[t] / 1024) : ""
		cvr = (t in cw) && cw["hwstats"] > 0 ? sprintf("%.1f / %.1f", cw[t] / cw["hwstats"], cr[t] / cr["hwstats"]) : ""
		if (t == "none") c2 = "—"
		it = t in intable ? intable[t] " / " capn[t] : ""
		printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", name, c1, c2, en, b, br, rt, ff, cv, cvr, it
	}
}' "${files[@]}"
echo
grep -h '^lttng_' "$res/lttng.txt" 2>/dev/null | sed 's/^/- /'
