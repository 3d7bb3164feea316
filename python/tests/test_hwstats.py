"""The Python reader against hwstats-report, value for value.

For every trace given (default: the golden files that have records), the
samples read by hwstats.open() must equal hwstats-report --dump's sample
lines (time, CPU, source, seq and every counter value), and the loss and
damage it exposes must equal what hwstats-report --json reports: kernel
drops per CPU, sample and sub-buffer sequence gaps, damaged regions.

Environment: HWSTATS_LIBHWS (libhws.so.1), HWSTATS_REPORT (the tool),
HWSTATS_TRACES (space-separated .hws paths, optional).
"""
import glob
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import hwstats  # noqa: E402

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
REPORT = os.environ.get("HWSTATS_REPORT",
                        os.path.join(TOP, "build/host/bin/hwstats-report"))


def traces():
    """The given (or golden) traces that hwstats-report reads samples from."""
    env = os.environ.get("HWSTATS_TRACES")
    cand = env.split() if env else sorted(
        glob.glob(os.path.join(TOP, "tests/golden/hws/*.hws")))
    out = []
    for p in cand:
        r = subprocess.run([REPORT, "--json", p], capture_output=True, text=True)
        if r.returncode in (0, 3, 4) and r.stdout:
            if json.loads(r.stdout)["totals"]["samples"]:
                out.append(p)
    return out


def report_dump(path):
    r = subprocess.run([REPORT, "--dump", path], capture_output=True, text=True)
    samples = []
    for line in r.stdout.splitlines():
        f = line.split()
        if len(f) < 5 or f[2] != "SAMPLE":
            continue
        vals = dict(kv.split("=", 1) for kv in f[5:])
        samples.append((f[0], int(f[1]), f[3], int(f[4].split("=")[1]),
                        vals))
    return samples


class AgainstReport(unittest.TestCase):
    def test_traces_found(self):
        self.assertGreaterEqual(len(traces()), 3)

    def test_samples_equal_report_dump(self):
        for path in traces():
            with self.subTest(trace=os.path.basename(path)):
                t = hwstats.open(path)
                start = t.header["start_boot_ns"]
                ours = []
                for src in t.sources:
                    a = t.arrays(src)
                    names = [c[0] for c in t.counters(src)]
                    for i in range(len(a["ts"])):
                        rel = int(a["ts"][i]) - start
                        ts = "%d.%09d" % (rel // 10**9, rel % 10**9)
                        vals = {n: str(int(v)) for n, v in
                                zip(names, a["values"][i])}
                        ours.append((ts, int(a["cpu"][i]), src,
                                     int(a["seq"][i]), vals))
                theirs = report_dump(path)
                self.assertGreater(len(theirs), 0)
                key = lambda s: (s[0], s[1], s[2], s[3])  # noqa: E731
                self.assertEqual(sorted(ours, key=key), sorted(theirs, key=key))

    def test_loss_and_damage_equal_report(self):
        for path in traces():
            with self.subTest(trace=os.path.basename(path)):
                t = hwstats.open(path)
                r = subprocess.run([REPORT, "--json", path],
                                   capture_output=True, text=True)
                rep = json.loads(r.stdout)
                loss = rep["loss"]
                self.assertEqual({str(k): v for k, v in t.lost.items() if v},
                                 {k: v for k, v in loss["lost_per_cpu"].items() if v})
                g = t.gaps
                samp = g[g["source"].notna()]
                sub = g[g["source"].isna()]
                self.assertEqual(len(samp), loss["sample_gaps"])
                self.assertEqual(int(samp["count"].sum()), loss["sample_gap_records"])
                self.assertEqual(len(sub), loss["subbuf_gaps"])
                self.assertEqual(t.history_cut,
                                 loss.get("rotated_out_records", 0) +
                                 loss.get("overwritten_records", 0))
                self.assertEqual(
                    sorted((d["kind"], d["offset"], d["length"]) for d in rep["damage"]),
                    sorted(zip(t.damage["kind"], t.damage["offset"].astype(int),
                               t.damage["length"].astype(int))))

    def test_damaged_file_damage_is_data(self):
        path = os.path.join(TOP, "tests/golden/hws/flipped-bit-in-chunk-data.hws")
        t = hwstats.open(path)
        self.assertEqual(list(t.damage["kind"]), ["checksum"])
        self.assertGreater(len(t.gaps), 0)

    def test_some_trace_starts_late(self):
        """The traces given include a flight recorder's lapped dump (the
        ecosystem test passes one): its kept history starts late, and
        that is exposed as history_cut, not as gaps."""
        if not os.environ.get("HWSTATS_TRACES"):
            self.skipTest("no VM traces given")
        self.assertTrue(any(hwstats.open(p).history_cut > 0
                            for p in traces()))

    def test_not_a_trace_is_an_error(self):
        with self.assertRaises(hwstats.HwsError) as cm:
            hwstats.open(os.path.join(TOP, "tests/golden/hws/not-hws.txt"))
        self.assertIn("not-hws.txt", str(cm.exception))

    def test_frame_has_wall_clock_and_counters(self):
        t = hwstats.open(os.path.join(TOP, "tests/golden/hws/intact.hws"))
        df = t.frame("dev0")
        self.assertEqual(list(df.columns[:4]), ["time", "ts_ns", "cpu", "seq"])
        self.assertEqual(str(df["time"].iloc[0]),
                         "2023-11-14 22:13:20.000000050+00:00")
        self.assertEqual(int(df["counter_0"].iloc[0]), 954604018140)


if __name__ == "__main__":
    unittest.main(verbosity=2)
