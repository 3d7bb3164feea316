#!/usr/bin/env bash
# Prometheus, offline: hwstats-report --openmetrics of a real capture,
# backfilled with promtool into a TSDB, served by a real Prometheus on
# 127.0.0.1; through its HTTP API, PromQL increase() of every counter and
# avg_over_time() of every gauge over the capture must equal the report's
# figures (prom_backfill_check.py), per CPU and, for counters, summed.
#
# Usage: tests/eco/prometheus-backfill.sh CAPTURE.hws
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TOP="$(cd "$HERE/../.." && pwd)"
cd "$TOP"
cap="$1"
rep="$TOP/build/host/bin/hwstats-report"

d="$(mktemp -d)"
pid=""
cleanup() {
	local rc=$?
	if [[ -n "$pid" ]]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$d"
	exit "$rc"
}
trap cleanup EXIT

"$rep" --per-cpu --json -o "$d/report.json" --openmetrics "$d/percpu.om" "$cap"
"$rep" --json -o "$d/report-sum.json" --openmetrics "$d/sum.om" "$cap"
mkdir "$d/tsdb"
for om in percpu sum; do
	promtool tsdb create-blocks-from openmetrics "$d/$om.om" "$d/tsdb" \
		>"$d/promtool-$om.log" 2>&1 || {
		cat "$d/promtool-$om.log" >&2
		echo "prometheus-backfill: promtool refused $om.om" >&2
		exit 1
	}
done
# The per-CPU and summed files name their series apart by the cpu label;
# the summed counters have none, so both fit one TSDB.
printf 'global:\n  scrape_interval: 1h\nscrape_configs: []\n' >"$d/prometheus.yml"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
prometheus --config.file="$d/prometheus.yml" --storage.tsdb.path="$d/tsdb" \
	--storage.tsdb.retention.time=100y --web.listen-address="127.0.0.1:$port" \
	>"$d/prometheus.log" 2>&1 &
pid=$!
for _ in $(seq 600); do
	curl -fsS "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1 && break
	kill -0 "$pid" 2>/dev/null || {
		cat "$d/prometheus.log" >&2
		echo "prometheus-backfill: prometheus exited" >&2
		exit 1
	}
	sleep 0.1
done
/usr/bin/python3 tests/eco/prom_backfill_check.py "http://127.0.0.1:$port" \
	"$d/report.json" "$d/report-sum.json"
