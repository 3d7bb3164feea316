#!/usr/bin/env bash
# Boot a Debian kernel under QEMU (TCG) with a minimal busybox initramfs and
# run one scenario script inside it. See tests/vm/README.md.
#
# Usage: tests/vm/run.sh [options] SCENARIO.sh [extra files...]
#   --kernel SERIES   6.1 (default), 6.12, latest, 6.1-arm64 or 6.1-686
#                     (env HWSTATS_KERNEL); the -arm64 and -686 series boot
#                     under qemu-system-aarch64 (virt, cortex-a57-class
#                     "max" CPU) and qemu-system-i386, with that
#                     architecture's busybox-static from the kernel's cache
#   --timeout SEC     kill QEMU and fail after SEC s (default 300)
#   --out DIR         host directory shared as /out (default
#                     tests/vm/out/<scenario>-<series>); emptied first
#   --mem MB          guest memory (default 1024)                 (env MEM)
#   --cpus N          guest CPUs (default: the scenario's own "# vm-cpus: N"
#                     line, else 2)                               (env CPUS)
#   --append ARGS     extra kernel command line arguments, after those of
#                     the scenario's own "# vm-append: ARGS" line, if any
#   -v, --verbose     stream the console to the terminal          (env V=1)
#   -h, --help        this text
# Environment:
#   HWSTATS_KO_DIR    every *.ko in it goes to /ko in the guest
#   HWSTATS_BIN_DIR   every executable in it goes to /usr/bin in the guest
#   HWSTATS_CACHE     kernel cache (default <repo top>/.cache)
#   HWSTATS_VM_BZIMAGE=1  boot the compressed vmlinuz instead of the PVH vmlinux
#   HWSTATS_VM_KERNEL_DIR boot this kernel instead of --kernel's: a directory
#                     with abi (the release), vmlinux or vmlinuz, and
#                     root/lib/modules/<abi> (scripts/debug-kernel.sh)
# Exit status: 0 pass; the scenario's status when it failed; 124 timeout;
# 125 harness/setup error; 126 kernel problem on the console; 127 the guest
# stopped without reporting a status.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TOP="$(cd "$HERE/../.." && pwd)"

series="${HWSTATS_KERNEL:-6.1}"
timeout_s=300
out=""
mem="${MEM:-1024}"
cpus="${CPUS:-}"
append_extra=""
verbose=0
[[ "${V:-0}" == 1 ]] && verbose=1

usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}"; }

name=""
abi=""
setup_fail() {
	echo "vm: error: $*" >&2
	[[ -z "$name" ]] || echo "vm: $name on ${abi:-$series}: FAIL (setup error)"
	exit 125
}

need_arg() { [[ $# -ge 2 && -n "$2" ]] || setup_fail "option $1 needs a value"; }

while (($#)); do
	case "$1" in
	--kernel)
		need_arg "$@"
		series="$2"
		shift 2
		;;
	--timeout)
		need_arg "$@"
		timeout_s="$2"
		shift 2
		;;
	--out)
		need_arg "$@"
		out="$2"
		shift 2
		;;
	--mem)
		need_arg "$@"
		mem="$2"
		shift 2
		;;
	--cpus)
		need_arg "$@"
		cpus="$2"
		shift 2
		;;
	--append)
		need_arg "$@"
		append_extra="$2"
		shift 2
		;;
	-v | --verbose)
		verbose=1
		shift
		;;
	-h | --help)
		usage
		exit 0
		;;
	--)
		shift
		break
		;;
	-*) setup_fail "unknown option $1 (see --help)" ;;
	*) break ;;
	esac
