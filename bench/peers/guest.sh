#!/bin/sh
# One boot: the same record through hwstats and through ftrace (trace-cmd),
# perf and LTTng (bench/README.md, "Peers"). Parameters come from
# /extra/peers.conf; the rate search is /extra/search.sh (bench part 5's
# method); the tracers run from the Debian tree shared as 9p tag
# "rootfs" (scripts/build-rootfs.sh), under chroot; results go to $OUT as
# key=value lines, captures to $OUT/cap/ for the host to convert.
set -u
# shellcheck source=/dev/null
. /extra/peers.conf
# shellcheck source=bench/peers/search.sh
. /extra/search.sh

D=/sys/kernel/debug/hwsb_peers
RT=/mnt/rootfs
EV=hwsb_peers:hwsb_peers_rec
log() { echo "peers: $*"; }

{
	echo "kernel=$(uname -r)"
	echo "cpus=$(nproc)"
} >"$OUT/guest.txt"

insmod "$KO/hwstats.ko" netdev=0 || exit 3
insmod "$KO/hwsb_peers.ko" || exit 3

mkdir -p "$RT"
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144 rootfs "$RT" || exit 3
mount -t proc proc "$RT/proc"
mount -t sysfs sysfs "$RT/sys"
mount -t debugfs debugfs "$RT/sys/kernel/debug"
mount -t tracefs tracefs "$RT/sys/kernel/tracing"
mount -t devtmpfs devtmpfs "$RT/dev"
mkdir -p "$RT/dev/shm" "$RT/dev/pts"
mount -t tmpfs tmpfs "$RT/dev/shm"
mount -t tmpfs tmpfs "$RT/tmp"
mount -t tmpfs tmpfs "$RT/run"
mount -t tmpfs tmpfs "$RT/var/tmp"
mount -t tmpfs tmpfs "$RT/root"
# Until a tracer started in the background records: its event enabled
# (ftrace) or its output file begun, at most 120 s; then 1 s more.
started() { # ftrace|FILE
	i=0
	while [ "$i" -lt 240 ]; do
		if [ "$1" = ftrace ]; then
			[ "$(cat /sys/kernel/debug/tracing/events/hwsb_peers/hwsb_peers_rec/enable 2>/dev/null)" = 1 ] && break
		elif [ -s "$RT/tmp/$1" ]; then
			break
		fi
		sleep 0.5
		i=$((i + 1))
	done
	sleep 1
}
# perf record, started with its event disabled, enabled through its control
# fifo: when the acknowledgement comes back, it records. Sets $pid.
perf_start() { # FILE [OPTION]...
	f=$1
	shift
	rm -f "$RT/tmp/ctl" "$RT/tmp/ack"
	mkfifo "$RT/tmp/ctl" "$RT/tmp/ack"
	CX perf record "$@" -D -1 --control fifo:/tmp/ctl,/tmp/ack -e "$EV" -a -o "$f" &
	pid=$!
	timeout 300 sh -c "echo enable >$RT/tmp/ctl && read -r a <$RT/tmp/ack" ||
		log "perf did not acknowledge 'enable'"
}
C() { chroot "$RT" /usr/bin/env HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C "$@"; }
# The same, for a tracer started with &: exec, so that $! is the tracer
# itself and kill -INT reaches it.
CX() { exec chroot "$RT" /usr/bin/env HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C "$@"; }

# LTTng: its modules (and our probe) in a modules tree libkmod can read,
# built on the host with depmod; lttng-sessiond loads them itself.
lttng_ok=0
if [ -f /extra/lttng-modules.tar ]; then
	mount -t tmpfs tmpfs "$RT/usr/lib/modules"
	tar -xf /extra/lttng-modules.tar -C "$RT/usr/lib/modules"
	# Load them first (each round loads those whose dependencies are
	# in), so that the session daemon finds its tracer.
	mods=$(find "$RT/usr/lib/modules" -name '*.ko' | grep -v -e /hwstats.ko -e /hwsb_peers.ko)
	for _ in 1 2 3 4 5 6; do
		for m in $mods; do
			insmod "$m" 2>/dev/null
		done
	done
	if C lttng-sessiond -b -vv --extra-kmod-probes=hwsb_peers >"$OUT/sessiond.log" 2>&1; then
		sleep 5
		C lttng list -k >"$OUT/lttng-list.txt" 2>&1
		grep -q hwsb_peers_rec "$OUT/lttng-list.txt" && lttng_ok=1
	fi
