#!/usr/bin/env bash
# Install the Debian packages hwstats needs to build, test and run the VM
# harness. Idempotent: when everything is present it only asks dpkg-query and
# returns at once; apt-get runs only for what is missing.
#
# Usage: scripts/deps.sh [--check] [--bench] [--arm64 | --i386]
#   --check   only report missing packages (exit 1 if any), install nothing
#   --bench   also what only the benchmarks need (libbpf, bpftool)
#   --arm64   also the arm64 cross compiler and QEMU (make test-arm64)
#   --i386    also gcc-multilib (make test-i386; it removes the arm64
#             cross compiler, which conflicts with it in Debian)
set -euo pipefail

PACKAGES=(
	build-essential
	gcc-12
	pkg-config
	libzstd-dev
	libcmocka-dev
	linux-headers-amd64
	qemu-system-x86
	dkms
	busybox-static
	cpio
	gzip
	zstd
	xz-utils
	sparse
	clang
	libclang-rt-14-dev
	dwarves
	kmod
	bc
	flex
	bison
	libelf-dev
	shellcheck
	ca-certificates
	debian-archive-keyring
	help2man
	curl
	prometheus
	prometheus-node-exporter
	python3-numpy
	python3-pandas
)
# Only the benchmarks use libbpf (the BPF ring-buffer peer).
BENCH_PACKAGES=(
	libbpf-dev
	bpftool
)
# make test-arm64 and make test-i386 only. Debian's gcc-multilib and its
# arm64 cross compiler exclude each other (installing one removes the
# other), so neither is in the list make test installs.
ARM64_PACKAGES=(
	qemu-system-arm
	gcc-aarch64-linux-gnu
	libc6-dev-arm64-cross
)
I386_PACKAGES=(
	gcc-multilib
)

check_only=0
for arg in "$@"; do
	case "$arg" in
	--check) check_only=1 ;;
	--bench) PACKAGES+=("${BENCH_PACKAGES[@]}") ;;
	--arm64) PACKAGES+=("${ARM64_PACKAGES[@]}") ;;
	--i386) PACKAGES+=("${I386_PACKAGES[@]}") ;;
	-h | --help)
		awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"
		exit 0
		;;
	*)
		echo "deps.sh: unknown argument: $arg" >&2
		exit 2
		;;
	esac
done

# One dpkg-query call for all packages; a package that is not known at all
# produces no line, so compare against the full list.
declare -A installed=()
while read -r name status; do
	[[ "$status" == ii* ]] && installed["$name"]=1
done < <(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${PACKAGES[@]}" 2>/dev/null || true)

missing=()
for p in "${PACKAGES[@]}"; do
	[[ -n "${installed[$p]:-}" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
	exit 0
fi

echo "deps.sh: missing packages: ${missing[*]}" >&2
if ((check_only)); then
	exit 1
fi

SUDO=()
if [[ "$(id -u)" != 0 ]]; then
	if ! command -v sudo >/dev/null 2>&1; then
		echo "deps.sh: not root and sudo not available" >&2
		exit 1
	fi
	SUDO=(sudo)
fi

export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
	apt-get install -y -q --no-install-recommends "${missing[@]}"
