#!/usr/bin/env bash
# Fetch a Debian kernel (image, modules and a build tree) into the project
# cache, without installing it on the host, so that the VM test harness can
# boot it and modules can be built against it.
#
# Usage: scripts/fetch-kernel.sh [-q|--quiet] [--refresh] SERIES
#   SERIES     6.1    : the ABI of the installed linux-headers-amd64 (bookworm)
#              6.12   : the newest 6.12 ABI in bookworm-backports
#              latest : the newest ABI in Debian unstable (7.x now); the ABI
#                       it resolved to is kept in <cache>/kernel/latest.current
#   -q         no progress messages on stderr (errors are still shown)
#   --refresh  6.12 and latest: ask the archive again for the newest ABI
#              even when a kernel of that series is already cached
#
# A kernel built with a gcc this host lacks or cannot run (unstable's gcc
# needs a newer glibc than bookworm's) gets that gcc and its binutils from
# unstable, unpacked into <cache>/kernel/toolchain-gcc-<N>-amd64 and run
# through unstable's own dynamic loader and libc; the headers'
# .kernelvariables then point CROSS_COMPILE there (the packaged file is kept
# as .kernelvariables.debian). The kbuild host programs (modpost, objtool,
# resolve_btfids...) that need the newer glibc run the same way.
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
6.1 | 6.12 | latest | 6.1-arm64 | 6.1-686) ;;
"")
	echo "usage: fetch-kernel.sh [-q] [--refresh] 6.1|6.12|latest|6.1-arm64|6.1-686" >&2
	exit 2
	;;
*)
	echo "fetch-kernel.sh: unsupported series '$series' (use 6.1, 6.12, latest, 6.1-arm64 or 6.1-686)" >&2
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
KCACHE="$(cd "$CACHE/kernel" && pwd -P)"

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

