#!/usr/bin/env bash
# The peer benchmark (`make bench-peers`): the same record through
# hwstats_emit() and through ftrace (trace-cmd), perf, LTTng and a BPF
# ring buffer, in one
# boot per kernel; see bench/README.md, "Peers". On demand only, never part
# of `make test`.
#
# Usage: bench/peers/run.sh [--quick]
# Environment: PEERS_KSERIES (default "6.1 6.12"): the guest kernels.
# Results: build/peers/results/<release>/ (key=value lines) and the tables
# on stdout (bench/peers/tables.sh).
set -uo pipefail

TOP="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$TOP" || exit 2
quick=0
[[ "${1:-}" == --quick ]] && quick=1
KSERIES="${PEERS_KSERIES:-6.1 6.12}"
P="$TOP/build/peers"
say() { echo "peers: $*" >&2; }

ROOTFS="$(bash scripts/build-rootfs.sh)" || {
	say "no root filesystem for the tracers"
	exit 2
}
{ make --no-print-directory -s tools static &&
	make --no-print-directory -s -C bench tools &&
	make --no-print-directory -s -C bench/peers tools; } >/dev/null || exit 2

# lttng-modules: Debian's source (lttng-modules-dkms), built once per
# kernel; -k: one probe of the stock set may not build against a
# newer stable kernel, the tracer core is what is needed.
lttng_build() { # KDIR KREL
	local src="$P/lttng/$2"
	# A kernel the tracer core did not build for is not tried again
	# (remove build/peers/lttng/failed-RELEASE to retry).
	[[ -f "$P/lttng/failed-$2" ]] && return 1
	if [[ ! -f "$src/src/lttng-tracer.ko" ]]; then
		if [[ ! -d "$P/lttng-dkms/usr/src" ]]; then
			mkdir -p "$P/lttng-dkms" &&
				(cd "$P/lttng-dkms" && apt-get download lttng-modules-dkms >/dev/null 2>&1 &&
					dpkg -x lttng-modules-dkms_*.deb .) || return 1
		fi
		rm -rf "$src" && mkdir -p "$P/lttng" &&
			cp -a "$P"/lttng-dkms/usr/src/lttng-modules-* "$src" || return 1
		(cd "$src" && nice make KERNELDIR="$1" -j2 -k modules) >"$P/lttng/build-$2.log" 2>&1
		# A stock probe that does not build (6.1.0-57's backported
		# hrtimer_start tracepoint breaks lttng-probe-timer) is left out,
		# and named in the results; the tracer core must build.
		local bad
		bad=$(grep -o 'src/probes/lttng-probe-[a-z0-9_-]*\.o\] Error' "$P/lttng/build-$2.log" |
			sed 's|src/probes/||; s|\] Error||' | sort -u)
		if [[ -n "$bad" ]] && [[ ! -f "$src/src/lttng-tracer.ko" ]]; then
			for o in $bad; do
				sed -i "/$o/d" "$src/src/probes/Kbuild"
				echo "lttng_probe_left_out=$o" >>"$P/lttng/left-out-$2.txt"
			done
			(cd "$src" && nice make KERNELDIR="$1" -j2 modules) >>"$P/lttng/build-$2.log" 2>&1
		fi
	fi
	[[ -f "$src/src/lttng-tracer.ko" ]] || {
		touch "$P/lttng/failed-$2"
		return 1
	}
}