fi
echo "lttng_ok=$lttng_ok" >>"$OUT/guest.txt"
lsmod | grep -c '^lttng' | sed 's/^/lttng_modules_loaded=/' >>"$OUT/guest.txt"

# PARTS and TOOLS (peers.conf) may narrow a boot to some parts and tools.
PARTS=${PARTS:-"cost cap rate"}
want() { # TOOL
	case " ${TOOLS:-none ftrace perf lttng hwstats bpf} " in *" $1 "*) return 0 ;; esac
	return 1
}
part() { # PART
	case " $PARTS " in *" $1 "*) return 0 ;; esac
	return 1
}

# The BPF ring: for the cost, big enough for every record of a run
# (nothing drains); for captures, the memory hwstats-record's default
# buffers take on this guest (32 x 256 KiB per CPU), as one ring.
BPF_COST_RING=$((16 << 20))
BPF_RING=1048576
while [ "$BPF_RING" -lt $(($(nproc) * (8 << 20))) ]; do
	BPF_RING=$((BPF_RING * 2))
done

# One cost run, emit and tp taking turns. hwstats: an overwrite session
# nobody reads; with "drain", hwstats-record reads it meanwhile (a
# no-overwrite session, as perf's records are read while they come).
cost() { # TOOL WHERE [drain]
	if [ "${3:-}" = drain ]; then
		hwstats-record -q -s peer_sim -o /tmp/cost.hws >>"$OUT/sessions.txt" 2>&1 &
		rpid=$!
		hwsb wait 30 >/dev/null
		echo "cost $2 $N_COST" >$D/run
		kill -INT "$rpid"
		wait "$rpid"
		rm -f /tmp/cost.hws
	elif [ "$1" = bpf ]; then
		hwsb-peers-bpf -s "$BPF_COST_RING" -- hwsb session -w -s peer_sim -- \
			sh -c "echo 'cost $2 $N_COST' >$D/run" >>"$OUT/bpf-cost.txt" 2>&1
	else
		hwsb session -w -s peer_sim -- sh -c "echo 'cost $2 $N_COST' >$D/run" >>"$OUT/sessions.txt" 2>&1
	fi
	awk -v t="tool=$1 round=$r drain=${3:-no}" '{ print t, $0 }' "$D/results" >>"$OUT/cost.txt"
}

# ---- 1. cost per record, recording into memory ----------------------------
# ftrace: trace-cmd start (the ring buffer in overwrite mode, no reader);
# perf: perf record drains as it goes (it has no mode without a reader),
# so hwstats-record drains hwstats' records in the same run; LTTng: a
# snapshot session (overwrite, nothing consumed until a snapshot); BPF: a
# ring that holds every record, consumed after the run.
r=1
part cost || r=$((ROUNDS + 1))
while [ "$r" -le "$ROUNDS" ]; do
	for where in one all; do
		want none && cost none "$where"
		if want ftrace; then
			C trace-cmd start -e "$EV" >/dev/null 2>&1
			cost ftrace "$where"
			C trace-cmd reset >/dev/null 2>&1
		fi
		want bpf && cost bpf "$where"
		want perf || continue
		perf_start /tmp/cost.data -q -B -N >/dev/null 2>&1
		cost perf "$where" drain
		kill -INT "$pid"
		wait "$pid"
		# What perf kept of the tp records, and what it lost.
		C perf report --stats -i /tmp/cost.data 2>/dev/null |
			awk -v t="round=$r $where" '/SAMPLE events:|LOST events:/ && !seen[$1]++ { print t, $1, $3 }' >>"$OUT/perf-cost.txt"
		rm -f "$RT/tmp/cost.data"
	done
	for where in one all; do
		if [ "$lttng_ok" = 1 ] && want lttng; then
			C lttng create cost --snapshot >/dev/null 2>&1
			C lttng enable-event -k hwsb_peers_rec >/dev/null 2>&1
			C lttng start >/dev/null 2>&1
			cost lttng "$where"
			C lttng destroy cost >/dev/null 2>&1
		fi
	done
	r=$((r + 1))