# Point the headers' one-line Makefile (6.12, latest) at the extracted
# -common tree, and its KBUILD_OUTPUT (latest) at the extracted headers.
# Re-checked on every run, since the paths are absolute and the cache may move.
fix_headers_makefile() { # DIR ABI
	local d="$1" abi="$2"
	local hdr mk want
	hdr="$d/root/usr/src/linux-headers-$abi"
	mk="$hdr/Makefile"
	grep -q '^include /usr/src/linux-headers-[^/]*-common/Makefile$' "$hdr/Makefile.debian" 2>/dev/null ||
		die "cannot find the -common tree name in $hdr/Makefile.debian"
	want="$(sed "s@/usr/src/@$d/root/usr/src/@" "$hdr/Makefile.debian")"
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
	# Packages from trixie on install to /usr/lib/modules only, with the
	# image beside the modules: give them the classic layout the harness
	# and depmod expect.
	if [[ ! -e "$d/root/lib" && -d "$d/root/usr/lib/modules" ]]; then
		ln -s usr/lib "$d/root/lib"
	fi
	if [[ ! -e "$d/root/boot/vmlinuz-$abi" && -f "$d/root/usr/lib/modules/$abi/vmlinuz" ]]; then
		mkdir -p "$d/root/boot"
		ln -s "../usr/lib/modules/$abi/vmlinuz" "$d/root/boot/vmlinuz-$abi"
	fi
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

# download_tree APT DIR ABI VER LOGF PKG...: download each PKG at VER
# through the apt wrapper APT (bp_apt, us_apt, fo_apt) into a fresh DIR,
# unpack them (install_tree, headers under root/usr/src), keep the packaged
# headers Makefile as Makefile.debian, and check that the kbuild scripts
# the headers reach through relative links
# (scripts -> ../../lib/linux-kbuild-<ver>/scripts) resolve. The caller
# marks DIR complete once it has done its own part.
download_tree() {
	local apt="$1" dir="$2" abi="$3" ver="$4" logf="$5" pkg hdr
	shift 5
	rm -rf "$dir"
	mkdir -p "$dir/debs"
	for pkg in "$@"; do
		log "downloading $pkg=$ver"
		(cd "$dir/debs" && run_logged "$logf" "$apt" apt-get download "$pkg=$ver") ||
			die "download of $pkg=$ver failed"
	done
	install_tree "$dir" "$abi" "root/usr/src/linux-headers-$abi" "$dir"/debs/*.deb
	hdr="$dir/root/usr/src/linux-headers-$abi"
	cp "$hdr/Makefile" "$hdr/Makefile.debian"
	[[ -x "$hdr/scripts/basic/fixdep" ]] || die "kbuild scripts not reachable from $hdr/scripts"
	[[ -f "$hdr/scripts/Makefile.build" ]] || die "kbuild Makefiles not reachable from $hdr/scripts"
	rm -rf "$dir/debs"
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
			fix_headers_makefile "$dir" "$abi"
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
		fix_headers_makefile "$dir" "$abi"
		make_vmlinux "$dir" "$abi"
		printf '%s\n' "$abi" >"$current"
		echo "$dir"
		return 0
	fi
	log "fetching 6.12 kernel $abi ($ver) from bookworm-backports"
	local image="linux-image-$abi-unsigned"
	bp_apt apt-cache show "$image=$ver" >/dev/null 2>&1 || image="linux-image-$abi"
	download_tree bp_apt "$dir" "$abi" "$ver" "$logf" \
		"$image" "linux-headers-$abi" "linux-headers-$base-common" "linux-kbuild-$base"
	local hdr="$dir/root/usr/src/linux-headers-$abi"
	# The packaged one-line Makefile is kept (Makefile.debian); repoint it.
	fix_headers_makefile "$dir" "$abi"
	command -v pahole >/dev/null || log "warning: pahole (dwarves) missing: module BTF will be skipped"
	local cc
	# shellcheck disable=SC2016 # a literal $(CROSS_COMPILE) in the pattern
	if cc="$(sed -n 's/^CC = .*\$(CROSS_COMPILE)\(gcc-[0-9]*\)$/\1/p' "$hdr/.kernelvariables")" && [[ -n "$cc" ]]; then
		command -v "$cc" >/dev/null || log "warning: $cc missing: the 6.12 headers need it"
	fi
	printf '%s\n' "$ver" >"$dir/.complete"
	printf '%s\n' "$abi" >"$current"
	echo "$dir"
}

# Private apt configuration for unstable, as for bookworm-backports above.
US_DIR="$KCACHE/apt-unstable"
us_apt() {
	local cmd="$1"
	shift
	timeout 900 "$cmd" \
		-o Dir::Etc::sourcelist="$US_DIR/sources.list" \
		-o Dir::Etc::sourceparts=- \
		-o Dir::State::Lists="$US_DIR/lists" \
		-o Dir::Cache="$US_DIR/cache" \
		-o Debug::NoLocking=1 \
		-o APT::Architecture=amd64 \
		-o APT::Architectures::=amd64 \
		"${APT_ROOT_OPTS[@]}" \
		"$@"
}
us_setup() {
	mkdir -p "$US_DIR/lists/partial" "$US_DIR/cache/archives/partial"
	local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	[[ -r "$keyring" ]] || die "$keyring missing (package debian-archive-keyring)"
	printf 'deb [signed-by=%s] http://deb.debian.org/debian unstable main\n' \
		"$keyring" >"$US_DIR/sources.list"
}
us_updated=0
us_update() {
	((us_updated)) && return 0
	us_setup
	log "updating unstable package lists"
	run_logged "$US_DIR/apt.log" us_apt apt-get -q update || die "apt-get update (unstable) failed"
	us_updated=1
}

# The newest glibc version an ELF file asks for, as a sortable number (238
# for GLIBC_2.38), 0 for none.
glibc_need() { # FILE
	objdump -T "$1" 2>/dev/null | grep -o 'GLIBC_2\.[0-9]*' |
		sed 's/GLIBC_2\.//' | sort -n | tail -n1 | awk '{ print 200 + $1 }' | grep . || echo 0
}
host_glibc() {
	getconf GNU_LIBC_VERSION | awk '{ split($2, v, "."); print v[1] * 100 + v[2] }'
}

# Replace each ELF executable under the given paths that needs a newer glibc
# than the host's (or every one, with --all) by a script that runs it
# through LIBCROOT's loader and libraries; the program keeps its name in
# argv[0], which gcc needs to find cc1 and as relative to itself.
wrap_elf() { # [--all] LIBCROOT PATH...
	local all=0
	if [[ "$1" == --all ]]; then
		all=1
		shift
	fi
	local lroot="$1" f n=0 hg
	shift
	hg="$(host_glibc)"
	while IFS= read -r -d '' f; do
		case "$f" in *.real | *.so | *.so.*) continue ;; esac
		[[ "$(head -c 4 "$f")" == $'\x7fELF' ]] || continue
		if ((!all)) && (($(glibc_need "$f") <= hg)); then
			continue
		fi
		mv "$f" "$f.real"
		# shellcheck disable=SC2016 # $0 and $@ belong to the wrapper
		printf '#!/bin/sh\nexec %s/usr/lib64/ld-linux-x86-64.so.2 --library-path %s/usr/lib/x86_64-linux-gnu --argv0 "$0" %s.real "$@"\n' \
			"$lroot" "$lroot" "$f" >"$f"
		chmod 755 "$f"
		n=$((n + 1))
	done < <(find "$@" -type f -perm -u+x -print0)
	log "$n programs under $* run with the libc in $lroot"
}

# fetch_toolchain N: gcc-N, binutils and pahole from unstable, runnable here.
# Prints the directory holding usr/bin/x86_64-linux-gnu-gcc-N.
fetch_toolchain() { # GCC_MAJOR
	local n="$1" tc="$KCACHE/toolchain-gcc-$1-amd64" pkgs
	if [[ -f "$tc/.complete" ]]; then
		echo "$tc/root"
		return 0
	fi
	us_update
	rm -rf "$tc"
	mkdir -p "$tc/debs"
	pkgs="$(us_apt apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
		--no-breaks --no-replaces --no-enhances --no-pre-depends \
		"gcc-$n-x86-64-linux-gnu" binutils-x86-64-linux-gnu libelf1t64 pahole |
		grep -v -e '^ ' -e '^<' | sort -u)"
	[[ -n "$pkgs" ]] || die "gcc-$n not found in unstable"
	log "downloading gcc-$n, binutils and pahole from unstable ($(wc -w <<<"$pkgs") packages)"
	# shellcheck disable=SC2086 # one word per package
	(cd "$tc/debs" && run_logged "$tc/fetch.log" us_apt apt-get download $pkgs) ||
		die "download of the gcc-$n toolchain failed"
	local deb
	for deb in "$tc"/debs/*.deb; do
		dpkg -x "$deb" "$tc/root"
	done
	[[ -x "$tc/root/usr/lib64/ld-linux-x86-64.so.2" ]] || die "no dynamic loader in unstable's libc6"
	wrap_elf --all "$tc/root" "$tc/root/usr/bin" "$tc/root/usr/libexec"
	# gcc looks for the assembler beside cc1 first: take binutils' own,
	# which knows every directive this gcc emits.
	ln -sfn ../../../../bin/x86_64-linux-gnu-as "$tc/root/usr/libexec/gcc/x86_64-linux-gnu/$n/as"
	"$tc/root/usr/bin/x86_64-linux-gnu-gcc-$n" --version >/dev/null 2>&1 ||
		die "the unpacked gcc-$n does not run"
	rm -rf "$tc/debs"
	: >"$tc/.complete"
	echo "$tc/root"
}

# The headers name the compiler they were built with (CC = ...gcc-N in
# .kernelvariables) and the pahole version (CONFIG_PAHOLE_VERSION, which
# chooses pahole's options for module BTF). Use the host's when they are
# there and new enough; else unpack both from unstable and point
# CROSS_COMPILE and PAHOLE at them. Re-checked on every run, like the
# Makefile, since the paths are absolute.
fix_toolchain() { # DIR ABI
	local d="$1" abi="$2" hdr kv cc n tc want need_ph have_ph
	hdr="$d/root/usr/src/linux-headers-$abi"
	kv="$hdr/.kernelvariables"
	[[ -f "$kv.debian" ]] || cp "$kv" "$kv.debian"
	# shellcheck disable=SC2016 # a literal $(CROSS_COMPILE) in the pattern
	cc="$(sed -n 's/^CC = .*\$(CROSS_COMPILE)\(gcc-[0-9]*\)$/\1/p' "$kv.debian")"
	[[ -n "$cc" ]] || die "no compiler named in $kv.debian"
	n="${cc#gcc-}"
	need_ph="$(sed -n 's/^CONFIG_PAHOLE_VERSION=//p' "$hdr/.config")"
	have_ph="$(pahole --version 2>/dev/null | sed 's/^v//; s/\.//')" || have_ph=0
	want="$(cat "$kv.debian")"
	if ! x86_64-linux-gnu-"$cc" --version >/dev/null 2>&1 ||
		((${need_ph:-0} > ${have_ph:-0})); then
		tc="$(fetch_toolchain "$n")"
		want+=$'\n'"# $cc, binutils and pahole from unstable (scripts/fetch-kernel.sh)"
		want+=$'\n'"override CROSS_COMPILE = $tc/usr/bin/x86_64-linux-gnu-"
		want+=$'\n'"override PAHOLE = $tc/usr/bin/pahole"
		if [[ ! -f "$d/.kbuild-wrapped" ]]; then
			wrap_elf "$tc" "$d"/root/usr/lib/linux-kbuild-*
			: >"$d/.kbuild-wrapped"
		fi
	fi
	if [[ "$(cat "$kv")" != "$want" ]]; then
		printf '%s\n' "$want" >"$kv"
	fi
}

fetch_latest() {
	local abi="" ver dir pkg logf current="$KCACHE/latest.current"
	if ((!refresh)) && [[ -f "$current" ]]; then
		abi="$(cat "$current")"
		dir="$KCACHE/$abi"
		if is_complete "$dir" "$abi"; then
			fix_headers_makefile "$dir" "$abi"
			fix_toolchain "$dir" "$abi"
			make_vmlinux "$dir" "$abi"
			echo "$dir"
			return 0
		fi
	fi
	us_update
	logf="$US_DIR/apt.log"
	# The newest ABI whose headers, kbuild, modules and image are all there
	# (the archive may be mid-upload).
	local cand a base image
	while read -r cand; do
		a="${cand#linux-headers-}"
		base="${a%-amd64}"
		us_apt apt-cache show "linux-headers-$base-common" "linux-kbuild-$base" >/dev/null 2>&1 ||
			continue
		# From 6.16 on the image is split into binary and modules packages.
		# (linux-base holds modules.builtin and modules.order).
		if us_apt apt-cache show "linux-binary-$a" "linux-modules-$a" "linux-base-$a" >/dev/null 2>&1; then
			image="linux-binary-$a linux-modules-$a linux-base-$a"
		elif us_apt apt-cache show "linux-image-$a-unsigned" >/dev/null 2>&1; then
			image="linux-image-$a-unsigned"
		else
			continue
		fi
		abi="$a"
		break
	done < <(us_apt apt-cache search --names-only '^linux-headers-[0-9]+\.[0-9]+\.[0-9]+\+deb[0-9]+-amd64$' |
		awk '{print $1}' | sort -rV)
	[[ -n "$abi" ]] || die "no complete kernel found in unstable"
	base="${abi%-amd64}"
	ver="$(us_apt apt-cache show "linux-headers-$abi" | sed -n 's/^Version: //p' | sort -rV | head -n1)"
	dir="$KCACHE/$abi"
	if ! is_complete "$dir" "$abi"; then
		log "fetching kernel $abi ($ver) from unstable"
		# shellcheck disable=SC2086 # $image is one to three package names
		download_tree us_apt "$dir" "$abi" "$ver" "$logf" \
			$image "linux-headers-$abi" "linux-headers-$base-common" "linux-kbuild-$base"
		printf '%s\n' "$ver" >"$dir/.complete"
	fi
	fix_headers_makefile "$dir" "$abi"
	fix_toolchain "$dir" "$abi"
	make_vmlinux "$dir" "$abi"
	printf '%s\n' "$abi" >"$current"
	echo "$dir"
}

# Private apt configuration for bookworm's other architectures (the host's
# dpkg never learns them): arm64 and i386 packages, and amd64 for the kbuild
# tools of the same version.
FO_DIR="$KCACHE/apt-bookworm-foreign"
fo_apt() {
	local cmd="$1"
	shift
	timeout 900 "$cmd" \
		-o Dir::Etc::sourcelist="$FO_DIR/sources.list" \
		-o Dir::Etc::sourceparts=- \
		-o Dir::State::Lists="$FO_DIR/lists" \
		-o Dir::Cache="$FO_DIR/cache" \
		-o Debug::NoLocking=1 \
		-o APT::Architecture=amd64 \
		-o APT::Architectures::=amd64 \
		-o APT::Architectures::="$FO_ARCH" \
		"${APT_ROOT_OPTS[@]}" \
		"$@"
}
fo_setup() {
	mkdir -p "$FO_DIR/lists/partial" "$FO_DIR/cache/archives/partial"
	local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	[[ -r "$keyring" ]] || die "$keyring missing (package debian-archive-keyring)"
	{
		printf 'deb [signed-by=%s] http://deb.debian.org/debian bookworm main\n' "$keyring"
		printf 'deb [signed-by=%s] http://deb.debian.org/debian bookworm-updates main\n' "$keyring"
		printf 'deb [signed-by=%s] http://deb.debian.org/debian-security bookworm-security main\n' "$keyring"
	} >"$FO_DIR/sources.list"
}

fetch_foreign() { # FLAVOUR DEBIAN_ARCH CROSS_COMPILE
	local flav="$1" arch="$2" cross="$3"
	local base ver abi dir pkg logf hdr kv want
	FO_ARCH="$arch"
	base="$(dpkg-query -W -f='${Depends}' linux-headers-amd64 2>/dev/null |
		grep -o 'linux-headers-[^ ,]*-amd64' | head -n1 | sed 's/^linux-headers-//; s/-amd64$//')" || true
	[[ "$base" == 6.1.* ]] || die "linux-headers-amd64 (6.1) is not installed (run scripts/deps.sh)"
	ver="$(dpkg-query -W -f='${Version}' "linux-headers-$base-amd64")"
	abi="$base-$flav"
	dir="$KCACHE/$abi"
	local current="$KCACHE/$series.current"
	if ! is_complete "$dir" "$abi" && [[ -f "$current" ]] &&
		is_complete "$KCACHE/$(cat "$current")" "$(cat "$current")"; then
		abi="$(cat "$current")"
		dir="$KCACHE/$abi"
	fi
	if ! is_complete "$dir" "$abi"; then
		fo_setup
		logf="$FO_DIR/apt.log"
		: >"$logf"
		log "updating bookworm package lists for $arch"
		# One suite's index may be mid-sync on the mirror: go on with the
		# others; a package then missing fails its download below.
		fo_apt apt-get -q update >>"$logf" 2>&1 ||
			log "note: apt-get update (bookworm, $arch) reported errors (see $logf)"
		# The amd64 ABI may be only in a suite whose index did not come
		# (bookworm-security): then take the newest 6.1 ABI of this
		# flavour that has its image, headers and kbuild at one version.
		if ! fo_apt apt-cache show "linux-headers-$abi:$arch=$ver" >/dev/null 2>&1; then
			local cand a b v
			abi=""
			while read -r cand; do
				a="${cand#linux-headers-}"
				b="${a%-"$flav"}"
				v="$(fo_apt apt-cache show "$cand:$arch" | sed -n 's/^Version: //p' | sort -rV | head -n1)"
				fo_apt apt-cache show "linux-headers-$b-common=$v" "linux-kbuild-${b%%.0-*}:amd64=$v" >/dev/null 2>&1 ||
					continue
				fo_apt apt-cache show "linux-image-$a-unsigned:$arch=$v" >/dev/null 2>&1 ||
					fo_apt apt-cache show "linux-image-$a:$arch=$v" >/dev/null 2>&1 || continue
				log "note: $base-$flav is not in the package lists; taking $a ($v)"
				abi="$a" base="$b" ver="$v"
				break
			done < <(fo_apt apt-cache search --names-only "^linux-headers-6\.1\.0-[0-9]+-$flav\$" |
				awk '{print $1}' | sort -rV)
			[[ -n "$abi" ]] || die "no complete 6.1 $flav kernel in the package lists"
			dir="$KCACHE/$abi"
		fi
		local image="linux-image-$abi-unsigned:$arch"
		fo_apt apt-cache show "$image=$ver" >/dev/null 2>&1 || image="linux-image-$abi:$arch"
		download_tree fo_apt "$dir" "$abi" "$ver" "$logf" \
			"$image" "linux-headers-$abi:$arch" "linux-headers-$base-common" \
			"linux-kbuild-${base%%.0-*}:amd64"
		hdr="$dir/root/usr/src/linux-headers-$abi"
		cp "$hdr/.kernelvariables" "$hdr/.kernelvariables.debian"
		printf '%s\n' "$ver" >"$dir/.complete"
	fi
	# The guest's busybox and the static zstd library its tools link.
	if [[ ! -f "$dir/userland/.complete" ]]; then
		fo_setup
		logf="$FO_DIR/apt.log"
		compgen -G "$FO_DIR/lists/*_binary-${arch}_Packages*" >/dev/null ||
			fo_apt apt-get -q update >>"$logf" 2>&1 ||
			log "note: apt-get update (bookworm, $arch) reported errors (see $logf)"
		rm -rf "$dir/userland"
		mkdir -p "$dir/userland/debs"
		for pkg in "busybox-static:$arch" "libzstd-dev:$arch"; do
			log "downloading $pkg"
			(cd "$dir/userland/debs" && run_logged "$logf" fo_apt apt-get download "$pkg") ||
				die "download of $pkg failed"
		done
		for pkg in "$dir"/userland/debs/*.deb; do
			dpkg -x "$pkg" "$dir/userland"
		done
		rm -rf "$dir/userland/debs"
		[[ -x "$dir/userland/bin/busybox" ]] || die "no busybox in busybox-static:$arch"
		: >"$dir/userland/.complete"
	fi
	fix_headers_makefile "$dir" "$abi"
	hdr="$dir/root/usr/src/linux-headers-$abi"
	kv="$hdr/.kernelvariables"
	want="$(cat "$kv.debian")"
	if [[ -n "$cross" ]]; then
		command -v "${cross}gcc-12" >/dev/null ||
			log "warning: ${cross}gcc-12 missing (run scripts/deps.sh)"
		want+=$'\n'"# a cross build from amd64 (scripts/fetch-kernel.sh)"
		want+=$'\n'"override CROSS_COMPILE = $cross"
	fi
	if [[ "$(cat "$kv")" != "$want" ]]; then
		printf '%s\n' "$want" >"$kv"
	fi
	printf '%s\n' "$abi" >"$current"
	echo "$dir"
}

case "$series" in
6.1) fetch_61 ;;
6.12) fetch_612 ;;
latest) fetch_latest ;;
6.1-arm64) fetch_foreign arm64 arm64 aarch64-linux-gnu- ;;
6.1-686) fetch_foreign 686 i386 "" ;;
esac
