#!/usr/bin/env bash
# Run the kernel's checkpatch.pl on kmod/ (and sparse through the kernel
# build with C=1). checkpatch.pl is taken from Debian's linux-source package
# of the installed headers' series, into the cache; it is not part of
# this tree.
#
# Usage: scripts/checkpatch.sh            checkpatch + sparse, fails on any finding
set -euo pipefail

top="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${HWSTATS_CACHE:-$top/.cache}/checkpatch"
mkdir -p "$cache"

if [[ ! -x "$cache/scripts/checkpatch.pl" ]]; then
	ver="$(dpkg-query -W -f='${Version}' linux-headers-amd64 2>/dev/null || true)"
	series="$(dpkg-query -W -f='${Depends}' linux-headers-amd64 | \
		grep -o 'linux-headers-[0-9.]*' | head -n1 | sed 's/linux-headers-//; s/\.$//')"
	series="$(echo "$series" | cut -d. -f1,2)"
	tmp="$(mktemp -d)"
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && apt-get download -q "linux-source-$series" >/dev/null) || {
		echo "checkpatch: cannot download linux-source-$series" >&2
		exit 1
	}
	dpkg-deb --fsys-tarfile "$tmp"/linux-source-*.deb | \
		tar -x -C "$tmp" --wildcards '*/linux-source-*.tar.xz'
	tar -xJf "$tmp"/usr/src/linux-source-*.tar.xz -C "$tmp" --wildcards \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'
	mkdir -p "$cache/scripts"
	cp "$tmp"/linux-source-*/scripts/{checkpatch.pl,spelling.txt,const_structs.checkpatch} \
		"$cache/scripts/"
	echo "$ver" >"$cache/version"
fi

# Ignored, and why: LINUX_VERSION_CODE (hwstats_compat.h exists to hold
# exactly those tests), BIT_MACRO (the UAPI header cannot use BIT()),
# MACRO_ARG_REUSE (compat accessors of relay's buffer, no side effects),
# CONST_STRUCT (the channel file operations are relay's, copied at init
# with read() replaced, then read-only: __ro_after_init).
cd "$top/kmod"
out="$("$cache/scripts/checkpatch.pl" --no-tree --strict --terse --show-types \
	--ignore LINUX_VERSION_CODE,BIT_MACRO,MACRO_ARG_REUSE,CONST_STRUCT \
	-f ./*.c ./*.h 2>&1 | grep -v '^total: 0 errors, 0 warnings, 0 checks' || true)"
if [[ -n "$out" ]]; then
	echo "$out"
	echo "checkpatch: findings above" >&2
	exit 1
fi
echo "checkpatch: kmod/ clean"