done
(($# >= 1)) || {
	usage >&2
	exit 125
}
scenario="$1"
shift
extras=("$@")

[[ -f "$scenario" ]] || setup_fail "scenario $scenario not found"
[[ -n "$cpus" ]] || cpus="$(sed -n 's/^# vm-cpus: //p' "$scenario" | head -n1)"
cpus="${cpus:-2}"
[[ "$timeout_s" =~ ^[0-9]+$ && "$timeout_s" -gt 0 ]] || setup_fail "bad --timeout $timeout_s"
[[ "$mem" =~ ^[0-9]+$ ]] || setup_fail "bad --mem $mem"
[[ "$cpus" =~ ^[0-9]+$ && "$cpus" -gt 0 ]] || setup_fail "bad --cpus $cpus"
for f in "${extras[@]}"; do
	[[ -e "$f" ]] || setup_fail "extra file $f not found"
done
name="$(basename "$scenario")"
name="${name%.sh}"

# The guest's architecture follows the series' suffix.
case "$series" in
*-arm64) garch=arm64 qemu_bin=qemu-system-aarch64 ;;
*-686) garch=i386 qemu_bin=qemu-system-i386 ;;
*) garch=amd64 qemu_bin=qemu-system-x86_64 ;;
esac
for tool in "$qemu_bin" cpio busybox modprobe modinfo timeout readelf; do
	command -v "$tool" >/dev/null 2>&1 ||
		setup_fail "$tool not found (run scripts/deps.sh)"
done
# The host's busybox lists the applets (the guest's may not run here).
HOST_BUSYBOX="$(command -v busybox)"
BUSYBOX="$HOST_BUSYBOX"
if readelf -l "$BUSYBOX" 2>/dev/null | grep -q 'program interpreter'; then
	setup_fail "$BUSYBOX is not statically linked (install busybox-static)"
fi

# --- kernel ------------------------------------------------------------------
if [[ -n "${HWSTATS_VM_KERNEL_DIR:-}" ]]; then
	# A kernel built elsewhere (scripts/debug-kernel.sh), laid out as
	# fetch-kernel.sh lays out its cache entries.
	kdir="$(cd "$HWSTATS_VM_KERNEL_DIR" 2>/dev/null && pwd)" ||
		setup_fail "HWSTATS_VM_KERNEL_DIR=$HWSTATS_VM_KERNEL_DIR is not a directory"
	[[ -f "$kdir/abi" && -d "$kdir/root" ]] ||
		setup_fail "HWSTATS_VM_KERNEL_DIR needs abi, vmlinux or vmlinuz, and root/lib/modules/<abi>"
else
	kdir="$("$TOP/scripts/fetch-kernel.sh" -q "$series" | tail -n1)" ||
		setup_fail "cannot fetch kernel series $series"
fi
abi="$(cat "$kdir/abi")"
if [[ "$garch" != amd64 ]]; then
	# fetch-kernel.sh unpacks that architecture's busybox-static beside
	# the kernel.
	BUSYBOX="$kdir/userland/bin/busybox"
	[[ -x "$BUSYBOX" ]] || setup_fail "no $garch busybox in $kdir/userland (scripts/fetch-kernel.sh $series)"
fi
# The unpacked ELF vmlinux boots through PVH, skipping the bzImage
# decompression (seconds under TCG); HWSTATS_VM_BZIMAGE=1 forces vmlinuz.
if [[ -f "$kdir/vmlinux" && "${HWSTATS_VM_BZIMAGE:-0}" != 1 ]]; then
	kernel_img="$kdir/vmlinux"
else
	kernel_img="$(readlink -f "$kdir/vmlinuz")"
fi
modroot="$(readlink -f "$kdir/root")"
cache="$(mkdir -p "${HWSTATS_CACHE:-$TOP/.cache}" && cd "${HWSTATS_CACHE:-$TOP/.cache}" && pwd)"
mkdir -p "$cache/vm"
[[ -f "$kernel_img" ]] || setup_fail "no kernel image in $kdir"

# --- out directory -------------------------------------------------------------
MARK=.hwstats-vm-out
if [[ -z "$out" ]]; then
	out="$HERE/out/$name-$series"
fi
if [[ -d "$out" ]] && [[ -n "$(ls -A "$out")" ]]; then
	# Only empty a directory this harness created, never an arbitrary one.
	[[ -f "$out/$MARK" ]] ||
		setup_fail "--out $out is not empty and was not made by this harness"
	find "$out" -mindepth 1 -delete
