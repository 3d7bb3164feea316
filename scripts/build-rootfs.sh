#!/usr/bin/env bash
# Build (once) the Debian 12 tree the peer benchmark runs its tracers from:
# trace-cmd, linux-perf, lttng-tools (lttng, lttng-sessiond,
# lttng-consumerd) and babeltrace2, debootstrapped into the cache. The VM
# harness shares it read-only with the guest (HWSTATS_VM_ROOTFS, see
# tests/vm/README.md); the busybox initramfs stays what the guest boots.
#
# Usage: scripts/build-rootfs.sh          prints the tree's directory
# Environment: HWSTATS_CACHE (default <repo>/.cache), DEBIAN_MIRROR.
# Idempotent: a finished tree (marked by .complete) is reused as it is.
set -euo pipefail

TOP="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${HWSTATS_CACHE:-$TOP/.cache}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
PKGS=trace-cmd,linux-perf,lttng-tools,babeltrace2
DIR="$CACHE/rootfs/bookworm-peers"

if [[ -f "$DIR/.complete" ]]; then
	echo "$DIR"
	exit 0
fi
if ((EUID != 0)); then
	echo "build-rootfs: debootstrap needs root" >&2
	exit 2
fi
command -v debootstrap >/dev/null ||
	env DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >&2
mkdir -p "$CACHE/rootfs"
tmp="$DIR.tmp"
rm -rf "$tmp"
echo "build-rootfs: debootstrap bookworm with $PKGS into $DIR" >&2
nice debootstrap --variant=minbase --include="$PKGS" bookworm "$tmp" "$MIRROR" >&2
# The guest runs the tools under chroot; nothing there needs the
# package caches.
rm -rf "$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/lib/apt/lists/*
for b in trace-cmd perf lttng lttng-sessiond lttng-consumerd babeltrace2; do
	[[ -n "$(chroot "$tmp" sh -c "command -v $b" 2>/dev/null)" ]] ||
		[[ -e "$tmp/usr/bin/$b" || -e "$tmp/usr/lib/x86_64-linux-gnu/lttng/libexec/$b" ]] || {
		echo "build-rootfs: $b missing from the tree" >&2
		exit 1
	}
done
# The mount point of the modules tree the guest gives lttng-sessiond.
mkdir -p "$tmp/usr/lib/modules"
touch "$tmp/.complete"
mv "$tmp" "$DIR"
echo "$DIR"
