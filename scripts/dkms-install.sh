#!/usr/bin/env bash
# Install the kernel modules as a DKMS package, so that they are rebuilt
# for every kernel installed later.
#
# Usage: scripts/dkms-install.sh [options]
#   -k, --kernel KVER  build and install for KVER (default: the running
#                      kernel); its headers must be installed
#   -n, --no-install   add and build only: check that the sources build
#                      against KVER's headers, install nothing in /lib/modules
#   -r, --remove       remove the package from every kernel, and its sources
#   --kernelsourcedir DIR  build against the kernel build tree DIR instead
#                      of /lib/modules/KVER/build (with -k; e.g. a tree from
#                      scripts/kdir.sh)
#   --root DIR         keep DKMS's trees under DIR (DIR/src, DIR/dkms,
#                      DIR/modules) instead of /usr/src, /var/lib/dkms and
#                      /lib/modules: for trying it out without touching the
#                      system
#   -h, --help         this text
#
# The sources go to <src>/hwstats-<version>: kmod/ copied with its links
# resolved, so that hwstats_abi.h (a link to formats/ in this tree) is a
# real file there. <version> is the VERSION file's, which kmod/dkms.conf
# and the module itself must agree with.
# Exit status: 0 done; 1 a DKMS step failed; 2 bad usage or setup.
set -euo pipefail

top="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prog=dkms-install.sh

usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}"; }
die() {
	echo "$prog: $*" >&2
	exit 2
}

kver=""
ksrc=""
install=1
remove=0
root=""
while (($#)); do
	case "$1" in
	-k | --kernel)
		[[ $# -ge 2 && -n "$2" ]] || die "$1 needs a kernel version"
		kver="$2"
		shift 2
		;;
	-n | --no-install)
		install=0
		shift
		;;
	-r | --remove)
		remove=1
		shift
		;;
	--kernelsourcedir)
		[[ $# -ge 2 && -d "$2" ]] || die "$1 needs a kernel build directory"
		ksrc="$(cd "$2" && pwd)"
		shift 2
		;;
	--root)
		[[ $# -ge 2 && -n "$2" ]] || die "$1 needs a directory"
		root="$(mkdir -p "$2" && cd "$2" && pwd)"
		shift 2
		;;
	-h | --help)
		usage
		exit 0
		;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
done

command -v dkms >/dev/null || die "dkms not found (apt install dkms)"
version="$(tr -d '[:space:]' <"$top/VERSION")"
conf_version="$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/kmod/dkms.conf")"
mod_version="$(sed -n 's/^#define HWSTATS_MODULE_VERSION "\(.*\)"$/\1/p' "$top/kmod/hwstats_internal.h")"
[[ "$conf_version" == "$version" && "$mod_version" == "$version" ]] ||
	die "versions disagree: VERSION $version, kmod/dkms.conf ${conf_version:-?}, HWSTATS_MODULE_VERSION ${mod_version:-?}"

srctree=/usr/src
dkmstree=/var/lib/dkms
dkms_opts=()
if [[ -n "$root" ]]; then
	srctree="$root/src"
	dkmstree="$root/dkms"
	# dkms installs only for a kernel whose module directory exists.
	mkdir -p "$root/src" "$root/dkms" "$root/modules/${kver:-$(uname -r)}"
	# --no-depmod: depmod would index the system's /lib/modules.
	dkms_opts=(--sourcetree "$root/src" --dkmstree "$root/dkms"
		--installtree "$root/modules" --no-depmod)
elif ((EUID != 0)); then
	die "needs root (or --root DIR to try it out)"
fi
src="$srctree/hwstats-$version"

if dkms status "${dkms_opts[@]}" -m hwstats -v "$version" 2>/dev/null | grep -q .; then
	# Re-adding a version DKMS knows fails: start from a clean slate.
	dkms remove "${dkms_opts[@]}" -m hwstats -v "$version" --all >/dev/null
fi
if ((remove)); then
	rm -rf "$src"
	echo "$prog: hwstats $version removed"
	exit 0
fi

rm -rf "$src"
mkdir -p "$src"
cp -L "$top"/kmod/*.c "$top"/kmod/*.h "$top/kmod/Kbuild" "$top/kmod/dkms.conf" "$src/"
[[ -f "$src/hwstats_abi.h" && ! -L "$src/hwstats_abi.h" ]] ||
	die "$src/hwstats_abi.h is not a regular file"

kopt=()
[[ -n "$kver" ]] && kopt=(-k "$kver")
if [[ -n "$ksrc" ]]; then
	[[ -n "$kver" ]] || die "--kernelsourcedir needs -k KVER"
	kopt+=(--kernelsourcedir "$ksrc")
fi
step() {
	echo "$prog: dkms $*"
	if ! dkms "$@"; then
		echo "$prog: dkms $1 failed; its log is under $dkmstree/hwstats/$version/" >&2
		exit 1
	fi
}
step add "${dkms_opts[@]}" -m hwstats -v "$version"
step build "${dkms_opts[@]}" -m hwstats -v "$version" "${kopt[@]}"
if ((install)); then
	step install "${dkms_opts[@]}" -m hwstats -v "$version" "${kopt[@]}"
fi
dkms status "${dkms_opts[@]}" -m hwstats -v "$version"