fi
mkdir -p "$out"
out="$(cd "$out" && pwd)"
: >"$out/$MARK"

work="$(mktemp -d "${TMPDIR:-/tmp}/hwstats-vm.XXXXXX")"
qpid=""
# shellcheck disable=SC2317 # called through the EXIT trap
cleanup() {
	if [[ -n "$qpid" ]] && kill -0 "$qpid" 2>/dev/null; then
		kill -TERM "$qpid" 2>/dev/null || true
		wait "$qpid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
# shellcheck disable=SC2317 # called through the INT and TERM traps
interrupted() {
	echo "vm: $name on ${abi:-$series}: FAIL (interrupted)"
	exit "$1"
}
trap 'interrupted 130' INT
trap 'interrupted 143' TERM

# --- initramfs -----------------------------------------------------------------
rd="$work/root"
mkdir -p "$rd"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,out,ko,extra,root,lib/modules/boot}
# busybox and its applet links: built once per busybox binary in the cache
# (hundreds of ln calls take seconds), then copied in one go.
bb_sum="$(sha256sum "$BUSYBOX" | cut -c1-16)"
bb_tree="$cache/vm/busybox-$bb_sum"
if [[ ! -x "$bb_tree/bin/busybox" ]]; then
	bb_tmp="$(mktemp -d "$cache/vm/busybox.XXXXXX")"
	chmod 755 "$bb_tmp"
	mkdir -p "$bb_tmp/bin"
	cp "$BUSYBOX" "$bb_tmp/bin/busybox"
	while read -r applet; do
		[[ -n "$applet" && ! -e "$bb_tmp/$applet" ]] || continue
		mkdir -p "$bb_tmp/$(dirname "$applet")"
		ln -s /bin/busybox "$bb_tmp/$applet"
	done < <("$HOST_BUSYBOX" --list-full)
	[[ -e "$bb_tmp/bin/sh" ]] || ln -s busybox "$bb_tmp/bin/sh"
	if ! mv -T "$bb_tmp" "$bb_tree" 2>/dev/null; then
		rm -rf "$bb_tmp" # a parallel run made it first
	fi
fi
cp -a "$bb_tree/." "$rd/"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$rd/etc/passwd"
printf 'root:x:0:\n' >"$rd/etc/group"
printf 'hwstats-vm\n' >"$rd/etc/hostname"

# Uncompress a module into the initramfs (busybox insmod takes plain .ko).
put_module() { # SRC DEST
	case "$1" in
	*.ko) cp "$1" "$2" ;;
	*.ko.xz) xz -dc "$1" >"$2" ;;
	*.ko.zst) zstd -qdc "$1" >"$2" ;;
	*.ko.gz) gzip -dc "$1" >"$2" ;;
	*) setup_fail "unknown module format: $1" ;;
	esac
}

# Modules to load at boot, in order: dependencies come from modules.dep via
# modprobe --show-depends; built-in ones are skipped.
declare -A boot_seen=()
boot_list=()
builtin_list=()
add_boot_module() { # NAME
	local line path base
	local deps
	deps="$(modprobe -d "$modroot" -S "$abi" --show-depends "$1" 2>&1)" ||
		setup_fail "module $1 not found for $abi: $deps"
	while read -r line; do
		case "$line" in
		builtin\ *) builtin_list+=("${line#builtin }") ;;
		insmod\ *)
			path="${line#insmod }"
			path="${path%% *}"
			base="$(basename "$path")"
			base="${base%%.ko*}"
			[[ -z "${boot_seen[$base]:-}" ]] || continue
			boot_seen[$base]=1
			put_module "$path" "$rd/lib/modules/boot/$base.ko"
			boot_list+=("$base")
			;;
		esac
	done <<<"$deps"
}
for m in virtio_pci 9pnet_virtio 9p; do
	add_boot_module "$m"
done

