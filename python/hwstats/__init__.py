"""Read hwstats .hws trace files into numpy arrays and pandas DataFrames.

A thin ctypes layer over libhws.so (the project's one reader of .hws
files), so Python reads files exactly as hwstats-report does: the same
damage recovery, the same late-source schemas, the same footer totals.

    import hwstats
    with hwstats.open("run.hws") as t:          # or a list of a rotated set
        df = t.frame("net:eth0")                 # one row per sample
        t.loss                                   # kernel drops, per CPU, with times
        t.damage                                 # damaged regions skipped

Loss and damage are data (DataFrames), never only a warning: a sample
table without them would look complete when it is not.

libhws.so is looked up as HWSTATS_LIBHWS (a path) if set, then as the
system's libhws.so.1.
"""
import ctypes
import ctypes.util
import os

import numpy as np

__all__ = ["open", "Trace", "HwsError"]

NAME_LEN = 32
UNIT_LEN = 16
KIND_COUNTER = 0
KIND_GAUGE = 1
REC_SUBBUF = 1
REC_SAMPLE = 2
REC_HDR = 16          # struct hwstats_rec
SAMPLE_HDR = 32       # struct hwstats_sample before its values
DAMAGE_KINDS = {1: "truncated", 2: "checksum", 3: "corrupt", 4: "no_footer"}


class HwsError(OSError):
    """A file libhws cannot open or read; errno and filename are set."""


class _Counter(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char * NAME_LEN),
                ("unit", ctypes.c_char * UNIT_LEN),
                ("kind", ctypes.c_uint32)]


class _Source(ctypes.Structure):
    _fields_ = [("id", ctypes.c_uint32),
                ("nr_counters", ctypes.c_uint32),
                ("name", ctypes.c_char * NAME_LEN),
                ("counters", ctypes.POINTER(_Counter))]


class _Header(ctypes.Structure):
    _fields_ = [("format_major", ctypes.c_uint32),
                ("format_minor", ctypes.c_uint32),
                ("host", ctypes.c_char * 64),
                ("kernel", ctypes.c_char * 64),
                ("module_version", ctypes.c_char * 32),
                ("clock", ctypes.c_uint32),
                ("nr_cpus", ctypes.c_uint32),
                ("subbuf_size", ctypes.c_uint32),
                ("n_subbufs", ctypes.c_uint32),
                ("session_flags", ctypes.c_uint32),
                ("session_id", ctypes.c_uint64),
                ("period_ns", ctypes.c_uint64),
                ("start_boot_ns", ctypes.c_uint64),
                ("start_real_ns", ctypes.c_uint64),
                ("nr_sources", ctypes.c_uint32),
                ("sources", ctypes.POINTER(_Source))]


class _ChunkInfo(ctypes.Structure):
    _fields_ = [("cpu", ctypes.c_uint32),
                ("nr_records", ctypes.c_uint32),
                ("first_ts", ctypes.c_uint64),
                ("last_ts", ctypes.c_uint64),
                ("lost", ctypes.c_uint64),
                ("seq_first", ctypes.c_uint64),
                ("seq_last", ctypes.c_uint64),
                ("file_offset", ctypes.c_uint64),
                ("flags", ctypes.c_uint32)]


class _Totals(ctypes.Structure):
    _fields_ = [("cpu", ctypes.c_uint32),
                ("flags", ctypes.c_uint32),
                ("records", ctypes.c_uint64),
                ("bytes", ctypes.c_uint64),
                ("lost", ctypes.c_uint64),
                ("subbufs", ctypes.c_uint64)]


class _Damage(ctypes.Structure):
    _fields_ = [("kind", ctypes.c_uint32),
                ("offset", ctypes.c_uint64),
                ("length", ctypes.c_uint64),
                ("what", ctypes.c_char * 128)]


