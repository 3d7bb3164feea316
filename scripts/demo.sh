#!/usr/bin/env bash
# make demo: boot Debian's kernel under QEMU, record five seconds of the
# simulated device, print the report, and leave the capture in demo/.
set -euo pipefail

top="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$top"
series="${KSERIES:-6.1}"
kdir="$(bash scripts/kdir.sh "$series")"
krel="$(basename "$kdir")"
krel="${krel#linux-headers-}"
make --no-print-directory -s tools modules KDIR="$kdir" >/dev/null

bin="$top/build/vm-bin"
rm -rf "$bin" && mkdir -p "$bin"
cp build/static/bin/* "$bin/"

out="$top/demo"
# The harness prints the scenario's output too; show it once, and the
# harness's own lines only when something went wrong.
log="$top/build/demo-run.log"
HWSTATS_KO_DIR="$top/build/kmod/$krel" HWSTATS_BIN_DIR="$bin" \
	bash tests/vm/run.sh --kernel "$series" --out "$out" tests/vm/demo/demo.sh \
	>"$log" 2>&1 || {
	cat "$log" >&2
	echo "demo: the VM run failed; its console is in $out/console.log" >&2
	exit 1
}
cat "$out/scenario.log"
echo
echo "The capture is in demo/capture.hws. Read it again with:"
echo "  build/host/bin/hwstats-report demo/capture.hws"
