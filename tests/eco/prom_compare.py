#!/usr/bin/env python3
"""Compare a Prometheus scrape with hwstats-stat --json of the same snapshot.

Usage: prom_compare.py STAT_JSON SCRAPE_TEXT

Every counter of every source in the JSON must appear in the scrape, under
the family that hwsprom.h's naming rules give it, with the source label
and the same value; the textfile collector must report no error. Prints
one line per check that fails and a summary; exit 0 only if all match.
"""
import json
import re
import sys


def family(name, kind):
    f = "hwstats_" + re.sub(r"[^a-zA-Z0-9_:]", "_", name)
    if kind == "counter":
        return f + "_total"
    return f + "_gauge" if f.endswith("_total") else f


def parse_scrape(text):
    series = {}
    line_re = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)')
    label_re = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = line_re.match(line)
        if not m:
            raise SystemExit("unparsable scrape line: " + line)
        labels = tuple(sorted(label_re.findall(m.group(3) or "")))
        series[(m.group(1), labels)] = float(m.group(4))
    return series


def main():
    stat = json.load(open(sys.argv[1]))
    scrape = parse_scrape(open(sys.argv[2]).read())
    bad = 0
    checked = 0
    for src in stat["sources"]:
        for c in src["counters"]:
            fam = family(c["name"], c["kind"])
            key = (fam, (("source", src["name"]),))
            got = scrape.get(key)
            if got is None:
                key2 = (fam, tuple(sorted((("source", src["name"]),
                                           ("counter", c["name"])))))
                got = scrape.get(key2)
            checked += 1
            if got is None:
                print(f"missing: {fam}{{source=\"{src['name']}\"}}")
                bad += 1
            elif got != float(c["value"]):
                print(f"differs: {fam}{{source=\"{src['name']}\"}}: "
                      f"scraped {got}, snapshot {c['value']}")
                bad += 1
        upd = scrape.get(("hwstats_source_updates",
                          (("source", src["name"]),)))
        checked += 1
        if upd != float(src["seq"]):
            print(f"differs: hwstats_source_updates of {src['name']}: "
                  f"scraped {upd}, snapshot {src['seq']}")
            bad += 1
    err = scrape.get(("node_textfile_scrape_error", ()))
    if err != 0.0:
        print(f"node_textfile_scrape_error is {err}, not 0")
        bad += 1
    if checked == 0:
        print("the snapshot holds no counter: nothing was compared")
        bad += 1
    print(f"prometheus: {checked - bad} of {checked} snapshot values "
          f"scraped equal")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