# Project modules.
ko_count=0
if [[ -n "${HWSTATS_KO_DIR:-}" ]]; then
	[[ -d "$HWSTATS_KO_DIR" ]] || setup_fail "HWSTATS_KO_DIR=$HWSTATS_KO_DIR is not a directory"
	declare -A project_mods=()
	kos=()
	while IFS= read -r -d '' ko; do
		kos+=("$ko")
		b="$(basename "$ko" .ko)"
		project_mods[$b]=1
		project_mods[${b//-/_}]=1
	done < <(find "$HWSTATS_KO_DIR" -maxdepth 1 -name '*.ko' -type f -print0 | sort -z)
	for ko in "${kos[@]}"; do
		vm="$(modinfo -F vermagic "$ko" 2>/dev/null | awk '{print $1}')"
		[[ "$vm" == "$abi" ]] ||
			setup_fail "$ko was built for '${vm:-?}', but the guest runs $abi (build it against \$(scripts/kdir.sh $series))"
		cp "$ko" "$rd/ko/"
		ko_count=$((ko_count + 1))
		# In-tree modules the project modules need are loaded at boot.
		IFS=',' read -r -a kdeps <<<"$(modinfo -F depends "$ko" 2>/dev/null || true)"
		for d in "${kdeps[@]}"; do
			[[ -n "$d" && -z "${project_mods[$d]:-}" ]] || continue
			add_boot_module "$d"
		done
	done
fi
printf '%s\n' "${boot_list[@]}" >"$rd/lib/modules/boot.list"

# Copy the shared libraries (and loader) a dynamic executable needs.
add_elf_deps() { # FILE
	readelf -l "$1" 2>/dev/null | grep -q 'program interpreter' || return 0
	echo "vm: note: $(basename "$1") is dynamically linked; copying its libraries" >&2
	local lib
	while read -r lib; do
		[[ -n "$lib" && -e "$lib" && ! -e "$rd$lib" ]] || continue
		mkdir -p "$rd$(dirname "$lib")"
		cp -L "$lib" "$rd$lib"
	done < <(ldd "$1" 2>/dev/null | grep -o '/[^ ]*' | sort -u)
}

bin_count=0
if [[ -n "${HWSTATS_BIN_DIR:-}" ]]; then
	[[ -d "$HWSTATS_BIN_DIR" ]] || setup_fail "HWSTATS_BIN_DIR=$HWSTATS_BIN_DIR is not a directory"
	while IFS= read -r -d '' b; do
		[[ -x "$b" ]] || continue
		rm -f "$rd/usr/bin/$(basename "$b")"
		cp -L "$b" "$rd/usr/bin/"
		add_elf_deps "$b"
		bin_count=$((bin_count + 1))
	done < <(find -L "$HWSTATS_BIN_DIR" -maxdepth 1 -type f -print0 | sort -z)
fi

cp "$scenario" "$rd/scenario.sh"
cp "$HERE/guest-lib.sh" "$rd/guest-lib.sh"
for f in "${extras[@]}"; do
	cp -a -L "$f" "$rd/extra/"
done

cat >"$rd/init" <<'EOF'
#!/bin/sh
# initramfs /init for the hwstats VM harness.
export PATH=/usr/bin:/usr/sbin:/bin:/sbin HOME=/root TMPDIR=/tmp
say() { echo "vm-init: $*"; }
halt_now() {
	sync
	poweroff -f
	echo o >/proc/sysrq-trigger
	sleep 5
}
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp
hostname -F /etc/hostname
for m in $(cat /lib/modules/boot.list); do
	insmod "/lib/modules/boot/$m.ko" || say "insmod $m failed"
done
if ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 hostout /out; then
	say "cannot mount hostout on /out"
	halt_now
fi
say "running scenario"
cd /out
# Into a file, not through a pipe: a process the scenario left running
# (a backgrounded recorder after a fail) would hold a pipe open and keep
# the guest up until the timeout.
OUT=/out KO=/ko sh /scenario.sh </dev/null >/out/scenario.log 2>&1
echo $? >/tmp/scenario.status
cat /out/scenario.log
rc=$(cat /tmp/scenario.status 2>/dev/null || echo 255)
dmesg >/out/dmesg.log 2>/dev/null
echo "$rc" >/out/status
say "scenario exited with status $rc"
cd /
sync
umount /out 2>/dev/null
halt_now
EOF
chmod 755 "$rd/init" "$rd/scenario.sh"

initrd="$work/initrd.cpio"
(cd "$rd" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc -R 0:0 --quiet >"$initrd") ||
	setup_fail "cpio failed"

# --- boot ----------------------------------------------------------------------
console="$out/console.log"
STRIP_ESC='s/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1bc//g; s/\r$//'
case "$garch" in
amd64)
	cmdline="console=ttyS0 tsc=reliable 8250.nr_uarts=1"
	machine=(-cpu max)
	;;
i386)
	# qemu-system-i386's "max" CPU claims an AMD vendor, which the 32-bit
	# kernel answers with "WARNING: This combination of AMD processors is
	# not suitable for SMP".
	cmdline="console=ttyS0 tsc=reliable 8250.nr_uarts=1"
	machine=(-cpu "max,vendor=GenuineIntel")
	;;