done
log "cost done"

# ---- captures: TOOL RATE N, every CPU paced at RATE/s, N records each -----
# Prints "cap tool=T rate=R n=N produced=P refused=F ..." and leaves the
# capture in $RT/tmp/cap.T (removed by the caller).
capture() { # TOOL RATE N [keep]
	tool=$1 rate=$2 n=$3
	rm -rf "$RT/tmp/cap.$tool"
	case $tool in
	hwstats)
		hwstats-record -q -s peer_sim -o "$RT/tmp/cap.hwstats" >"$OUT/rec.log" 2>&1 &
		pid=$!
		hwsb wait 30 >/dev/null
		echo "pace emit $rate $n" >$D/run
		kill -INT "$pid"
		wait "$pid"
		st=$?
		;;
	ftrace)
		CX trace-cmd record $TC_OPTS -e "$EV" -o /tmp/cap.ftrace >"$OUT/rec.log" 2>&1 &
		pid=$!
		started ftrace
		echo "pace tp $rate $n" >$D/run
		# trace-cmd prints no loss; the ring buffer counts it per CPU
		# (overwritten before read, or refused when full).
		sleep 1
		cat /sys/kernel/debug/tracing/per_cpu/cpu*/stats |
			awk '/^overrun:|^dropped events:/' >"$OUT/ftrace-lost"
		kill -INT "$pid"
		wait "$pid"
		st=$?
		;;
	perf)
		# shellcheck disable=SC2086
		perf_start /tmp/cap.perf $PERF_OPTS >"$OUT/rec.log" 2>&1
		echo "pace tp $rate $n" >$D/run
		kill -INT "$pid"
		wait "$pid"
		st=$?
		;;
	bpf)
		# The records as they come, 80 bytes each (BPF has no file
		# format); the loss: the program's per-CPU drop count.
		out=/dev/null
		[ "${4:-}" = keep ] && out="$RT/tmp/cap.bpf"
		hwsb-peers-bpf -s "$BPF_RING" -p -o "$out" -- \
			sh -c "echo 'pace tp $rate $n' >$D/run" >"$OUT/rec.log" 2>&1
		st=$?
		;;
	lttng)
		C lttng create cap --output=/tmp/cap.lttng >"$OUT/rec.log" 2>&1
		C lttng enable-event -k hwsb_peers_rec >>"$OUT/rec.log" 2>&1
		C lttng start >>"$OUT/rec.log" 2>&1
		echo "pace tp $rate $n" >$D/run
		C lttng stop >>"$OUT/rec.log" 2>&1
		C lttng destroy cap >>"$OUT/rec.log" 2>&1
		st=$?
		;;
	esac
	bytes_exact=$(find "$RT/tmp/cap.$tool" -type f -exec cat {} + 2>/dev/null | wc -c)
	awk -v t="$tool" -v r="$rate" -v n="$n" -v st="$st" -v b="$bytes_exact" '
		{ for (i = 3; i <= NF; i++) { split($i, kv, "="); a[kv[1]] += kv[2]
			if (kv[1] == "ns" && kv[2] + 0 > wall + 0) wall = kv[2] } }
		END { printf "cap tool=%s rate=%s n=%s produced=%d refused=%d wall_ns=%s status=%s bytes=%s\n",
			t, r, n, a["n"], a["fail"], wall, st, b }' "$D/results"
	sed 's/^/  rec: /' "$OUT/rec.log" | tail -n 8 >>"$OUT/rec-logs.txt"
}

