#!/usr/bin/env bash
# Build a debug kernel from Debian's 6.1 source and run the VM scenarios on
# it: KASAN (out-of-bounds, use-after-free, vmalloc'd memory too), lockdep
# (PROVE_LOCKING, PROVE_RCU), DEBUG_ATOMIC_SLEEP with full preemption,
# DEBUG_OBJECTS for timers and work, and kmemleak, scanned after every
# scenario. The configuration is allnoconfig plus what the harness needs
# (below), so the build takes minutes, not hours.
#
# Usage: scripts/debug-kernel.sh [build|test] [SCENARIO...]
#   build          fetch and build the kernel only; prints its directory
#   test           (default) build if needed, build the modules against it,
#                  run the scenarios (default: every tests/vm/scenarios/*.sh)
# Environment:
#   HWSTATS_CACHE        cache (default <repo top>/.cache)
#   DEBUG_KERNEL_JOBS    make -j (default: the number of CPUs)
#   DEBUG_KERNEL_TIMEOUT per-scenario VM timeout in seconds (default 3600)
#
# Cache layout:
#   <cache>/linux-source/linux-source-6.1_<ver>_all.deb   (apt-get download)
#   <cache>/debug-kernel/src-<ver>/                        the extracted source
#   <cache>/debug-kernel/obj/<release>/                    the build (a KDIR)
#   <cache>/debug-kernel/<release>/                        what tests/vm/run.sh
#        boots with HWSTATS_VM_KERNEL_DIR: abi, vmlinuz, root/lib/modules/
# The version is that of the installed linux-headers-amd64, so the source
# is the one the 6.1 scenarios' stock kernel was built from.
set -euo pipefail

top="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${HWSTATS_CACHE:-$top/.cache}"
mkdir -p "$cache"
cache="$(cd "$cache" && pwd)"
jobs="${DEBUG_KERNEL_JOBS:-$(nproc)}"
vm_timeout="${DEBUG_KERNEL_TIMEOUT:-3600}"
log() { echo "debug-kernel: $*" >&2; }
die() {
	echo "debug-kernel: error: $*" >&2
	exit 1
}

cmd=test
case "${1:-}" in
build | test)
	cmd="$1"
	shift
	;;
-h | --help)
	awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"
	exit 0
	;;
esac

# The allnoconfig overrides. Options whose dependencies are not met are
# dropped by kconfig: every =y line is checked after configuring.
config_fragment() {
	cat <<'EOF'
CONFIG_LOCALVERSION="-hwstats-debug"
# CONFIG_LOCALVERSION_AUTO is not set
CONFIG_64BIT=y
CONFIG_SMP=y
CONFIG_NR_CPUS=8
CONFIG_HOTPLUG_CPU=y
CONFIG_PREEMPT=y
CONFIG_HIGH_RES_TIMERS=y
CONFIG_NO_HZ_IDLE=y
CONFIG_HYPERVISOR_GUEST=y
CONFIG_PARAVIRT=y
CONFIG_PVH=y
CONFIG_ACPI=y
CONFIG_X86_MPPARSE=y
CONFIG_PCI=y
CONFIG_BINFMT_ELF=y
CONFIG_BINFMT_SCRIPT=y
CONFIG_BLK_DEV_INITRD=y
CONFIG_DEVTMPFS=y
CONFIG_PROC_FS=y
CONFIG_PROC_SYSCTL=y
CONFIG_SYSFS=y
CONFIG_TMPFS=y
CONFIG_TTY=y
CONFIG_UNIX98_PTYS=y
CONFIG_SERIAL_8250=y
CONFIG_SERIAL_8250_CONSOLE=y
CONFIG_MODULES=y
CONFIG_MODULE_UNLOAD=y
CONFIG_KALLSYMS=y
CONFIG_KALLSYMS_ALL=y
CONFIG_PRINTK=y
CONFIG_PRINTK_TIME=y
CONFIG_MAGIC_SYSRQ=y
CONFIG_DEBUG_FS=y
CONFIG_DEBUG_FS_ALLOW_ALL=y
CONFIG_RELAY=y
CONFIG_VIRTIO_MENU=y
CONFIG_VIRTIO_PCI=y
CONFIG_NET=y
CONFIG_INET=y
CONFIG_UNIX=y
CONFIG_NETDEVICES=y
CONFIG_NAMESPACES=y
CONFIG_NET_NS=y
CONFIG_NET_9P=y
CONFIG_NET_9P_VIRTIO=y
CONFIG_NETWORK_FILESYSTEMS=y
CONFIG_9P_FS=y
CONFIG_DEBUG_KERNEL=y
CONFIG_DEBUG_INFO_NONE=y
CONFIG_STACKTRACE=y
CONFIG_UNWINDER_FRAME_POINTER=y
CONFIG_KASAN=y
CONFIG_KASAN_GENERIC=y
CONFIG_KASAN_INLINE=y
CONFIG_KASAN_VMALLOC=y
CONFIG_PROVE_LOCKING=y
CONFIG_PROVE_RCU=y
CONFIG_DEBUG_ATOMIC_SLEEP=y
CONFIG_DEBUG_PREEMPT=y
CONFIG_DEBUG_LIST=y
CONFIG_DEBUG_OBJECTS=y
CONFIG_DEBUG_OBJECTS_FREE=y
CONFIG_DEBUG_OBJECTS_TIMERS=y
CONFIG_DEBUG_OBJECTS_WORK=y
CONFIG_DEBUG_OBJECTS_RCU_HEAD=y
CONFIG_DEBUG_KMEMLEAK=y
CONFIG_DEBUG_KMEMLEAK_MEM_POOL_SIZE=16000
# CONFIG_DEBUG_KMEMLEAK_DEFAULT_OFF is not set
# CONFIG_DEBUG_KMEMLEAK_AUTO_SCAN is not set
CONFIG_SOFTLOCKUP_DETECTOR=y
CONFIG_DETECT_HUNG_TASK=y
EOF
}

