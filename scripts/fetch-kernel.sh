#!/usr/bin/env bash
# Fetch a Debian kernel (image, modules and a build tree) into the project
# cache, without installing it on the host, so that the VM test harness can
# boot it and modules can be built against it.
#
# Usage: scripts/fetch-kernel.sh [-q|--quiet] [--refresh] SERIES
#   SERIES     6.1  : the ABI of the installed linux-headers-amd64 (bookworm)
#              6.12 : the newest 6.12 ABI in bookworm-backports
#   -q         no progress messages on stderr (errors are still shown)
#   --refresh  6.12 only: ask bookworm-backports again for the newest ABI
#              even when a 6.12 kernel is already cached
#
# Cache: ${HWSTATS_CACHE:-<repo top>/.cache}/kernel/<abi>/ holding
#   abi       the ABI string (e.g. 6.1.0-56-amd64)
#   vmlinuz   the kernel image (symlink)
#   vmlinux   the same kernel unpacked to ELF, booted through PVH (faster)
#   modules/  the lib/modules/<abi> tree, with modules.dep (symlink)
#   build/    a kernel build tree usable as KDIR (symlink)
#   root/     the extracted packages
# The last (and only) line printed on stdout is that directory.
set -euo pipefail

quiet=0
refresh=0
series=""
while (($#)); do
	case "$1" in
	-q | --quiet) quiet=1 ;;
	--refresh) refresh=1 ;;
	-h | --help)
		awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"
		exit 0
		;;
	-*)
		echo "fetch-kernel.sh: unknown option: $1" >&2
		exit 2
		;;
	*)
		[[ -z "$series" ]] || {
			echo "fetch-kernel.sh: only one SERIES allowed" >&2
			exit 2
		}
		series="$1"
		;;
	esac
	shift
done
case "$series" in
6.1 | 6.12) ;;
"")
	echo "usage: fetch-kernel.sh [-q] [--refresh] 6.1|6.12" >&2
	exit 2
	;;
*)
	echo "fetch-kernel.sh: unsupported series '$series' (use 6.1 or 6.12)" >&2
	exit 2
	;;
esac

log() { ((quiet)) || echo "fetch-kernel: $*" >&2; }
die() {
	echo "fetch-kernel: error: $*" >&2
	exit 1
}

TOP="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${HWSTATS_CACHE:-$TOP/.cache}"
mkdir -p "$CACHE/kernel"
KCACHE="$(cd "$CACHE/kernel" && pwd)"

# Serialise concurrent fetches (parallel test runs share the cache).
exec 9>"$KCACHE/.lock"
if ! flock -w 900 9; then
	die "timed out waiting for $KCACHE/.lock"
fi

APT_ROOT_OPTS=()
if [[ "$(id -u)" == 0 ]]; then
	# Downloads land in a root-owned directory the _apt user cannot write.
	APT_ROOT_OPTS=(-o APT::Sandbox::User=root)
fi

# Private apt configuration for bookworm-backports: never touches /etc/apt or
# the system's package lists.
BP_DIR="$KCACHE/apt-bookworm-backports"
bp_apt() {
	local cmd="$1"
	shift
	timeout 900 "$cmd" \
		-o Dir::Etc::sourcelist="$BP_DIR/sources.list" \
		-o Dir::Etc::sourceparts=- \
		-o Dir::State::Lists="$BP_DIR/lists" \
		-o Dir::Cache="$BP_DIR/cache" \
		-o Debug::NoLocking=1 \
		"${APT_ROOT_OPTS[@]}" \
		"$@"
}
bp_setup() {
	mkdir -p "$BP_DIR/lists/partial" "$BP_DIR/cache/archives/partial"
	local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	[[ -r "$keyring" ]] || die "$keyring missing (package debian-archive-keyring)"
	printf 'deb [signed-by=%s] http://deb.debian.org/debian bookworm-backports main\n' \
		"$keyring" >"$BP_DIR/sources.list"
}

# run_logged LOGFILE CMD...: run quietly, show the log on failure.
run_logged() {
	local logf="$1"
	shift
	if ! "$@" >>"$logf" 2>&1; then
		echo "fetch-kernel: command failed: $*" >&2
		tail -n 30 "$logf" >&2
		return 1
	fi
}

is_complete() { # DIR ABI
	local d="$1" abi="$2"
	[[ -f "$d/.complete" && -f "$d/abi" && "$(cat "$d/abi")" == "$abi" &&
		-e "$d/vmlinuz" && -f "$d/modules/modules.dep" && -d "$d/build/" ]]
}

# Point the 6.12 headers' one-line Makefile at the extracted -common tree.
# Re-checked on every run, since the path is absolute and the cache may move.
fix_612_makefile() { # DIR ABI
	local d="$1" abi="$2"
	local common_name hdr mk want
	hdr="$d/root/usr/src/linux-headers-$abi"
	mk="$hdr/Makefile"
	common_name="$(sed -n 's@^include /usr/src/\(linux-headers-[^/]*-common\)/Makefile$@\1@p' \
		"$hdr/Makefile.debian" 2>/dev/null || true)"
	[[ -n "$common_name" ]] || die "cannot find the -common tree name in $hdr/Makefile.debian"
	want="include $d/root/usr/src/$common_name/Makefile"
	if [[ "$(cat "$mk" 2>/dev/null)" != "$want" ]]; then
		printf '%s\n' "$want" >"$mk"
	fi
}

