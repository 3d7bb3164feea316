#!/usr/bin/env bash
# Print the kernel build directory (KDIR) for a kernel series, fetching the
# kernel into the cache first if needed (see scripts/fetch-kernel.sh).
#
# Usage: scripts/kdir.sh 6.1|6.12|latest|6.1-arm64|6.1-686
#   e.g. make -C "$(scripts/kdir.sh 6.12)" M="$PWD/kmod" modules
set -euo pipefail

if (($# != 1)); then
	echo "usage: kdir.sh 6.1|6.12|latest|6.1-arm64|6.1-686" >&2
	exit 2
fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="$("$here/fetch-kernel.sh" -q "$1" | tail -n1)"
[[ -n "$dir" && -d "$dir/build/" ]] || {
	echo "kdir.sh: no build directory for series $1" >&2
	exit 1
}
readlink -f "$dir/build"
