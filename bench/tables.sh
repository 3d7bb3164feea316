#!/usr/bin/env bash
# Turn the key=value results of bench/run.sh (in DIR) into the markdown
# tables of bench/README.md, with each ratio and target. Medians over
# rounds; every ratio compares figures of the same run (guest figures of
# the same boot).
#
# Usage: bench/tables.sh DIR
set -uo pipefail

R="${1:?usage: bench/tables.sh DIR}"

# Shared awk: kv(key) reads key=value words of the current line; median()
# of a list of numbers separated by spaces (mawk has no sort).
# shellcheck disable=SC2016 # awk code, not shell
AWKLIB='
function kv(k,   i) {
	for (i = 1; i <= NF; i++)
		if (index($i, k "=") == 1)
			return substr($i, length(k) + 2)
	return ""
}
function median(list,   n, a, i, j, t) {
	n = split(list, a, " ")
	if (!n)
		return ""
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function minimum(list,   n, a, i, m) {
	n = split(list, a, " ")
	m = a[1]
	for (i = 2; i <= n; i++)
		if (a[i] + 0 < m + 0)
			m = a[i]
	return m
}
function verdict(ok) { return ok ? "**met**" : "**missed**" }
function fmt(x, d) { return x == "" ? "n/a" : sprintf("%." d "f", x) }
function ratio(a, b, d) { return (a == "" || b == "" || b + 0 == 0) ? "" : a / b }
'

have() { [[ -s "$R/$1" ]]; }

# ---- 1 and 7: cost per record in the guest ---------------------------------
emit_table() {
	have emit-emit.txt || {
		echo "No emit results (the guest part did not run)."
		return
	}
	awk "$AWKLIB"'
	{
		round = kv("round"); m = $2; w = $3
		b = kv("batch") + 0
		k = m SUBSEP w SUBSEP round
		best[k] += kv("batch_min") / b; med[k] += kv("batch_med") / b
		vs[k] += kv("vs_first") / 1000; cnt[k]++
		tot[k] += kv("n"); if (kv("wall") + 0 > wall[k]) wall[k] = kv("wall") + 0
		if (!(k in seen)) { seen[k] = 1; rounds[m SUBSEP w] = rounds[m SUBSEP w] " " round }
	}
	# The median over rounds of the mean over CPUs of a per-thread figure.
	function stat(arr, m, w,   n, a, i, l, k, x) {
		n = split(rounds[m SUBSEP w], a, " "); l = ""
		for (i = 1; i <= n; i++) {
			k = m SUBSEP w SUBSEP a[i]
			x = arr == "best" ? best[k] : arr == "med" ? med[k] : vs[k]
			l = l " " x / cnt[k]
		}
		return median(l)
	}
	# Records of every CPU over the longest thread, with the methods
	# taking turns: the method'"'"'s share of that time is its batches.
	function rate(m, w,   n, a, i, l, k) {
		n = split(rounds[m SUBSEP w], a, " "); l = ""
		for (i = 1; i <= n; i++) { k = m SUBSEP w SUBSEP a[i]; l = l " " cnt[k] / (med[k] / cnt[k]) * 1e6 }
		return median(l)
	}
	END {
		name["empty"] = "the loop alone (values, no record)"
		name["emit"] = "**hwstats_emit()**"
		name["reserve"] = "relay_reserve() + fill in place, irqs off"
		name["reserve_memcpy"] = "relay_reserve() + memcpy() of the values, irqs off"
		name["reserve_loop"] = "relay_reserve() + a loop of 8-byte stores of the values, irqs off"
		name["write"] = "relay_write() of a prepared record"
		name["printk"] = "trace_printk() of seq + 4 values"
		name["puts"] = "trace_puts() of a 63-character string"
		name["tp"] = "the tracepoint, nothing attached"
		name["bpf"] = "tracepoint + BPF program + BPF ring buffer"
		nord = split("empty emit reserve reserve_memcpy reserve_loop write printk puts tp bpf", order, " ")
		print "| record path | one CPU, ns/record: best / median batch | all CPUs, ns/record each: best / median | all CPUs, k records/s in all (median batches) | ÷ reserve+fill, turn by turn (one / all) | ÷ hwstats_emit (one / all) |"
		print "|---|---:|---:|---:|---:|---:|"
		for (i = 1; i <= nord; i++) {
			m = order[i]
			o = stat("best", m, "one"); a = stat("best", m, "all")
			if (o == "" && a == "") continue
			# The BPF runs take turns with their own reserve and emit.
			eo = stat("vs", m == "bpf" ? "bpf:emit" : "emit", "one")
			ea = stat("vs", m == "bpf" ? "bpf:emit" : "emit", "all")
			vo = stat("vs", m, "one"); va = stat("vs", m, "all")
			printf "| %s | %s / %s | %s / %s | %s | %s / %s | %s / %s |\n", name[m],
				fmt(o, 0), fmt(stat("med", m, "one"), 0), fmt(a, 0), fmt(stat("med", m, "all"), 0),
				fmt(rate(m, "all"), 0), fmt(vo, 2), fmt(va, 2), fmt(ratio(vo, eo), 2), fmt(ratio(va, ea), 2)
		}
		eo = stat("vs", "emit", "one"); ea = stat("vs", "emit", "all")
		po = stat("vs", "printk", "one"); pa = stat("vs", "printk", "all")
		co = stat("vs", "reserve_memcpy", "one"); ca = stat("vs", "reserve_memcpy", "all")
		zo = stat("vs", "empty", "one"); za = stat("vs", "empty", "all")
		print ""
		printf "- hwstats_emit() ÷ relay_reserve() + fill: %s on one CPU, %s on all (target ≤ 1.2: %s); by best batches %s / %s; net of the loop alone %s / %s.\n",
			fmt(eo, 2), fmt(ea, 2), verdict(eo <= 1.2 && ea <= 1.2),
			fmt(ratio(stat("best", "emit", "one"), stat("best", "reserve", "one")), 2),
			fmt(ratio(stat("best", "emit", "all"), stat("best", "reserve", "all")), 2),
			fmt((eo - zo) / (1 - zo), 2), fmt((ea - za) / (1 - za), 2)
		lo = stat("vs", "reserve_loop", "one"); la = stat("vs", "reserve_loop", "all")
		printf "- hwstats_emit() ÷ relay_reserve() + memcpy() of the values (the bare primitive copying the values as hwstats_emit() does): %s / %s. The same copy as a loop of stores costs %s / %s times reserve + fill.\n",
			fmt(eo / co, 2), fmt(ea / ca, 2), fmt(lo, 2), fmt(la, 2)
		printf "- trace_printk() ÷ hwstats_emit(): %s on one CPU, %s on all (target ≥ 10: %s); by best batches %s / %s.\n",
			fmt(po / eo, 1), fmt(pa / ea, 1), verdict(po / eo >= 10 && pa / ea >= 10),
			fmt(ratio(stat("best", "printk", "one"), stat("best", "emit", "one")), 1),
			fmt(ratio(stat("best", "printk", "all"), stat("best", "emit", "all")), 1)
		bo = stat("vs", "bpf", "one"); ba = stat("vs", "bpf", "all")
		if (bo != "")
			printf "- The BPF ring-buffer peer ÷ hwstats_emit(), turn by turn: %s on one CPU, %s on all.\n",
				fmt(bo / stat("vs", "bpf:emit", "one"), 2), fmt(ba / stat("vs", "bpf:emit", "all"), 2)
	}' "$R/emit-emit.txt"
}

tput_table() {
	have emit-tput.txt || return
	awk "$AWKLIB"'
	/ drain total / {
		r = kv("round"); hd[r] = kv("delivered"); hw[r] = kv("written"); hl[r] = kv("lost"); ht[r] = kv("wall")
		hrate = hrate " " kv("delivered") / kv("total") * 1e6; hlost += kv("lost"); hdel += kv("delivered")
	}
	/ bpf ring=/ {
		brate = brate " " kv("delivered") / kv("total") * 1e6; blost += kv("dropped"); bdel += kv("delivered")
		bbad += kv("bad")
	}
	/ producer=hwstats / { r = kv("round"); hp[r] += kv("batch_med") / kv("batch"); hn[r]++ }
	/ producer=bpf / { r = kv("round"); bp[r] += kv("batch_med") / kv("batch"); bn[r]++ }
	END {
		for (r in hp) hpl = hpl " " hp[r] / hn[r]
		for (r in bp) bpl = bpl " " bp[r] / bn[r]
		print "| every CPU emits flat out while user space drains (all rounds) | delivered | lost | delivered, k records/s | producer, ns/record each (median batch) |"
		print "|---|---:|---:|---:|---:|"
		printf "| hwstats: relay channel per CPU, read() by a thread per CPU | %d | %d | %s | %s |\n", hdel, hlost, fmt(median(hrate), 0), fmt(median(hpl), 0)
		printf "| BPF ring buffer (one, shared), ring_buffer__poll() | %d | %d | %s | %s |\n", bdel, blost, fmt(median(brate), 0), fmt(median(bpl), 0)
		print ""
		printf "- Throughput, hwstats ÷ BPF ring buffer: %s (records delivered per second from the start until the last was read, medians of the rounds); records malformed in the BPF ring: %d.\n",
			fmt(median(hrate) / median(brate), 2), bbad
	}' "$R/emit-tput.txt"
}

# ---- 6: snapshot transports ------------------------------------------------------
snap_table() {
	have emit-snap.txt || return
	local emit_ns
	emit_ns=$(awk "$AWKLIB"'$2 == "emit" && $3 == "one" { l = l " " kv("batch_med") / kv("batch") } END { print median(l) }' "$R/emit-emit.txt" 2>/dev/null)
	awk -v emit_ns="$emit_ns" "$AWKLIB"'
	{ k = kv("method") SUBSEP kv("bytes"); l[k] = l[k] " " kv("median_ns"); sizes[kv("bytes")] = 1 }
	END {
		n = 0
		for (s in sizes) { n++; sz[n] = s + 0 }
		if (n == 2 && sz[1] > sz[2]) { t = sz[1]; sz[1] = sz[2]; sz[2] = t }
		name["ioctl"] = "HWSTATS_IOC_SNAPSHOT: one ioctl"
		name["seqfile"] = "debugfs seq_file: open, read() to EOF (a page per read), close"
		name["genl"] = "generic netlink dump: request, recv() to NLMSG_DONE"
		name["relay"] = "relay stream: hwstats_emit() of the values as records, FLUSH, read()"
		printf "| transport | %s KiB, µs | ÷ ioctl | %s KiB, µs | ÷ ioctl |\n", sz[1] / 1024, sz[2] / 1024
		print "|---|---:|---:|---:|---:|"
		split("ioctl seqfile genl relay", order, " ")
		for (i = 1; i <= 4; i++) {
			m = order[i]
			a = median(l[m SUBSEP sz[1]]); b = median(l[m SUBSEP sz[2]])
			printf "| %s | %s | %s | %s | %s |\n", name[m], fmt(a / 1000, 0), fmt(ratio(a, median(l["ioctl" SUBSEP sz[1]])), 2),
				fmt(b / 1000, 0), fmt(ratio(b, median(l["ioctl" SUBSEP sz[2]])), 2)
		}
		if (emit_ns != "")
			printf "| relay stream, kernel side only: the same bytes as %d and %d records of 4 counters, at hwstats_emit()'"'"'s %s ns per record (table 1, one CPU, median batch) | %s | %s | %s | %s |\n",
				sz[1] / 64, sz[2] / 64, fmt(emit_ns, 0),
				fmt(emit_ns * sz[1] / 64 / 1000, 0), fmt(ratio(emit_ns * sz[1] / 64, median(l["ioctl" SUBSEP sz[1]])), 2),
				fmt(emit_ns * sz[2] / 64 / 1000, 0), fmt(ratio(emit_ns * sz[2] / 64, median(l["ioctl" SUBSEP sz[2]])), 2)
	}' "$R/emit-snap.txt"
}

# ---- 5: sustained rate -------------------------------------------------------------
rate_table() {
	have rate-rate.txt || {
		echo "No rate results (the guest part did not run)."
		return
	}
	local ncpu
	ncpu=$(grep -o 'cpus=[0-9]*' "$R/rate-guest.txt" 2>/dev/null | cut -d= -f2)
	awk -v ncpu="${ncpu:-2}" "$AWKLIB"'
	/^sim-burst session wall=/ { bwall = kv("wall") }
	/^sim-burst produced=/ { bprod = kv("produced") }
	/^sim-timer / { trate = kv("rate"); tsec = kv("seconds"); tprod = kv("produced"); tlost = kv("lost"); tst = kv("status") }
	/^flat / { fl = fl " " kv("n") / kv("wall") * 1e9 }
	/^probe / {
		g = kv("geom")
		plist[g] = plist[g] (plist[g] == "" ? "" : ", ") kv("rate") "/s " kv("seconds") " s: " \
			(kv("status") + 0 != 0 ? "recorder exit " kv("status") : kv("lost") + 0 > 0 ? kv("lost") " lost" : \
			 kv("wall") + 0 > kv("seconds") * 1.1e9 ? "rate not held" : "ok")
		if (kv("status") + 0 == 0 && kv("lost") + 0 == 0 && kv("wall") + 0 <= kv("seconds") * 1.1e9)
			next
		if (!(g in firstbad)) {
			e = $0; sub(/.*err="/, "", e); sub(/"$/, "", e)
			firstbad[g] = sprintf("%d/s: %s", kv("rate"), kv("status") + 0 != 0 ? "recorder exit " kv("status") (e != "" ? " (" e ")" : "") : kv("lost") + 0 > 0 ? kv("lost") " records lost" : "rate not held")
		}
	}
	/^result / { res[kv("geom")] = kv("rate"); conf = kv("confirm_s") }
	END {
		flat = 0; n = split(fl, a, " "); for (i = 1; i <= n; i++) flat += a[i]; flat = n ? flat / n : 0
		burst = bwall ? bprod / (bwall / 1e9) / ncpu : 0
		print "| producer, capture | records/s per CPU | ÷ bench_sim flat out | ÷ hwstats_sim burst |"
		print "|---|---:|---:|---:|"
		printf "| hwstats_sim burst=1, emit only (overwrite session, no reader) | %.0f | %s | 1 |\n", burst, fmt(ratio(burst, flat), 2)
		printf "| bench_sim paced producer, flat out, emit only | %.0f | 1 | %s |\n", flat, fmt(ratio(flat, burst), 2)
		if (tsec)
			printf "| hwstats_sim rate=%d (hrtimer), captured: reached, lost %d, recorder exit %d | %.0f | %s | %s |\n",
				trate, tlost, tst, tprod / tsec / ncpu, fmt(ratio(tprod / tsec / ncpu, flat), 3), fmt(ratio(tprod / tsec / ncpu, burst), 3)
		ng = split("base default n8 fixed", gs, " ")
		gname["base"] = "the earlier recorder (/extra/hwstats-record.base), its defaults"
		gname["default"] = "default buffers, 32 x 256 KiB per CPU"
		gname["n8"] = "8 x 256 KiB per CPU (-n 8)"
		gname["fixed"] = "default buffers, level held at 3 (--fixed-level)"
		for (i = 1; i <= ng; i++) {
			g = gs[i]
			if (!(g in res)) continue
			printf "| **highest lossless rate, %s**, %d s capture | %d | %s | %s |\n", gname[g], conf, res[g],
				fmt(ratio(res[g], flat), 3), fmt(ratio(res[g], burst), 3)
		}
		print ""
		for (i = 1; i <= ng; i++) {
			g = gs[i]
			if (g in plist)
				printf "- %s, the captures in order: %s.\n", gname[g], plist[g]
			if (g in firstbad)
				printf "- %s: the first capture that failed was at %s.\n", gname[g], firstbad[g]
		}
	}' "$R/rate-rate.txt"
}

# ---- 2: drain and compress ------------------------------------------------------------
drain_table() {
	have drain.txt || {
		echo "No drain results."
		return
	}
	local raw samples
	raw=$(grep -o ' bytes=[0-9]*' "$R/drain-gen.txt" | cut -d= -f2)
	samples=$(grep -o ' records=[0-9]*' "$R/drain-gen.txt" | cut -d= -f2)
	awk -v raw="$raw" -v samples="$samples" "$AWKLIB"'
	{
		t = kv("tool"); split(kv("time"), x, ",")
		if (!(t in best) || x[1] + 0 < best[t]) { best[t] = x[1] + 0; cpu[t] = x[2] + x[3]; out[t] = kv("out") }
	}
	END {
		name["hwstats"] = "**hwstats-record pipeline** (read, check, libhws writer, zstd level 3)"
		name["zstd-1"] = "zstd -1"
		name["zstd-3"] = "zstd -3"
		name["cat"] = "cat (the copy limit)"
		print "| 2 CPUs, a thread or process each | wall s (best) | CPU s | M records/s | MB/s of raw records | bytes out | raw ÷ out |"
		print "|---|---:|---:|---:|---:|---:|---:|"
		split("hwstats zstd-1 zstd-3 cat", order, " ")
		for (i = 1; i <= 4; i++) {
			t = order[i]
			if (!(t in best)) continue
			printf "| %s | %.2f | %.2f | %.2f | %.0f | %d | %.1f |\n", name[t], best[t], cpu[t],
				samples / best[t] / 1e6, raw / best[t] / 1e6, out[t], raw / out[t]
		}
		sp = best["zstd-1"] / best["hwstats"]; sc = cpu["zstd-1"] / cpu["hwstats"]
		cr = out["zstd-1"] / out["hwstats"]
		print ""
		printf "- Speed, hwstats ÷ zstd -1: %.2f by wall time, %.2f by CPU time (target ≥ 0.8: %s by wall time, %s by CPU time). Compression, hwstats ÷ zstd -1: %.2f times smaller (target ≥ 2: %s).\n",
			sp, sc, verdict(sp >= 0.8), verdict(sc >= 0.8), cr, verdict(cr >= 2)
		printf "- Input: %d records (80 bytes, the simulated device at 10000/s per CPU) and their sub-buffer headers, %.0f MB, in the page cache; speed of cat ÷ hwstats: %.1f.\n",
			samples, raw / 1e6, best["hwstats"] / best["cat"]
	}' "$R/drain.txt"
}

# ---- 3: size --------------------------------------------------------------------------
size_table() {
	have size.txt || {
		echo "No size results."
		return
	}
	awk "$AWKLIB"'
	BEGIN {
		print "| device rate per CPU | raw, B/record | **.hws**, B/record | zstd -3 | zstd -19 | xz -6 | entropy floor | .hws ÷ floor | .hws, B per counter sample | zstd -3 ÷ .hws | live file (1-s chunks) ÷ floor |"
		print "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	}
	/^chunklen / {
		if (kv("kind") == "busy")
			clb[kv("chunk_s")] = kv("hws") / kv("counter_samples")
		else
			clg[kv("chunk_s")] = kv("hws") * 8 / (kv("records") * kv("floor_bits_per_record"))
		next
	}
	/^netdev / {
		# the finished file (final=, compacted) where measured, else the live one
		ndl[kv("kind")] = kv("hws") / kv("counter_samples")
		nd[kv("kind")] = (kv("final") != "" ? kv("final") : kv("hws")) / kv("counter_samples"); ndz[kv("kind")] = kv("zstd3") / kv("counter_samples")
		ndr[kv("kind")] = (kv("final") != "" ? kv("final") : kv("hws")) / kv("samples"); ndp = kv("period_ns") / 1e6; nds = kv("samples"); ndc = kv("counters")
		next
	}
	/^size / {
		n = kv("records"); fl = kv("floor_bits_per_record") / 8
		h = (kv("final") != "" ? kv("final") : kv("hws")) / n; hl = kv("hws") / n
		printf "| %d/s | %.1f | %.2f | %.2f | %s | %s | %.2f | %.2f | %.2f | %.1f | %.2f |\n", kv("rate"), kv("bytes") / n, h,
			kv("zstd3") / n, kv("zstd19") == "" ? "" : fmt(kv("zstd19") / n, 2), kv("xz6") == "" ? "" : fmt(kv("xz6") / n, 2),
			fl, h / fl, h / kv("values"), kv("zstd3") / (h * n), hl / fl
		if (kv("rate") == 100) live100 = hl / fl
		if (kv("compact_seconds") != "") ct[kv("rate")] = kv("compact_seconds")
		if (kv("zstd19") != "") { z19 = kv("zstd19") / n; x6 = kv("xz6") / n }
		if (kv("rate") == 1000) { main = h / fl; fl1 = fl }
		if (kv("rate") == 100) worst100 = h / fl
		worst = h / fl > worst ? h / fl : worst
		jit = kv("jitter_ns"); vals = kv("values")
	}
	END {
		print ""
		printf "- At 1000 records/s per CPU the file is %.2f times the entropy floor (target ≤ 1.15: %s); the worst of the three rates: %.2f (target at 100/s ≤ 1.3: %s). zstd -19 of the raw records is %.2f times the floor, xz -6 %.2f (measured at 1000/s only).\n", main, verdict(main <= 1.15), worst, verdict(worst <= 1.3), z19 / fl1, x6 / fl1
		print "- .hws is the finished file, as hwstats-record leaves it: compacted into chunks of up to 1 MiB or 64 s when its chunks are small (docs/design.md, \"Compaction\"); the last column is the live file, in the 1-s chunks a crash would leave."
		if ((100 in ct) && (1000 in ct))
			printf "- Compaction (decode, re-encode, read back and compare, fsync, rename) of the file of 100000 records took %.2f s at 100/s and %.2f s at 1000/s on one thread; at 10000/s the chunks already average more than 256 KiB and the file is left as it is (%.3f s: the footer read).\n", ct[100], ct[1000], ct[10000]
		printf "- The floor per record: 3 counters × 8 bits + 2 gauges × log2(200) bits + the timestamp'"'"'s jitter, log2(%d) bits = %.2f bytes; the ticks counter and seq follow from the record count, the sub-buffer headers from the records. Every size counts the whole stream: records, sub-buffer headers, and for .hws the file header, chunk headers, index and footer.\n", jit, (24 + 2 * log(200) / log(2) + log(jit) / log(2)) / 8
		if (("idle" in nd) && ("busy" in nd)) {
			print ""
			print "| netdev source (" ndc " counters, a sample every " ndp " ms, " nds " samples) | **.hws**, B per counter sample | .hws, B per sample | zstd -3, B per counter sample | Prometheus TSDB | Netdata (dbengine) |"
			print "|---|---:|---:|---:|---:|---:|"
			printf "| idle interface | %.3f | %.2f | %.3f | 1–2 | 0.6 |\n", nd["idle"], ndr["idle"], ndz["idle"]
			printf "| busy interface | %.3f | %.2f | %.3f | 1–2 | 0.6 |\n", nd["busy"], ndr["busy"], ndz["busy"]
			print ""
			printf "- Bytes per counter sample (target ≤ 0.3), of the finished file: idle %.3f (%s), busy %.3f (%s); of the live file (1-s chunks): idle %.3f, busy %.3f. Prometheus and Netdata: their published figures, not measured here.\n", nd["idle"], verdict(nd["idle"] <= 0.3), nd["busy"], verdict(nd["busy"] <= 0.3), ndl["idle"], ndl["busy"]
		}
		if ((2 in clg) && (2 in clb) && ("busy" in nd)) {
			print ""
			print "| chunk length (hwsb-replay -F; the recorder cuts at 1 s) | 100/s: .hws ÷ floor | busy interface: .hws, B per counter sample |"
			print "|---:|---:|---:|"
			printf "| 1 s | %.2f | %.3f |\n", live100, ndl["busy"]
			for (c = 2; c <= 10; c++)
				if (c in clg)
					printf "| %d s | %.2f | %.3f |\n", c, clg[c], clb[c]
			printf "| finished file: compacted, up to 1 MiB or 64 s | %.2f | %.3f |\n", worst100, nd["busy"]
			print ""
			print "- The same streams in longer chunks: what the one-second chunk of the live file costs at low rates (a chunk is what a crash loses; part 3 above), and what the compaction of the finished file gains back."
		}
	}' "$R/size.txt"
}

# ---- 4: the analyzer ---------------------------------------------------------------------
report_table() {
	have report.txt || {
		echo "No analyzer results."
		return
	}
	awk "$AWKLIB"'
	/^file / { recs = kv("records"); bytes = kv("bytes"); rb = kv("raw_bytes"); zs = kv("zst_bytes"); ncpu = kv("cpus"); recs0 = kv("cpu0_records"); next }
	/^load / { load[kv("at")] = kv("avg"); next }
	{
		t = kv("tool") (kv("threads") != "" ? "-" kv("threads") : ""); split(kv("time"), x, ",")
		if (!(t in best) || x[1] < best[t]) { best[t] = x[1]; cpu[t] = x[2] + x[3] }
		if (x[4] + 0 > rss[t]) rss[t] = x[4] + 0
	}
	END {
		name["summary-1"] = "`hwstats-report FILE` (summary), one thread"
		name["summary-2"] = "`hwstats-report FILE` (summary), two threads"
		name["interval-1"] = "`hwstats-report -i 1s FILE`, one thread"
		name["interval-2"] = "`hwstats-report -i 1s FILE`, two threads"
		name["summary-onecpu-2"] = "`hwstats-report FILE` (summary), two threads on one CPU"
		name["zstd-dc"] = "`zstd -dc RAW.zst` (the same records as one zstd -3 stream)"
		name["percpu-one"] = "ceiling: `hwstats-report` of one CPU'"'"'s records (a file of their own), one thread"
		name["percpu-pair"] = "ceiling: each CPU'"'"'s file by a process of its own, both at once"
		print "| reading 2 CPUs'"'"' records | wall s (best) | CPU s | M records/s | peak RSS, MiB | rate ÷ zstd -dc | rate ÷ one thread |"
		print "|---|---:|---:|---:|---:|---:|---:|"
		split("summary-1 summary-2 interval-1 interval-2 summary-onecpu-2 zstd-dc percpu-one percpu-pair", order, " ")
		for (i = 1; i <= 8; i++) {
			t = order[i]
			if (!(t in best)) continue
			one = t ~ /^summary/ || t == "percpu-pair" ? "summary-1" : t ~ /^interval/ ? "interval-1" : ""
			n = t == "percpu-one" ? recs0 : recs
			printf "| %s | %.3f | %.3f | %.2f | %.1f | %s | %s |\n", name[t], best[t], cpu[t], n / best[t] / 1e6, rss[t] / 1024,
				t == "percpu-one" ? "" : fmt(ratio(best["zstd-dc"], best[t]), 2), one == "" ? "" : fmt(ratio(best[one], best[t]), 2)
		}
		s2 = ratio(best["summary-1"], best["summary-2"])
		print ""
		printf "- Two threads ÷ one, by rate: %s for the summary, %s for `-i 1s` (target ≥ 1.8 on two CPUs: %s; %d CPUs online, load average %s at the start, %s at the end: above 0.5 or so, the threads wait for CPUs and wall times say little). The report ÷ `zstd -dc` of the raw records, by rate: %s on one thread, %s on two (above 1: faster than only decompressing the records).\n", fmt(s2, 2), fmt(ratio(best["interval-1"], best["interval-2"]), 2), s2 == "" ? "n/a" : verdict(s2 >= 1.8), ncpu, load["start"], load["end"], fmt(ratio(best["zstd-dc"], best["summary-1"]), 2), fmt(ratio(best["zstd-dc"], best["summary-2"]), 2)
		if ("percpu-pair" in best)
			printf "- The ceiling at this load: the two CPUs'"'"' records reported by two processes at once, nothing merged or shared, reach %s times the one-thread rate (%s CPU s against %s for one thread on the merged file, %s for one CPU'"'"'s half alone): what any split of the work by CPU could reach on this machine at that moment; the two-thread ratio above is to be read against it.\n", fmt(ratio(best["summary-1"], best["percpu-pair"]), 2), fmt(cpu["percpu-pair"], 3), fmt(cpu["summary-1"], 3), fmt(cpu["percpu-one"], 3)
		printf "- The file: %d records, %.1f MB; the raw records are %.1f MB, %.1f MB as a zstd -3 stream. `zstd -dc` only decompresses them; the report decodes the chunks, checks them, merges both CPUs by time and analyses every record.\n", recs, bytes / 1e6, rb / 1e6, zs / 1e6
	}' "$R/report.txt"
}

cat <<EOF
### 1. Emit cost (guest)

$(emit_table)

### 2. Drain and compress (host)

$(drain_table)

### 3. Size against the entropy floor (host)

$(size_table)

### 4. The analyzer (host)

$(report_table)

### 5. Sustained rate without loss (guest)

$(rate_table)

### 6. Snapshot transports and the relay stream (guest)

$(snap_table)

### 7. The BPF ring-buffer peer (guest)

The cost per record with no reader is in table 1 (last row); here every CPU
emits flat out while user space drains:

$(tput_table)
EOF
if have format.txt; then
	printf '\n### bench/format: the format microbenchmark (host)\n\n```\n'
	cat "$R/format.txt"
	printf '```\n'
fi
if have parts.txt; then
	printf '\nTime per part: %s.\n' "$(awk "$AWKLIB"'{ n = $0; sub(/ seconds=.*/, "", n)
		printf "%s%s %d s", (NR > 1 ? ", " : ""), n, kv("seconds") }' "$R/parts.txt")"
fi