arm64)
	# virt's PL011 is the console; its PCIe host carries virtio-9p.
	cmdline="console=ttyAMA0"
	machine=(-M virt -cpu max)
	;;
esac
cmdline+=" panic=-1 oops=panic loglevel=5 printk.time=1"
cmdline+=" rdinit=/init mitigations=off audit=0 nokaslr"
cmdline+=" rcupdate.rcu_cpu_stall_timeout=60"
# A scenario may need the kernel booted its way (slab poisoning, ...).
scenario_append="$(sed -n 's/^# vm-append: //p' "$scenario" | head -n1)"
[[ -n "$scenario_append" ]] && cmdline+=" $scenario_append"
[[ -n "$append_extra" ]] && cmdline+=" $append_extra"

qemu=("$qemu_bin" "${machine[@]}" -accel tcg -smp "$cpus" -m "$mem"
	-nodefaults -no-user-config -nographic -no-reboot
	-serial stdio -monitor none
	-kernel "$kernel_img" -initrd "$initrd" -append "$cmdline"
	-fsdev "local,id=hostout,path=${out//,/,,},security_model=none"
	-device "virtio-9p-pci,fsdev=hostout,mount_tag=hostout")
# HWSTATS_VM_ROOTFS=DIR: DIR shared read-only (9p tag "rootfs") for a
# scenario to mount itself, e.g. the tree scripts/build-rootfs.sh makes.
if [[ -n "${HWSTATS_VM_ROOTFS:-}" ]]; then
	[[ -d "$HWSTATS_VM_ROOTFS" ]] ||
		setup_fail "HWSTATS_VM_ROOTFS $HWSTATS_VM_ROOTFS is not a directory"
	qemu+=(-fsdev "local,id=rootfs,path=${HWSTATS_VM_ROOTFS//,/,,},security_model=none,readonly=on"
		-device "virtio-9p-pci,fsdev=rootfs,mount_tag=rootfs")
fi

printf '%q ' "${qemu[@]}" >"$out/qemu.cmd"
echo >>"$out/qemu.cmd"
echo "vm: $name on $abi: booting (${cpus} cpus, ${mem} MB, ${ko_count} ko, ${bin_count} bin, timeout ${timeout_s}s)" >&2

# A kernel that fails while it boots, before the initramfs has run any of
# our code (no "vm-init: running scenario" on the console), is booted once
# more: under TCG the stock kernels very rarely take an int3 Oops while
# patching their own text at boot (seen once in some hundreds of boots, in
# sched_clock_cpu() during an early initcall). A second failure, or any
# failure after our code started, is the verdict.
attempt=1
while :; do
start=$(date +%s.%N)
timeout -k 5 "$timeout_s" "${qemu[@]}" </dev/null >"$console" 2>&1 &
qpid=$!
tailpid=""
if ((verbose)); then
	# SeaBIOS writes terminal resets (ESC c) to the serial port: drop them.
	tail -n +1 -f --pid="$qpid" "$console" | sed -u "$STRIP_ESC" &
	tailpid=$!