tools=""
for t in hwstats ftrace perf lttng bpf; do
	want "$t" && tools="$tools $t"
done
[ "$lttng_ok" = 1 ] || tools=$(echo "$tools" | sed 's/ lttng//')

# ---- 3./4. a capture to measure and convert: CAP_RATE per CPU ---------------
mkdir -p "$OUT/cap"
part cap || tools_cap=""
for t in ${tools_cap-$tools}; do
	capture "$t" "$CAP_RATE" "$CAP_N" keep >>"$OUT/capture.txt"
	echo "== $t" >>"$OUT/rec-logs.txt"
	cp -r "$RT/tmp/cap.$t" "$OUT/cap/" 2>/dev/null
	rm -rf "$RT/tmp/cap.$t"
done
log "captures done"

# ---- 2. highest rate per CPU without loss: part 5's search ---------------
# Each probe's delivered count, from what each tool says itself (cheap
# under emulation, where converting every probe would take minutes):
# hwstats-report's sample count; the ftrace ring buffer's per-CPU overrun
# and dropped counts (trace-cmd prints none); perf report --stats' sample
# count; lttng's discarded-event warning; the BPF consumer's count.
count() { # TOOL N_ALL
	case $1 in
	hwstats) hwstats-report "$RT/tmp/cap.hwstats" 2>/dev/null |
		awk '/^records/ { sub(/.*\(/, ""); print $1; exit }' ;;
	ftrace) awk -v n="$2" '{ lost += $NF } END { print n - lost }' "$OUT/ftrace-lost" ;;
	perf) C perf report --stats -i /tmp/cap.perf 2>/dev/null |
		awk '/SAMPLE events:/ { print $3; exit }' ;;
	lttng) awk -v n="$2" 'tolower($0) ~ /discarded/ { for (i = 1; i <= NF; i++)
			if ($i ~ /^[0-9]+$/) { lost += $i; break } }
		END { print n - lost }' "$OUT/rec.log" ;;
	bpf) awk '/^bpf / { for (i = 2; i <= NF; i++) { split($i, kv, "=")
			if (kv[1] == "delivered") print kv[2] } }' "$OUT/rec.log" ;;
	esac
}
# One probe of tool $t: true when every record produced was delivered and
# the rate was held (every CPU's records out within 10 % of the time
# asked, as part 5 asks; a producer slowed by its tool fails too).
probe() { # RATE SECONDS
	n=$(($1 * $2))
	line=$(capture "$t" "$1" "$n")
	got=$(count "$t" $((n * $(nproc))) | tr '\n' ' ')
	echo "$line seconds=$2 got=[$got]" >>"$OUT/rate.txt"
	cp "$OUT/rec.log" "$OUT/rate-$t-$1-$2.log" 2>/dev/null
	rm -rf "$RT/tmp/cap.$t"
	echo "$line got=[$got]" | awk -v cpus="$(nproc)" -v s="$2" '
		{ for (i = 1; i <= NF; i++) { split($i, kv, "="); a[kv[1]] = kv[2] } }
		END { g = $0; sub(/.*got=\[/, "", g); split(g, w, /[^0-9]+/)
			exit !(w[1] + 0 >= a["n"] * cpus && a["refused"] == 0 &&
				a["wall_ns"] + 0 <= s * 1.1e9) }'
}
part rate || tools=""
for t in $tools; do
	rate_search probe
	echo "result tool=$t rate=$SEARCH_GOOD first_fail=$SEARCH_BAD confirm_s=$CONFIRM_S confirm_fails=$SEARCH_CONFIRM_FAILS" >>"$OUT/rate.txt"
	log "rate $t: $SEARCH_GOOD"
done
log "rates done"

[ "$lttng_ok" = 1 ] && C lttng-sessiond --version >/dev/null 2>&1
rmmod hwsb_peers
echo "peers: done"
