#!/usr/bin/env bash
# Run every benchmark of hwstats, each bounded in time, print the tables and
# write them, with the machine, the kernel and the date, into
# bench/README.md (between its "bench:results" markers). `make bench` runs
# it after building the tools; see bench/README.md for what each part
# measures and how to read it.
#
# Usage: bench/run.sh [--quick] [--no-readme] [--only PART]
#   --quick       smaller sizes and shorter captures (a smoke run of the
#                 harness; its numbers are not for the README)
#   --no-readme   print the tables only
#   --only PART   run that part alone (drain, size, report, format, emit,
#                 rate: part 5, the lossless rate); prints the tables,
#                 leaves the README alone
# Environment: KSERIES (default 6.1): the guest kernel series.
#   BENCH_BUDGET (default 1200): seconds for the whole run; a part that
#   would not fit is cut short and reported as such.
set -uo pipefail

TOP="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$TOP" || exit 2

quick=0
readme=1
only=
while (($#)); do
	a=$1
	shift
	case "$a" in
	--quick) quick=1 ;;
	--only)
		only=${1:-}
		shift
		readme=0
		;;
	--no-readme) readme=0 ;;
	-h | --help)
		awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"
		exit 0
		;;
	*)
		echo "bench: unknown argument $a" >&2
		exit 2
		;;
	esac
done
((quick)) && readme=0

KSERIES="${KSERIES:-6.1}"
BUDGET="${BENCH_BUDGET:-1200}"
T0=$(date +%s)
B="$TOP/build/bench"
RES="$B/results"
WORK="$B/work"
rm -rf "$RES" "$WORK"
mkdir -p "$RES" "$WORK"
failed=()

say() { echo "bench: $*" >&2; }
elapsed() { echo $(($(date +%s) - T0)); }
# Seconds a part may take: its own limit, or what is left of the budget
# after RESERVE seconds kept for the parts that follow.
allow() { # LIMIT RESERVE
	local left=$((BUDGET - $(elapsed) - $2))
	((left < 30)) && left=30
	((left < $1)) && echo "$left" || echo "$1"
}

# ---- sizes ------------------------------------------------------------------
if ((quick)); then
	GEN_N=200000 SIZE_N=20000 ROUNDS=2
	cat >"$WORK/bench.conf" <<-EOF
		ROUNDS=2
		N_MIX=8192
		N_BPF=8192
		BPF_RING=4194304
		TPUT_ROUNDS=1
		TPUT_N=20000
		TPUT_RING=4194304
		SNAP_SPECS="1:8186:5 2:65530:2"
		SNAP_ROUNDS=1
		SIM_RATE=100000
		FLAT_N=50000
		BURST_S=1
		RATE_START=8000
		RATE_MAX=1000000
		PROBE_S=2
		CONFIRM_S=4
		CONFIRM_TRIES=1
		CONFIRM_BISECT=0
		BISECT_STEPS=1
	EOF
else
	GEN_N=1000000 SIZE_N=50000 ROUNDS=5
	cat >"$WORK/bench.conf" <<-EOF
		ROUNDS=5
		N_MIX=49152
		N_BPF=24576
		BPF_RING=16777216
		TPUT_ROUNDS=3
		TPUT_N=100000
		TPUT_RING=4194304
		SNAP_SPECS="1:8186:30 2:65530:8"
		SNAP_ROUNDS=3
		SIM_RATE=100000
		FLAT_N=200000
		BURST_S=3
		RATE_START=8000
		RATE_MAX=2000000
		PROBE_S=4
		CONFIRM_S=30
		CONFIRM_TRIES=4
		CONFIRM_BISECT=2
		BISECT_STEPS=2
	EOF
fi

# ---- build --------------------------------------------------------------------
say "building (guest kernel series $KSERIES)"
if ! command -v /usr/bin/time >/dev/null || ! command -v bpftool >/dev/null; then
	bash scripts/deps.sh >&2 || true
	command -v /usr/bin/time >/dev/null ||
		env DEBIAN_FRONTEND=noninteractive apt-get install -y -q time >&2