# Unpack the ELF vmlinux from the bzImage: booted directly through its PVH
# entry point, QEMU skips the firmware's kernel loading and decompression,
# which under TCG saves several seconds per boot. Optional: the harness falls
# back to vmlinuz when it is absent.
make_vmlinux() { # DIR ABI
	local d="$1" abi="$2" img off magic tool tmp pat
	img="$d/root/boot/vmlinuz-$abi"
	[[ -e "$d/vmlinux" || -e "$d/.no-vmlinux" ]] && return 0
	tmp="$d/vmlinux.tmp"
	for magic in xz zstd gzip; do
		case "$magic" in
		xz) tool=(xz -dc) pat=$'\xfd7zXZ' ;;
		zstd) tool=(zstd -qdc) pat=$'\x28\xb5\x2f\xfd' ;;
		gzip) tool=(gzip -dc) pat=$'\x1f\x8b\x08' ;;
		esac
		command -v "${tool[0]}" >/dev/null || continue
		while read -r off; do
			# Trailing data after the stream makes the tools exit non-zero;
			# the check that matters is on the output.
			tail -c +$((off + 1)) "$img" | "${tool[@]}" >"$tmp" 2>/dev/null || true
			if readelf -n "$tmp" 2>/dev/null | grep -q 'Unknown note type: (0x00000012)'; then
				mv "$tmp" "$d/vmlinux"
				log "unpacked vmlinux ($magic) for PVH boot"
				return 0
			fi
		done < <(LC_ALL=C grep -abo "$pat" "$img" 2>/dev/null | cut -d: -f1 | head -n 5)
	done
	rm -f "$tmp"
	log "note: no PVH-capable vmlinux found in $img; the harness will boot vmlinuz"
	: >"$d/.no-vmlinux"
}

# Extract the given .deb files into DIR/root and create the links.
install_tree() { # DIR ABI BUILD_TARGET DEB...
	local d="$1" abi="$2" build_target="$3"
	shift 3
	local deb
	mkdir -p "$d/root"
	for deb in "$@"; do
		log "extracting $(basename "$deb")"
		dpkg -x "$deb" "$d/root"
	done
	[[ -f "$d/root/boot/vmlinuz-$abi" ]] || die "no boot/vmlinuz-$abi in the image package"
	[[ -d "$d/root/lib/modules/$abi/kernel" ]] || die "no lib/modules/$abi in the image package"
	# The packaged build/source links are absolute host paths; make them
	# point inside the extracted tree when it has the headers.
	local m="$d/root/lib/modules/$abi"
	if [[ -d "$d/root/usr/src/linux-headers-$abi" ]]; then
		ln -sfn "../../../usr/src/linux-headers-$abi" "$m/build"
	fi
	log "depmod for $abi"
	depmod -b "$d/root" "$abi"
	ln -sfn "root/boot/vmlinuz-$abi" "$d/vmlinuz"
	make_vmlinux "$d" "$abi"
	ln -sfn "root/lib/modules/$abi" "$d/modules"
	ln -sfn "$build_target" "$d/build"
	printf '%s\n' "$abi" >"$d/abi"
}

fetch_61() {
	local abi ver dir tmp deb pkg
	abi="$(dpkg-query -W -f='${Depends}' linux-headers-amd64 2>/dev/null |
		grep -o 'linux-headers-[^ ,]*-amd64' | head -n1 | sed 's/^linux-headers-//')" || true
	[[ -n "$abi" ]] || die "linux-headers-amd64 is not installed (run scripts/deps.sh)"
	[[ "$abi" == 6.1.* ]] || die "installed linux-headers-amd64 is for $abi, not the 6.1 series"
	[[ -f "/usr/src/linux-headers-$abi/Makefile" ]] ||
		die "/usr/src/linux-headers-$abi missing (run scripts/deps.sh)"
	dir="$KCACHE/$abi"
	if is_complete "$dir" "$abi"; then
		make_vmlinux "$dir" "$abi"
		echo "$dir"
		return 0
	fi
	ver="$(dpkg-query -W -f='${Version}' "linux-headers-$abi")"
	log "fetching linux-image for $abi ($ver)"
	rm -rf "$dir"
	mkdir -p "$dir/debs"
	tmp="$dir/debs"
	local logf="$dir/fetch.log"
	: >"$logf"
	local got=0 try
	for try in 1 2; do
		for pkg in "linux-image-$abi-unsigned=$ver" "linux-image-$abi=$ver" \
			"linux-image-$abi-unsigned" "linux-image-$abi"; do
			if (cd "$tmp" && timeout 900 apt-get "${APT_ROOT_OPTS[@]}" download "$pkg") >>"$logf" 2>&1; then
				got=1
				break 2
			fi
		done
		# The system's lists may be stale: refresh them once and retry.
		if ((try == 1)); then
			log "image not found in the package lists; running apt-get update"
			local sudo=()
			[[ "$(id -u)" == 0 ]] || sudo=(sudo)
			run_logged "$logf" timeout 900 "${sudo[@]}" apt-get update || true
		fi
	done
	((got)) || {
		tail -n 20 "$logf" >&2
		die "could not download linux-image for $abi"
	}
	deb="$(ls "$tmp"/linux-image-*.deb)"
	install_tree "$dir" "$abi" "/usr/src/linux-headers-$abi" "$deb"
	rm -rf "$tmp"
	printf '%s\n' "$ver" >"$dir/.complete"
	echo "$dir"
}

