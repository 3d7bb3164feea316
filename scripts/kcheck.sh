#!/usr/bin/env bash
# Static checks of the kernel module: checkpatch.pl, then a build of every
# file under sparse (C=2) with W=1 for each kernel series given (default
# 6.1 6.12). Any warning fails.
set -euo pipefail

top="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$top"
bash scripts/checkpatch.sh
series_list=("$@")
((${#series_list[@]})) || series_list=(6.1 6.12)
for series in "${series_list[@]}"; do
	kdir="$(bash scripts/kdir.sh "$series")"
	tmp="$(mktemp -d)"
	cp -L kmod/*.c kmod/*.h kmod/Kbuild "$tmp/"
	log="$tmp/build.log"
	make -C "$kdir" M="$tmp" C=2 W=1 KCFLAGS=-Werror modules >"$log" 2>&1 || {
		cat "$log"
		echo "kcheck: build for $series failed" >&2
		exit 1
	}
	if grep -E 'warning:|error:' "$log"; then
		echo "kcheck: sparse or compiler findings for $series" >&2
		exit 1
	fi
	echo "kcheck: $series: W=1 and sparse clean"
	rm -rf "$tmp"
done
