#!/usr/bin/env bash
# make install DESTDIR=... installs what a packager expects: the tools,
# libhws.so with its SONAME link, the headers, hwstats.pc, manual pages,
# udev, systemd, tmpfiles and sysusers files. A program built against the
# installed tree with nothing but pkg-config reads a trace; the library
# exports exactly the functions hws.h declares, each versioned.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TOP="$(cd "$HERE/../.." && pwd)"
cd "$TOP"
fail() { echo "install: FAIL: $*" >&2; exit 1; }

d="$(mktemp -d)"
trap 'rm -rf "$d"' EXIT
make -s install DESTDIR="$d/root" PREFIX=/usr LIBDIR=/usr/lib \
	UDEVDIR=/usr/lib/udev/rules.d UNITDIR=/usr/lib/systemd/system >"$d/install.log" 2>&1 ||
	{ cat "$d/install.log"; fail "make install"; }
r="$d/root"
for f in usr/bin/hwstats-record usr/bin/hwstats-report usr/bin/hwstats-stat \
	usr/lib/libhws.so.1 usr/lib/libhws.so usr/include/hwstats/hws.h \
	usr/include/hwstats/hwstats_abi.h usr/lib/pkgconfig/hwstats.pc \
	usr/share/man/man1/hwstats-record.1 usr/share/man/man1/hwstats-report.1 \
	usr/share/man/man1/hwstats-stat.1 usr/lib/udev/rules.d/60-hwstats.rules \
	usr/lib/systemd/system/hwstats-record.service \
	usr/lib/systemd/system/hwstats-stat-prometheus.service \
	usr/lib/systemd/system/hwstats-stat-prometheus.timer \
	usr/lib/tmpfiles.d/hwstats-textfile.conf usr/lib/sysusers.d/hwstats.conf; do
	[[ -e "$r/$f" ]] || fail "$f not installed"
done
grep -q '^ExecStart=/usr/bin/hwstats-stat' "$r/usr/lib/systemd/system/hwstats-stat-prometheus.service" ||
	fail "the unit does not run the installed hwstats-stat"
[[ "$(readelf -d "$r/usr/lib/libhws.so.1" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')" == libhws.so.1 ]] ||
	fail "SONAME is not libhws.so.1"

# Exported symbols = the functions hws.h declares, all in HWS_1.0.
nm -D --defined-only "$r/usr/lib/libhws.so.1" | awk '$2 == "T" { print $3 }' |
	sort >"$d/exported"
grep -q -v '@@HWS_1.0$' "$d/exported" && fail "unversioned export: $(grep -v '@@HWS_1.0$' "$d/exported" | head -1)"
sed 's/@@HWS_1.0$//' "$d/exported" >"$d/exp"
grep -oE '\bhws_[a-z0-9_]+\(' formats/libhws/hws.h | tr -d '(' | sort -u >"$d/declared"
diff -u "$d/declared" "$d/exp" || fail "exports differ from hws.h's declarations"

# A program built with pkg-config alone against the installed tree.
cat >"$d/count.c" <<'C'
#include <stdio.h>
#include <hws.h>
int main(int argc, char **argv)
{
	struct hws_reader *r = hws_reader_open(argv[argc - 1]);
	struct hws_chunk_info ci;
	const void *rec;
	size_t len;
	unsigned long n = 0;

	if (!r)
		return 2;
	while (hws_reader_next_chunk(r, &ci, &rec, &len) == 1)
		n += ci.nr_records;
	printf("%lu\n", n);
	hws_reader_close(r);
	return 0;
}
C
export PKG_CONFIG_SYSROOT_DIR="$r" PKG_CONFIG_PATH="$r/usr/lib/pkgconfig"
cc -Wall -Werror $(pkg-config --cflags hwstats) -o "$d/count" "$d/count.c" \
	$(pkg-config --libs hwstats) || fail "building against the installed library"
n=$(LD_LIBRARY_PATH="$r/usr/lib" "$d/count" tests/golden/hws/intact.hws)
want=$(build/host/bin/hwstats-report --json tests/golden/hws/intact.hws |
	/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"]["records"])')
[[ "$n" == "$want" ]] || fail "the installed library read $n records, hwstats-report $want"
MANWIDTH=80 man -l "$r/usr/share/man/man1/hwstats-record.1" 2>/dev/null | grep -q -- '--output' ||
	fail "the hwstats-record manual page lacks --output"
echo "install: PASS ($n records read through the installed libhws.so; $(wc -l <"$d/exp") exported functions)"
