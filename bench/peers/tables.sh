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
for f in cost capture convert rate perf-cost; do
	[[ -f "$res/$f.txt" ]] && files+=("$res/$f.txt")
done
awk '
function med(list,   n, a, i, j, t) {
	n = split(list, a, " ")
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return n ? a[int((n + 1) / 2)] : ""
}
FILENAME ~ /\/cost.txt$/ {
	for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	tool = f["tool"]; m = $5; where = $6
	key = tool SUBSEP where SUBSEP m SUBSEP f["round"]
	sum[key] += f["batch_med"]; cnt[key]++
	if (m == "tp") vs[tool, where] = vs[tool, where] " " f["vs_emit"] / 1000
	if (m == "emit") { efail[tool] += f["fail"]; en_[tool] += f["n"]; emed[tool, where] = emed[tool, where] " " f["batch_med"] }
	tools[tool] = 1; rounds[f["round"]] = 1
	next
}
FILENAME ~ /perf-cost.txt$/ {
	if ($3 == "SAMPLE") psamp += $4; else if ($3 == "LOST") plost += $4
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
FILENAME ~ /rate.txt$/ && /^result / {
	for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	best[f["tool"]] = f["rate"]; firstfail[f["tool"]] = f["first_fail"]
	cfails[f["tool"]] = f["confirm_fails"]; confirm_s = f["confirm_s"]
	next
}
FILENAME ~ /rate.txt$/ {
	delete f
	for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	g = $0; sub(/.*got=\[/, "", g); split(g, w, /[^0-9]+/)
	t = f["tool"]
	if (!((t, f["rate"]) in lostat)) {
		lostat[t, f["rate"]] = f["produced"] - w[1]
		held[t, f["rate"]] = f["wall_ns"] + 0 <= f["seconds"] * 1.1e9
	}
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
			if (where == "one" && t != "perf" && cnt[t, where, "emit", r]) ensall = ensall " " e / 1024
		}
		net[t, where] = med(l)
	}
	print "| tool | cost per record ÷ hwstats_emit(), one CPU / all CPUs, turn by turn | the same, net of building the values | hwstats_emit(), ns/record (one CPU, median batch) | bytes on disk per record | ÷ hwstats | highest rate per CPU with no loss (part 5 search, " confirm_s "-s confirm) | ÷ hwstats | first loss at (short capture), lost | convert to a per-second table: s, peak RSS MiB | ÷ hwstats (time / memory) | records in the table / produced |"
	print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	n = split("hwstats ftrace perf lttng bpf none", order, " ")
	for (k = 1; k <= n; k++) {
		t = order[k]
		if (!(t in tools) && !(t in bpr) && !(t in best)) continue
		name = t == "hwstats" ? "**hwstats**" : t == "ftrace" ? "ftrace (trace-cmd)" : t == "none" ? "the tracepoint, nothing attached" : t == "bpf" ? "BPF ring buffer (raw_tp)" : t == "perf" ? "perf (÷ hwstats drained by hwstats-record, see below)" : t
		c1 = t == "hwstats" ? "1 / 1" : (t in tools) ? sprintf("%.2f / %.2f", med(vs[t, "one"]), med(vs[t, "all"])) : ""
		c2 = t == "hwstats" ? "1 / 1" : (t in tools) ? sprintf("%.2f / %.2f", net[t, "one"], net[t, "all"]) : ""
		en = t == "hwstats" ? sprintf("%.0f", med(ensall)) : ""
		b = bpr[t] != "" ? sprintf("%.1f", bpr[t]) : ""
		br = bpr[t] != "" && bpr["hwstats"] ? sprintf("%.2f", bpr[t] / bpr["hwstats"]) : ""
		rt = t in best ? (best[t] > 0 ? best[t] : "<" firstfail[t]) : ""
		if ((t in cfails) && cfails[t] > 0) rt = rt " (" cfails[t] " confirm failed)"
		rr = (t in best) && best["hwstats"] > 0 && best[t] > 0 ? sprintf("%.2f", best[t] / best["hwstats"]) : ""
		ff = (t in firstfail) && firstfail[t] > 0 ? firstfail[t] "/s, " lostat[t, firstfail[t]] (held[t, firstfail[t]] ? "" : ", rate not held") : ((t in best) ? "none up to the maximum" : "")
		cv = t in cw ? sprintf("%s, %.1f", cw[t], cr[t] / 1024) : ""
		cvr = (t in cw) && cw["hwstats"] > 0 ? sprintf("%.1f / %.1f", cw[t] / cw["hwstats"], cr[t] / cr["hwstats"]) : ""
		if (t == "none") c2 = "—"
		if (t == "bpf" && b != "") cv = "no tool (raw records)"
		it = t in intable ? intable[t] " / " capn[t] : ""
		printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", name, c1, c2, en, b, br, rt, rr, ff, cv, cvr, it
	}
	if ("perf" in tools) {
		printf "\n- perf: perf record drains while it records (it has no mode without a reader), so in its runs hwstats-record drains hwstats as well (a no-overwrite session): perf ÷ hwstats, both drained, turn by turn, as in the table. hwstats_emit() refused %d of its %d records in those runs (a refusal: its buffers full, the recorder behind); perf kept %d of the same number of tp records (%d lost, in %d PERF_RECORD_LOST records).", efail["perf"], en_["perf"], psamp, en_["perf"] - psamp, plost
		printf " hwstats_emit() drained ÷ undrained (median batch, one CPU / all CPUs, across runs of the same boot): %.2f / %.2f.\n", med(emed["perf", "one"]) / med(emed["none", "one"]), med(emed["perf", "all"]) / med(emed["none", "all"])
	}
}' "${files[@]}"
echo
grep -h '^lttng_' "$res/lttng.txt" 2>/dev/null | sed 's/^/- /'
