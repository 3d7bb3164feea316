#!/usr/bin/env bash
# Prometheus, live: hwstats-stat --prometheus in a VM (as a member of the
# device's group) writes a snapshot for node_exporter's textfile collector;
# a real node_exporter (Debian's prometheus-node-exporter) on 127.0.0.1
# serves it from a directory holding only a symlink to that file, as
# packaging/tmpfiles/hwstats-textfile.conf sets it up; every counter of the
# snapshot must be scraped with its value (prom_compare.py), and promtool
# must find the file well formed.
#
# Usage: tests/eco/prometheus-live.sh OUT
#   OUT: the out directory of a run of tests/eco/vm-eco.sh (tests/eco/run.sh)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TOP="$(cd "$HERE/../.." && pwd)"
cd "$TOP"
out="$1"

prom="$out/textfile/hwstats.prom"
promtool check metrics <"$prom" || {
	echo "prometheus-live: promtool finds $prom malformed" >&2
	exit 1
}

tdir="$(mktemp -d)"
ne_pid=""
cleanup() {
	local rc=$?
	if [[ -n "$ne_pid" ]]; then
		kill "$ne_pid" 2>/dev/null || true
		wait "$ne_pid" 2>/dev/null || true
	fi
	rm -rf "$tdir"
	exit "$rc"
}
trap cleanup EXIT
mkdir "$tdir/textfile"
ln -s "$prom" "$tdir/textfile/hwstats.prom"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
prometheus-node-exporter --web.listen-address="127.0.0.1:$port" \
	--collector.disable-defaults --collector.textfile \
	--collector.textfile.directory="$tdir/textfile" \
	>"$out/node-exporter.log" 2>&1 &
ne_pid=$!
# Up to 30 s for it to listen (it normally takes well under one).
for _ in $(seq 300); do
	curl -fsS "http://127.0.0.1:$port/metrics" >"$out/scrape.txt" 2>/dev/null && break
	kill -0 "$ne_pid" 2>/dev/null || {
		cat "$out/node-exporter.log" >&2
		echo "prometheus-live: node_exporter exited" >&2
		exit 1
	}
	sleep 0.1
done
[[ -s "$out/scrape.txt" ]] || {
	echo "prometheus-live: node_exporter did not answer on 127.0.0.1:$port" >&2
	exit 1
}
python3 tests/eco/prom_compare.py "$out/stat.json" "$out/scrape.txt"