# --- source ------------------------------------------------------------------
ver="$(dpkg-query -W -f='${Version}' linux-headers-amd64 2>/dev/null || true)"
[[ -n "$ver" ]] || die "linux-headers-amd64 is not installed (run scripts/deps.sh)"
series="$(dpkg-query -W -f='${Depends}' linux-headers-amd64 |
	grep -o 'linux-headers-[0-9]*\.[0-9]*' | head -n1 | sed 's/linux-headers-//')"
[[ "$series" == 6.1 ]] || die "linux-headers-amd64 is of series '$series', not 6.1"
debdir="$cache/linux-source"
deb="$debdir/linux-source-6.1_${ver}_all.deb"
if [[ ! -f "$deb" ]]; then
	log "downloading linux-source-6.1=$ver"
	mkdir -p "$debdir"
	apt_opts=()
	[[ "$(id -u)" != 0 ]] || apt_opts=(-o APT::Sandbox::User=root)
	(cd "$debdir" && timeout 1800 apt-get "${apt_opts[@]}" -q download "linux-source-6.1=$ver") >&2 ||
		die "cannot download linux-source-6.1=$ver"
fi
dk="$cache/debug-kernel"
src="$dk/src-$ver"
if [[ ! -f "$src/.extracted" ]]; then
	log "extracting $(basename "$deb")"
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	dpkg-deb --fsys-tarfile "$deb" |
		tar -xO --wildcards '*/linux-source-6.1.tar.xz' |
		tar -xJ -C "$src.tmp"
	mv "$src.tmp/linux-source-6.1" "$src"
	rmdir "$src.tmp"
	: >"$src/.extracted"
fi

# --- configure and build -----------------------------------------------------
release="$(make -s -C "$src" kernelversion)-hwstats-debug"
obj="$dk/obj/$release"
kdir="$dk/$release"
mkdir -p "$obj"
frag="$obj/hwstats-debug.fragment"
config_fragment >"$frag.new"
if ! cmp -s "$frag.new" "$frag" || [[ ! -f "$obj/.config" ]]; then
	log "configuring $release in $obj"
	mv "$frag.new" "$frag"
	KCONFIG_ALLCONFIG="$frag" make -s -C "$src" O="$obj" allnoconfig >/dev/null
	rm -f "$obj/.built"
else
	rm -f "$frag.new"
fi
missing="$(grep -E '^CONFIG_[A-Z0-9_]+=y$' "$frag" | while read -r l; do
	grep -qx "$l" "$obj/.config" || echo "${l%=y}"
done)"
[[ -z "$missing" ]] || die "kconfig dropped (unmet dependencies): $(echo $missing)"