fi
set +e
wait "$qpid"
qrc=$?
set -e
qpid=""
if [[ -n "$tailpid" ]]; then
	wait "$tailpid" 2>/dev/null || true
fi
end=$(date +%s.%N)
elapsed="$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.1f", b-a}')"
echo "$elapsed" >"$out/wall-seconds"

# --- verdict -------------------------------------------------------------------
# Kernel lines carry a printk timestamp: only they are checked, so a scenario
# printing one of these words itself does not trip the check. dmesg.log holds
# every level, including those below the console loglevel.
BAD='Oops|BUG:|WARNING:|soft lockup|hard LOCKUP|Kernel panic|general protection fault|Call Trace|RCU stall|self-detected stall|detected stalls|UBSAN|KASAN|kernel BUG|blocked for more than'
bad_lines="$(
	{
		grep -a -E '\[ *[0-9]+\.[0-9]+\]' "$console" 2>/dev/null
		cat "$out/dmesg.log" 2>/dev/null
	} | grep -a -E "$BAD" | tr -d '\r' | awk '!seen[$0]++' | head -n 40 || true
)"
# QEMU's TCG occasionally breaks the kernel's own boot (seen on 7.x: an int3
# Oops in the scheduler while the kernel patches its text, before init);
# that says nothing about hwstats, so such a boot is tried up to 3 times.
if ((attempt < 3)) && [[ ! -f "$out/status" ]] &&
	! grep -a -q 'vm-init: running scenario' "$console" &&
	[[ -n "$bad_lines" ]]; then
	mv "$console" "$out/console-failed-boot.log"
	echo "vm: $name on $abi: the kernel failed while booting, before any hwstats code ran ($(grep -a -o -E "$BAD" <<<"$bad_lines" | head -n1)); console in $out/console-failed-boot.log; booting again (boot $((attempt + 1)) of 3)" >&2
	attempt=$((attempt + 1))
	continue
fi
break
done

status=""
if [[ -f "$out/status" ]]; then
	status="$(tr -dc '0-9' <"$out/status")"
fi

reason=""
rc=0
if [[ -n "$bad_lines" ]]; then
	first="$(grep -o -E "$BAD" <<<"$bad_lines" | head -n1)"
	reason="kernel: $first"
	rc=126
elif ((qrc == 124 || qrc == 137)); then
	reason="timeout after ${timeout_s}s"
	rc=124
elif [[ -z "$status" ]]; then
	reason="no status: the guest stopped without reporting one (qemu exit $qrc)"
	rc=127
elif ((status != 0)); then
	reason="status $status"
	rc=$status
fi

# The scenario's own output.
if ((!verbose)) && [[ -f "$out/scenario.log" ]]; then
	nlines=$(wc -l <"$out/scenario.log")
	echo "----- $name output ($out/scenario.log) -----"
	if ((nlines > 400)); then
		echo "[... $((nlines - 400)) earlier lines in $out/scenario.log ...]"
		tail -n 400 "$out/scenario.log"
	else
		cat "$out/scenario.log"
	fi
	echo "-----"
fi

if ((rc == 0)); then
	echo "vm: $name on $abi: PASS (${elapsed}s)"
	exit 0
fi
if [[ -n "$bad_lines" ]]; then
	echo "vm: kernel problem lines:" >&2
	while IFS= read -r l; do printf '    %s\n' "$l"; done <<<"$bad_lines" >&2
fi
if ((!verbose)); then
	echo "----- console tail ($console) -----" >&2
	tail -n 60 "$console" | tr -d '\r' | sed "$STRIP_ESC" >&2
	echo "-----" >&2
fi
echo "vm: $name on $abi: FAIL ($reason)"
exit "$rc"