for ks in $KSERIES; do
	kdir="$(bash scripts/kdir.sh "$ks")" || continue
	krel="$(basename "$kdir")"
	krel="${krel#linux-headers-}"
	RES="$P/results/$krel"
	rm -rf "$RES" "$P/vm/$krel"
	mkdir -p "$RES" "$P/vm/$krel/ko" "$P/vm/$krel/extra"
	say "$krel: building"
	{
		make --no-print-directory -s modules KDIR="$kdir" &&
			make --no-print-directory -s -C bench/peers KDIR="$kdir" kmod
	} >"$RES/build.log" 2>&1 || {
		say "$krel: build failed, see $RES/build.log"
		continue
	}
	cp build/kmod/"$krel"/hwstats.ko "$P/kmod/$krel/hwsb_peers.ko" "$P/vm/$krel/ko/"
	mkdir -p "$P/vm/$krel/bin"
	cp build/static/bin/* build/bench/vm-bin/hwsb "$P/vm-bin/hwsb-peers-bpf" "$P/vm/$krel/bin/"
	extra=()
	if lttng_build "$kdir" "$krel" &&
		make --no-print-directory -s -C bench/peers KDIR="$kdir" \
			LTTNG_SRC="$P/lttng/$krel" lttng >>"$RES/build.log" 2>&1; then
		m="$P/vm/$krel/modtree"
		rm -rf "$m" && mkdir -p "$m/lib/modules/$krel/extra"
		find "$P/lttng/$krel/src" -name '*.ko' -exec cp {} "$m/lib/modules/$krel/extra/" \;
		cp "$P/lttng-probe/$krel/lttng-probe-hwsb_peers.ko" "$m/lib/modules/$krel/extra/"
		cp build/kmod/"$krel"/hwstats.ko "$P/kmod/$krel/hwsb_peers.ko" "$m/lib/modules/$krel/extra/"
		# libkmod (in lttng-sessiond) wants every index depmod makes.
		touch "$m/lib/modules/$krel/modules.order" "$m/lib/modules/$krel/modules.builtin" \
			"$m/lib/modules/$krel/modules.builtin.modinfo"
		/sbin/depmod -b "$m" "$krel"
		tar -cf "$P/vm/$krel/extra/lttng-modules.tar" -C "$m/lib/modules" "$krel"
		extra+=("$P/vm/$krel/extra/lttng-modules.tar")
		echo "lttng_build=ok" >"$RES/lttng.txt"
		cat "$P/lttng/left-out-$krel.txt" >>"$RES/lttng.txt" 2>/dev/null
	else
		echo "lttng_build=failed" >"$RES/lttng.txt"
		grep -m 3 'error:' "$P/lttng/build-$krel.log" 2>/dev/null |
			sed "s|$P/lttng/$krel/||" | sed 's/^/lttng_error=/' >>"$RES/lttng.txt"
	fi
	if ((quick)); then
		conf="ROUNDS=1 N_COST=8192 CAP_RATE=5000 CAP_N=10000 RATE_START=8000 RATE_MAX=16000 PROBE_S=2"
		conf="$conf BISECT_STEPS=1 CONFIRM_S=4 CONFIRM_TRIES=2"
	else
		conf="ROUNDS=3 N_COST=16384 CAP_RATE=20000 CAP_N=40000 RATE_START=16000 RATE_MAX=512000 PROBE_S=4"
		conf="$conf BISECT_STEPS=3 CONFIRM_S=30 CONFIRM_TRIES=8"
	fi
	printf '%s\n' $conf \
		"TC_OPTS='--file-version 7 --compression zstd'" "PERF_OPTS='-z -B -N'" \
		>"$P/vm/$krel/extra/peers.conf"
	# PEERS_CONF: a line of shell assignments for a narrower boot
	# (PARTS='cost rate' TOOLS='hwstats bpf').
	[[ -n "${PEERS_CONF:-}" ]] && echo "$PEERS_CONF" >>"$P/vm/$krel/extra/peers.conf"
	say "$krel: one boot (cost, captures, rates)"
	HWSTATS_KO_DIR="$P/vm/$krel/ko" HWSTATS_BIN_DIR="$P/vm/$krel/bin" \
		HWSTATS_VM_ROOTFS="$ROOTFS" \
		bash tests/vm/run.sh --kernel "$ks" --timeout 3600 --mem 2048 --out "$P/vm/$krel/out" \
		bench/peers/guest.sh "$P/vm/$krel/extra/peers.conf" bench/peers/search.sh "${extra[@]}" \
		>"$RES/vm.log" 2>&1
	tail -n 1 "$RES/vm.log" >&2
	cp "$P/vm/$krel/out"/*.txt "$RES/" 2>/dev/null
	say "$krel: converting the captures on the host"
	bash bench/peers/convert.sh "$P/vm/$krel/out/cap" "$ROOTFS" >"$RES/convert.txt" 2>"$RES/convert.log"
	bash bench/peers/tables.sh "$RES"
done