# The compressed bzImage is what boots: entered through PVH, the ELF
# vmlinux runs KASAN-instrumented C code (xen_prepare_pvh) before the KASAN
# shadow exists and triple-faults.
if [[ ! -f "$kdir/vmlinuz" || "$obj/arch/x86/boot/bzImage" -nt "$kdir/vmlinuz" ||
	! -f "$obj/.built" ]]; then
	log "building $release with -j$jobs (KASAN, lockdep, kmemleak; this takes a while)"
	t0=$(date +%s)
	make -s -C "$src" O="$obj" -j"$jobs" bzImage modules >"$obj/build.log" 2>&1 || {
		tail -n 40 "$obj/build.log" >&2
		die "kernel build failed (log: $obj/build.log)"
	}
	rm -rf "$kdir"
	mkdir -p "$kdir/root"
	make -s -C "$src" O="$obj" INSTALL_MOD_PATH="$kdir/root" modules_install >>"$obj/build.log" 2>&1 ||
		die "modules_install failed (log: $obj/build.log)"
	cp "$obj/arch/x86/boot/bzImage" "$kdir/vmlinuz"
	printf '%s\n' "$release" >"$kdir/abi"
	echo "$(($(date +%s) - t0))" >"$obj/.built"
	log "built in $(cat "$obj/.built") s"
fi

if [[ "$cmd" == build ]]; then
	echo "$kdir"
	exit 0
fi

# --- modules and scenarios ---------------------------------------------------
cd "$top"
make --no-print-directory -s static >/dev/null || die "make static failed"
make --no-print-directory -s modules KDIR="$obj" >/dev/null ||
	die "building the modules against $obj failed"
ko="$top/build/kmod/$release"
bin="$top/build/vm-bin-debug"
rm -rf "$bin" && mkdir -p "$bin"
cp build/static/bin/* build/static/vmtools/* "$bin/"

if (($#)); then
	scenarios=()
	for s in "$@"; do scenarios+=("tests/vm/scenarios/${s%.sh}.sh"); done
else
	scenarios=(tests/vm/scenarios/*.sh)
fi

# PCI interrupt routing from the MP table (X86_MPPARSE), not ACPI's _PRT
# method: with every checker on, the emulated CPU interprets that too slowly
# for ACPICA's loop timeout, and virtio-pci (the 9p share) is left without
# an interrupt.
append="pci=noacpi"
work="$(mktemp -d "${TMPDIR:-/tmp}/hwstats-debug.XXXXXX")"
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
failures=()
for sc in "${scenarios[@]}"; do
	[[ -f "$sc" ]] || die "no scenario $sc"
	name="$(basename "$sc" .sh)"
	# The scenario itself, then a kmemleak scan: a leak with hwstats in
	# its report fails the run (after rmmod a module's frames are bare
	# addresses: those count too). kmemleak reports an object only after
	# it has been unreferenced for 5 s, hence two scans.
	cat >"$work/$name.sh" <<EOF
#!/bin/sh
st=0
sh "/extra/$name.sh" || st=\$?
echo "debug-kernel: scenario exited with status \$st; scanning for leaks"
leaks=/sys/kernel/debug/kmemleak
if [ -w \$leaks ] && echo scan >\$leaks && sleep 6 && echo scan >\$leaks &&
	cat \$leaks >"\$OUT/kmemleak.txt"; then
	n=\$(grep -c '^unreferenced object' "\$OUT/kmemleak.txt" || true)
	ours=\$(awk '/^unreferenced object/ { obj = \$0 } (/hwstats/ || /\] 0x[0-9a-f]+\$/) && obj { print obj; obj = "" }' "\$OUT/kmemleak.txt" | wc -l)
	echo "debug-kernel: kmemleak: \$n unreferenced objects, \$ours with hwstats in the backtrace"
	if [ "\$ours" -gt 0 ]; then
		cat "\$OUT/kmemleak.txt"
		[ "\$st" -ne 0 ] || st=1
	fi
else
	echo "debug-kernel: kmemleak is not available or did not scan" >&2
	[ "\$st" -ne 0 ] || st=1
fi
exit \$st
EOF
	start=$(date +%s)
	if HWSTATS_VM_KERNEL_DIR="$kdir" HWSTATS_KO_DIR="$ko" HWSTATS_BIN_DIR="$bin" \
		bash tests/vm/run.sh --timeout "$vm_timeout" --mem 2048 --append "$append" \
		--out "tests/vm/out/$name-debug" "$work/$name.sh" "$sc"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failures+=("$name")
	fi
	echo "debug-kernel: $name took $(($(date +%s) - start)) s"
done
for f in "${failures[@]}"; do echo "debug-kernel: failed: $f"; done
echo "debug-kernel: $passed passed, $failed failed on $release"
((failed == 0))
