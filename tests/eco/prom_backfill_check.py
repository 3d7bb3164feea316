#!/usr/bin/env python3
"""PromQL over a backfilled capture against hwstats-report's figures.

Usage: prom_backfill_check.py URL REPORT_PER_CPU.json REPORT_SUM.json

For every counter, per CPU (report --per-cpu) and summed over CPUs
(report without it): increase() over exactly the series' first to last
sample equals the report's increase. For every gauge, per CPU:
avg_over_time() over the same range equals the report's mean (which the
report rounds to 3 decimals). Ranges start and end on samples, so
Prometheus' extrapolation does not apply. Prints each mismatch and a
summary; exit 0 only if everything matched and something was checked.
"""
import json
import re
import sys
import urllib.parse
import urllib.request


def family(name, kind, renamed):
    f = "hwstats_" + re.sub(r"[^a-zA-Z0-9_:]", "_", name)
    if kind == "counter":
        return f + "_total"
    return f + "_gauge" if renamed else f


def query(url, q, t):
    u = url + "/api/v1/query?" + urllib.parse.urlencode({"query": q, "time": t})
    with urllib.request.urlopen(u, timeout=30) as r:
        d = json.load(r)
    if d.get("status") != "success":
        raise SystemExit(f"query failed: {q}: {d}")
    return d["data"]["result"]


def ms(rep, ns):
    """Report times are ns from the session start; Prometheus has wall ms."""
    return (ns + rep["trace"]["start_real_ns"]) // 1000000


def tstr(m):
    return "%d.%03d" % (m // 1000, m % 1000)


def main():
    url, per_cpu_path, sum_path = sys.argv[1:4]
    per_cpu = json.load(open(per_cpu_path))
    summed = json.load(open(sum_path))
    counters = {(e["source"], e["counter"]) for e in per_cpu["summary"]
                if e["kind"] == "counter"}
    names_c = {c for _, c in counters}
    checked = bad = 0
    shown = 0

    def compare(what, got, want, tol):
        nonlocal checked, bad, shown
        if not checked:
            print(f"e.g. {what} = {got} (report: {want})")
        checked += 1
        if got is None or abs(got - want) > tol:
            bad += 1
            if shown < 20:
                print(f"differs: {what}: PromQL {got}, report {want}")
                shown += 1

    def one(q, t):
        res = query(url, q, t)
        return float(res[0]["value"][1]) if len(res) == 1 else None

    for e in per_cpu["summary"]:
        renamed = e["kind"] == "gauge" and (
            e["counter"].endswith("_total") or e["counter"] in names_c)
        fam = family(e["counter"], e["kind"], renamed)
        for c in e.get("cpus", []):
            if not c["samples"]:
                continue
            sel = '%s{source="%s",cpu="%d"}' % (fam, e["source"], c["cpu"])
            first, last = ms(per_cpu, c["first_ns"]), ms(per_cpu, c["last_ns"])
            rng = max(last - first, 1)
            if e["kind"] == "counter":
                if last == first:
                    continue
                compare(f"increase({sel}[{rng}ms])",
                        one(f"increase({sel}[{rng}ms])", tstr(last)),
                        c["increase"], 1e-6 * max(1, c["increase"]))
            else:
                compare(f"avg_over_time({sel}[{rng}ms])",
                        one(f"avg_over_time({sel}[{rng}ms])", tstr(last)),
                        c["mean"], 0.0006 + 1e-9 * abs(c["mean"]))
    for e in summed["summary"]:
        if e["kind"] != "counter" or not e["samples"]:
            continue
        sel = '%s{source="%s",cpu=""}' % (family(e["counter"], "counter", False),
                                          e["source"])
        first, last = ms(summed, e["first_ns"]), ms(summed, e["last_ns"])
        if last == first:
            continue
        rng = last - first
        compare(f"increase({sel}[{rng}ms])",
                one(f"increase({sel}[{rng}ms])", tstr(last)),
                e["increase"], 1e-6 * max(1, e["increase"]))
    if not checked:
        print("nothing was compared")
        return 1
    print(f"prometheus-backfill: {checked - bad} of {checked} PromQL answers "
          f"equal the report's figures")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