fetch_612() {
	local abi="" ver dir pkg logf current="$KCACHE/6.12.current"
	if ((!refresh)) && [[ -f "$current" ]]; then
		abi="$(cat "$current")"
		dir="$KCACHE/$abi"
		if is_complete "$dir" "$abi"; then
			fix_612_makefile "$dir" "$abi"
			make_vmlinux "$dir" "$abi"
			echo "$dir"
			return 0
		fi
	fi
	bp_setup
	logf="$BP_DIR/apt.log"
	: >"$logf"
	log "updating bookworm-backports package lists"
	run_logged "$logf" bp_apt apt-get -q update || die "apt-get update (bookworm-backports) failed"
	# Only the newest ABI has headers in backports; take the newest one that
	# has all four packages.
	local cand
	abi=""
	while read -r cand; do
		[[ -n "$cand" ]] || continue
		local a="${cand#linux-headers-}"
		local base="${a%-amd64}"
		if bp_apt apt-cache show "linux-headers-$base-common" "linux-kbuild-$base" \
			"linux-image-$a-unsigned" >/dev/null 2>&1 ||
			bp_apt apt-cache show "linux-headers-$base-common" "linux-kbuild-$base" \
				"linux-image-$a" >/dev/null 2>&1; then
			abi="$a"
			break
		fi
	done < <(bp_apt apt-cache search --names-only '^linux-headers-6\.12\.[0-9]+\+deb12[0-9.]*-amd64$' |
		awk '{print $1}' | sort -rV)
	[[ -n "$abi" ]] || die "no complete 6.12 kernel found in bookworm-backports"
	local base="${abi%-amd64}"
	ver="$(bp_apt apt-cache show "linux-headers-$abi" | sed -n 's/^Version: //p' | sort -rV | head -n1)"
	dir="$KCACHE/$abi"
	if is_complete "$dir" "$abi"; then
		fix_612_makefile "$dir" "$abi"
		make_vmlinux "$dir" "$abi"
		printf '%s\n' "$abi" >"$current"
		echo "$dir"
		return 0
	fi
	log "fetching 6.12 kernel $abi ($ver) from bookworm-backports"
	rm -rf "$dir"
	mkdir -p "$dir/debs"
	local image="linux-image-$abi-unsigned"
	bp_apt apt-cache show "$image=$ver" >/dev/null 2>&1 || image="linux-image-$abi"
	for pkg in "$image" "linux-headers-$abi" "linux-headers-$base-common" "linux-kbuild-$base"; do
		log "downloading $pkg=$ver"
		(cd "$dir/debs" && run_logged "$logf" bp_apt apt-get download "$pkg=$ver") ||
			die "download of $pkg=$ver failed"
	done
	install_tree "$dir" "$abi" "root/usr/src/linux-headers-$abi" "$dir"/debs/*.deb
	local hdr="$dir/root/usr/src/linux-headers-$abi"
	# Keep the packaged one-line Makefile for reference, then repoint it.
	cp "$hdr/Makefile" "$hdr/Makefile.debian"
	fix_612_makefile "$dir" "$abi"
	# The kbuild scripts are reached through relative links
	# (scripts -> ../../lib/linux-kbuild-<ver>/scripts): check they resolve.
	[[ -x "$hdr/scripts/basic/fixdep" ]] || die "kbuild scripts not reachable from $hdr/scripts"
	[[ -f "$hdr/scripts/Makefile.build" ]] || die "kbuild Makefiles not reachable from $hdr/scripts"
	command -v pahole >/dev/null || log "warning: pahole (dwarves) missing: module BTF will be skipped"
	local cc
	# shellcheck disable=SC2016 # a literal $(CROSS_COMPILE) in the pattern
	if cc="$(sed -n 's/^CC = .*\$(CROSS_COMPILE)\(gcc-[0-9]*\)$/\1/p' "$hdr/.kernelvariables")" && [[ -n "$cc" ]]; then
		command -v "$cc" >/dev/null || log "warning: $cc missing: the 6.12 headers need it"
	fi
	rm -rf "$dir/debs"
	printf '%s\n' "$ver" >"$dir/.complete"
	printf '%s\n' "$abi" >"$current"
	echo "$dir"
}

case "$series" in
6.1) fetch_61 ;;
6.12) fetch_612 ;;
esac