def _load():
    path = os.environ.get("HWSTATS_LIBHWS") or ctypes.util.find_library("hws")
    if not path:
        path = "libhws.so.1"
    lib = ctypes.CDLL(path, use_errno=True)
    lib.hws_reader_open.restype = ctypes.c_void_p
    lib.hws_reader_open.argtypes = [ctypes.c_char_p]
    lib.hws_reader_close.argtypes = [ctypes.c_void_p]
    lib.hws_reader_header.restype = ctypes.POINTER(_Header)
    lib.hws_reader_header.argtypes = [ctypes.c_void_p]
    lib.hws_reader_next_chunk.argtypes = [
        ctypes.c_void_p, ctypes.POINTER(_ChunkInfo),
        ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_size_t)]
    lib.hws_reader_totals.restype = ctypes.c_uint32
    lib.hws_reader_totals.argtypes = [ctypes.c_void_p,
                                      ctypes.POINTER(ctypes.POINTER(_Totals))]
    lib.hws_reader_damage.restype = ctypes.c_uint32
    lib.hws_reader_damage.argtypes = [ctypes.c_void_p,
                                      ctypes.POINTER(ctypes.POINTER(_Damage))]
    return lib


_lib = None


def _libhws():
    global _lib
    if _lib is None:
        _lib = _load()
    return _lib


def _s(b):
    return b.split(b"\0", 1)[0].decode("utf-8", "replace")


class _Schema:
    def __init__(self, src):
        self.id = src.id
        self.name = _s(src.name)
        self.counters = [_s(src.counters[k].name) for k in range(src.nr_counters)]
        self.units = [_s(src.counters[k].unit) for k in range(src.nr_counters)]
        self.kinds = ["gauge" if src.counters[k].kind == KIND_GAUGE else "counter"
                      for k in range(src.nr_counters)]

    def key(self):
        return (self.name, tuple(self.counters), tuple(self.kinds))