fi
kdir="$(bash scripts/kdir.sh "$KSERIES")" || {
	say "no kernel build directory for $KSERIES"
	exit 2
}
krel="$(basename "$kdir")"
krel="${krel#linux-headers-}"
{
	make --no-print-directory -s tools static &&
		make --no-print-directory -s modules KDIR="$kdir" &&
		make --no-print-directory -s -C bench KDIR="$kdir"
} >"$RES/build.log" 2>&1 || {
	say "build failed; see $RES/build.log"
	tail -n 30 "$RES/build.log" >&2
	exit 2
}
VMKO="$B/vm/ko"
VMBIN="$B/vm/bin"
rm -rf "$B/vm" && mkdir -p "$VMKO" "$VMBIN"
cp build/kmod/"$krel"/hwstats.ko build/kmod/"$krel"/hwstats_sim.ko \
	"$B/kmod/$krel/hwstats_bench.ko" "$VMKO/"
cp build/static/bin/* "$B"/vm-bin/* "$VMBIN/"
HB="$B/host"
REPORT="$TOP/build/host/bin/hwstats-report"

export B RES WORK HB REPORT ROUNDS GEN_N SIZE_N QUICK=$quick

# ---- guest ---------------------------------------------------------------------------
vm_run() { # NAME TIMEOUT
	HWSTATS_KO_DIR="$VMKO" HWSTATS_BIN_DIR="$VMBIN" \
		bash tests/vm/run.sh --kernel "$KSERIES" --timeout "$2" \
		--out "$B/vm/$1" "bench/vm/$1.sh" "$WORK/bench.conf" >"$RES/vm-$1.log" 2>&1
	local rc=$?
	tail -n 1 "$RES/vm-$1.log" >&2
	for f in "$B/vm/$1"/*.txt; do
		[[ -f "$f" ]] && cp "$f" "$RES/$1-$(basename "$f")"
	done
	return $rc
}

part() { # NAME LIMIT RESERVE FUNCTION [ARGS...]
	local name="$1" lim start rc
	[[ -z "$only" || "$name" == "$only" || "$name" == "vm $only" ]] || return 0
	lim=$(allow "$2" "$3")
	shift 3
	start=$(date +%s)
	say "$name (at most ${lim}s)"
	if [[ "$1" == vm_run ]]; then
		"$@" "$lim"
	else
		timeout "$lim" bash bench/host.sh "$@"
	fi
	rc=$?
	echo "$name seconds=$(($(date +%s) - start)) status=$rc" >>"$RES/parts.txt"
	((rc == 0)) || {
		say "$name failed (status $rc)"
		failed+=("$name")
	}
}

part drain 240 900 drain
part size 240 700 size
part report 120 650 report
part format 90 600 format
part "vm emit" 480 330 vm_run emit
part "vm rate" 800 20 vm_run rate
TOTAL=$(elapsed)

# ---- tables ----------------------------------------------------------------------------
machine() {
	local cpu
	cpu="$(lscpu 2>/dev/null | awk -F: '/^Model name/ { gsub(/^ +/, "", $2); print $2; exit }')"
	echo "- Host: ${cpu:-unknown CPU}, $(nproc) CPUs online, $(free -g | awk '/^Mem:/ { print $2 }') GiB RAM, $(sed -n 's/^PRETTY_NAME="\(.*\)"/\1/p' /etc/os-release), kernel $(uname -r)."
	echo "- Guest: Debian kernel $krel under $(qemu-system-x86_64 --version | head -n1 | sed 's/ (.*//') (TCG, 2 vCPUs, 1 GiB, \`tsc=reliable\`)."
	echo "- zstd $(zstd -V | grep -o 'v[0-9.]*' | head -n1), $(xz --version | head -n1), commit $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD 2>/dev/null || echo ' with local changes')."
	echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); \`make bench\` took ${TOTAL} s (budget ${BUDGET} s); load average at the end $(cut -d' ' -f1-3 /proc/loadavg)."
}

tables() {
	bash bench/tables.sh "$RES"
}

{
	echo "### Where and when"
	echo
	machine
	echo
	tables
	if ((${#failed[@]})); then
		echo
		echo "Parts that failed or ran out of time: ${failed[*]} (logs in build/bench/results)."
	fi
} >"$RES/tables.md"
cat "$RES/tables.md"

if ((readme)); then
	if ((${#failed[@]})); then
		say "not updating bench/README.md: ${failed[*]} failed"
	else
		awk -v f="$RES/tables.md" '
			/<!-- bench:results:begin -->/ { print; while ((getline l < f) > 0) print l; skip = 1; next }
			/<!-- bench:results:end -->/ { skip = 0 }
			!skip { print }' bench/README.md >"$WORK/README.md" &&
			mv "$WORK/README.md" bench/README.md
		say "bench/README.md updated"
	fi
fi
say "done in ${TOTAL} s"
((${#failed[@]} == 0))
