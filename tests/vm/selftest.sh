#!/usr/bin/env bash
# Check that the VM harness passes a good scenario and reports every kind of
# failure: a non-zero scenario status, a kernel warning, a kernel crash (at
# once, not at the timeout), a hung scenario (at the timeout), and a kernel
# that fails to boot (booted once more, then reported).
#
# Usage: tests/vm/selftest.sh [SERIES...]     (default: 6.1 6.12)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUN="$HERE/run.sh"
ST="$HERE/selftest"

series_list=("$@")
((${#series_list[@]})) || series_list=(6.1 6.12)

work="$(mktemp -d "${TMPDIR:-/tmp}/hwstats-vm-selftest.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# A tool for /usr/bin (a script: the guest's /bin/sh runs it) and an extra file.
mkdir -p "$work/bin" "$work/ko"
cat >"$work/bin/hwstats-selftest-tool" <<'TOOL'
#!/bin/sh
echo "tool says $1"
TOOL
chmod +x "$work/bin/hwstats-selftest-tool"
echo "payload ok" >"$work/payload.txt"

passed=0
failed=0

# check SERIES NAME WANT_RC WANT_LINE MAX_SECONDS [run.sh args...]
check() {
	local series="$1" label="$2" want_rc="$3" want_line="$4" max_s="$5"
	shift 5
	local out="$work/out-$label-$series" log="$work/log-$label-$series"
	local rc=0 t0 t1 secs last
	t0=$(date +%s)
	HWSTATS_BIN_DIR="$work/bin" HWSTATS_KO_DIR="$work/ko" \
		"$RUN" --kernel "$series" --out "$out" "$@" >"$log" 2>&1 || rc=$?
	t1=$(date +%s)
	secs=$((t1 - t0))
	last="$(tail -n1 "$log")"
	if [[ "$rc" == "$want_rc" && "$last" == *"$want_line"* ]] && ((secs <= max_s)); then
		echo "ok   $label on $series: exit $rc, ${secs}s: $last"
		passed=$((passed + 1))
	else
		echo "FAIL $label on $series: exit $rc (want $want_rc), ${secs}s (max ${max_s}s)"
		echo "     last line: $last"
		echo "     wanted:    $want_line"
		sed 's/^/     | /' "$log" | tail -n 40
		failed=$((failed + 1))
	fi
}

for s in "${series_list[@]}"; do
	check "$s" smoke 0 ": PASS" 120 "$HERE/scenarios/smoke.sh"
	check "$s" files 0 ": PASS" 120 "$ST/files.sh" "$work/payload.txt"
	check "$s" noisy 0 ": PASS" 120 "$ST/noisy.sh"
	check "$s" exit3 3 ": FAIL (status 3)" 120 "$ST/exit3.sh"
	check "$s" warn 126 ": FAIL (kernel: WARNING:)" 120 "$ST/warn.sh"
	# The crash must end the run long before its 200 s timeout.
	check "$s" panic 126 ": FAIL (kernel: " 60 --timeout 200 "$ST/panic.sh"
	check "$s" timeout 124 ": FAIL (timeout after 20s)" 60 --timeout 20 "$ST/timeout.sh"
	# A kernel that cannot boot (no init: it panics before any of our
	# code runs) is booted up to three times, then reported.
	check "$s" bootfail 126 ": FAIL (kernel: " 120 --append rdinit=/nonexistent "$ST/exit3.sh"
	if grep -q "booting again" "$work/log-bootfail-$s"; then
		echo "ok   bootfail on $s: booted again before failing"
		passed=$((passed + 1))
	else
		echo "FAIL bootfail on $s: no second boot"
		failed=$((failed + 1))
	fi
done

echo "selftest: $passed passed, $failed failed"
((failed == 0))