class Trace:
    """One .hws file, or several files of one session (a rotated set).

    Everything is read at construction: .sources, .header, .loss, .totals,
    .damage, and the samples behind frame() and arrays().
    """

    def __init__(self, paths):
        if isinstance(paths, (str, bytes, os.PathLike)):
            paths = [paths]
        self.paths = [os.fspath(p) for p in paths]
        if not self.paths:
            raise ValueError("no trace file given")
        self.header = {}
        self._schemas = {}     # (name, counters, kinds) -> _Schema
        self._rows = {}        # schema key -> {(file, cpu, seq): [ts, values]}
        self._order = []
        damage, totals, subbufs = [], [], []
        for fi, path in enumerate(self.paths):
            self._read_file(fi, path, damage, totals, subbufs)
        self.damage = _frame(damage, ["file", "kind", "offset", "length", "what"])
        self.totals = _frame(totals, ["file", "cpu", "records", "bytes",
                                      "lost", "subbufs"])
        self._subbufs = subbufs
        self.loss = self._loss(subbufs)
        self.history_cut = 0
        self.gaps = self._gaps()

    # -- reading -------------------------------------------------------
    def _read_file(self, fi, path, damage, totals, subbufs):
        lib = _libhws()
        r = lib.hws_reader_open(os.fsencode(path))
        if not r:
            err = ctypes.get_errno()
            raise HwsError(err, os.strerror(err), path)
        try:
            h = lib.hws_reader_header(r).contents
            info = _ChunkInfo()
            buf = ctypes.c_void_p()
            n = ctypes.c_size_t()
            while True:
                ret = lib.hws_reader_next_chunk(r, ctypes.byref(info),
                                                ctypes.byref(buf), ctypes.byref(n))
                if ret < 0:
                    raise HwsError(-ret, os.strerror(-ret), path)
                if ret == 0:
                    break
                data = ctypes.string_at(buf, n.value)
                # The header may have grown (source frames): look it up again.
                h = lib.hws_reader_header(r).contents
                self._chunk(fi, info.cpu, data, h, subbufs)
            h = lib.hws_reader_header(r).contents
            if fi == 0:
                self.header = {
                    "format": f"{h.format_major}.{h.format_minor}",
                    "host": _s(h.host), "kernel": _s(h.kernel),
                    "module_version": _s(h.module_version),
                    "nr_cpus": h.nr_cpus, "session_id": h.session_id,
                    "period_ns": h.period_ns, "start_boot_ns": h.start_boot_ns,
                    "start_real_ns": h.start_real_ns,
                }
            tp = ctypes.POINTER(_Totals)()
            for i in range(lib.hws_reader_totals(r, ctypes.byref(tp))):
                t = tp[i]
                totals.append((fi, t.cpu, t.records, t.bytes, t.lost, t.subbufs))
            dp = ctypes.POINTER(_Damage)()
            for i in range(lib.hws_reader_damage(r, ctypes.byref(dp))):
                d = dp[i]
                damage.append((fi, DAMAGE_KINDS.get(d.kind, str(d.kind)),
                               d.offset, d.length, _s(d.what)))
        finally:
            lib.hws_reader_close(r)

    def _schema(self, h, sid):
        for i in range(h.nr_sources):
            if h.sources[i].id == sid:
                s = _Schema(h.sources[i])
                return self._schemas.setdefault(s.key(), s)
        return None

    def _chunk(self, fi, cpu, data, h, subbufs):
        by_id = {}
        off = 0
        end = len(data)
        while end - off >= REC_HDR:
            rtype, rlen, src, ts = np.frombuffer(data, dtype="<u2", count=2,
                                                 offset=off).tolist() + \
                np.frombuffer(data, dtype="<u4", count=1, offset=off + 4).tolist() + \
                np.frombuffer(data, dtype="<u8", count=1, offset=off + 8).tolist()
            if rlen < REC_HDR or rlen > end - off:
                break
            if rtype == REC_SAMPLE and rlen >= SAMPLE_HDR:
                seq = int(np.frombuffer(data, "<u8", 1, off + 16)[0])
                first = int(np.frombuffer(data, "<u4", 1, off + 24)[0])
                vals = np.frombuffer(data, "<u8", (rlen - SAMPLE_HDR) // 8,
                                     off + SAMPLE_HDR)
                if src not in by_id:
                    by_id[src] = self._schema(h, src)
                sch = by_id[src]
                key = sch.key() if sch else ("#%d" % src, (), ())
                if sch is None and key not in self._schemas:
                    self._schemas[key] = None
                rows = self._rows.setdefault(key, {})
                row = rows.get((fi, cpu, src, seq))
                if row is None:
                    width = len(sch.counters) if sch else first + len(vals)
                    row = [ts, np.zeros(max(width, first + len(vals)), "<u8")]
                    rows[(fi, cpu, src, seq)] = row
                elif len(row[1]) < first + len(vals):
                    row[1] = np.concatenate(
                        [row[1], np.zeros(first + len(vals) - len(row[1]), "<u8")])
                row[1][first:first + len(vals)] = vals
            elif rtype == REC_SUBBUF and rlen >= 48:
                seq, lost = np.frombuffer(data, "<u8", 2, off + 24).tolist()
                subbufs.append((fi, cpu, ts, seq, lost))
            off += rlen

    # -- results -------------------------------------------------------
    @property
    def sources(self):
        """Source names, in the order first met; another schema under a
        name already used is named NAME#2, NAME#3, ... as hwstats-report
        names it."""
        return list(self._names().values())

    def _names(self):
        names, seen = {}, {}
        for key in self._schemas:
            if key not in self._rows:
                continue
            base = key[0]
            seen[base] = seen.get(base, 0) + 1
            names[key] = base if seen[base] == 1 else f"{base}#{seen[base]}"
        return names

    def _key(self, source):
        for key, name in self._names().items():
            if name == source:
                return key
        raise KeyError(f"no samples of a source named {source!r}")

    def arrays(self, source):
        """A source's samples as numpy arrays: ts (ns, CLOCK_BOOTTIME), cpu,
        seq, and values (rows x counters, uint64), in time order (ties:
        lower CPU first, then file order)."""
        key = self._key(source)
        items = sorted(self._rows[key].items(),
                       key=lambda kv: (kv[1][0], kv[0][1], kv[0][0]))
        width = max((len(v[1]) for _, v in items), default=0)
        values = np.zeros((len(items), width), dtype=np.uint64)
        for i, (_, v) in enumerate(items):
            values[i, :len(v[1])] = v[1]
        return {
            "ts": np.array([v[0] for _, v in items], dtype=np.uint64),
            "cpu": np.array([k[1] for k, _ in items], dtype=np.uint32),
            "seq": np.array([k[3] for k, _ in items], dtype=np.uint64),
            "values": values,
        }

    def counters(self, source):
        """(name, unit, kind) of each counter of a source."""
        sch = self._schemas.get(self._key(source))
        if sch is None:
            return []
        return list(zip(sch.counters, sch.units, sch.kinds))

    def frame(self, source):
        """A pandas DataFrame of a source: one row per sample, columns
        time (UTC wall clock), ts_ns, cpu, seq and one per counter."""
        import pandas as pd
        a = self.arrays(source)
        names = [c[0] for c in self.counters(source)]
        names += [f"#{k}" for k in range(len(names), a["values"].shape[1])]
        df = pd.DataFrame(a["values"], columns=names)
        off = int(self.header.get("start_real_ns", 0)) - \
            int(self.header.get("start_boot_ns", 0))
        df.insert(0, "seq", a["seq"])
        df.insert(0, "cpu", a["cpu"])
        df.insert(0, "ts_ns", a["ts"])
        df.insert(0, "time", pd.to_datetime(a["ts"].astype(np.int64) + off,
                                            unit="ns", utc=True))
        return df

    def _loss(self, subbufs):
        """Records the kernel dropped, from the sub-buffer headers: one row
        per rise of a CPU's lost count, with the time of the header that
        showed it (the drops happened before it, after the previous one)."""
        rows = []
        last = {}
        for fi, cpu, ts, seq, lost in sorted(subbufs, key=lambda s: (s[1], s[0], s[3])):
            prev = last.get(cpu)
            if prev is not None and lost > prev[1]:
                rows.append((cpu, prev[0], ts, lost - prev[1]))
            elif prev is None and lost:
                rows.append((cpu, None, ts, lost))
            last[cpu] = (ts, lost)
        return _frame(rows, ["cpu", "after_ts_ns", "before_ts_ns", "records"])

    def _gaps(self):
        """Samples missing by their sequence numbers: per source and CPU a
        jump of seq by more than one is that many samples lost (dropped by
        the kernel or in a damaged chunk), and a first seq above 0 is that
        many lost before it (sequences start at 0); a seq that goes back is
        a new registration or session, not loss. Sub-buffer sequence jumps
        (overwrite mode, damaged chunks) are rows with source None.

        A CPU whose first sub-buffer is not the session's first (sequence
        above 0) has a history that starts late: a ring deleted the older
        files, or an overwriting buffer kept only the newest data. What
        came before on it is not a gap: it is counted in .history_cut
        (records rotated out or overwritten), as hwstats-report counts it."""
        rows = []
        names = self._names()
        first_sb = {}
        for fi, cpu, ts, seq, lost in sorted(self._subbufs,
                                             key=lambda s: (s[0], s[2])):
            first_sb.setdefault(cpu, seq)
        cut = {cpu for cpu, seq in first_sb.items() if seq > 0}
        self.history_cut = 0
        for key, recs in self._rows.items():
            last = {}
            for (fi, cpu, sid, seq), v in sorted(
                    recs.items(), key=lambda kv: (kv[0][1], kv[0][0], kv[1][0])):
                prev = last.get((cpu, sid))
                if prev is None and cpu in cut:
                    self.history_cut += seq
                elif prev is None and seq > 0:
                    rows.append((names.get(key, key[0]), cpu, 0, seq,
                                 None, v[0]))
                elif prev is not None and seq > prev[0] + 1:
                    rows.append((names.get(key, key[0]), cpu, prev[0] + 1,
                                 seq - prev[0] - 1, prev[1], v[0]))
                last[(cpu, sid)] = (seq, v[0])
        last = {}
        for fi, cpu, ts, seq, lost in sorted(self._subbufs,
                                             key=lambda s: (s[1], s[0], s[2])):
            prev = last.get(cpu, (first_sb[cpu] - 1 if cpu in cut else -1,
                                  None))
            if seq > prev[0] + 1:
                rows.append((None, cpu, prev[0] + 1, seq - prev[0] - 1,
                             prev[1], ts))
            last[cpu] = (seq, ts)
        return _frame(rows, ["source", "cpu", "seq_from", "count",
                             "after_ts_ns", "before_ts_ns"])

    @property
    def lost(self):
        """Records the kernel dropped, per CPU (dict), from the newest
        footer totals when there are any, else from the sub-buffer
        headers."""
        out = {}
        if len(self.totals):
            last = self.totals[self.totals["file"] == self.totals["file"].max()]
            for _, t in last.iterrows():
                out[int(t["cpu"])] = int(t["lost"])
            return out
        for _, cpu, _, _, lost in self._subbufs:
            out[cpu] = max(out.get(cpu, 0), lost)
        return out

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _frame(rows, columns):
    import pandas as pd
    return pd.DataFrame(rows, columns=columns)


def open(paths):  # noqa: A001 - the natural name, as in gzip.open
    """Open one .hws file or a list of files of one session."""
    return Trace(paths)
