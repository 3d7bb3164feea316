# hwstats - top-level build.
#
#   make                 the tools (build/host/bin) and libhws.so
#   make KDIR=/lib/modules/$(uname -r)/build   and the modules for that kernel
#   make deps            install the Debian packages the tests need
#                        (make test, demo and bench call it; make and
#                        make install never do)
#   make test            checkpatch/sparse/W=1 and a DKMS build per kernel,
#                        unit tests (plain and ASan/UBSan), fuzzing (60 s for
#                        the trace reader, 30 s per other parser), VM scenarios
#                        on 6.1, 6.12 and the newest Debian kernel (see vm-test)
#   make test-arm64      the module and tools on arm64 under QEMU (6.1)
#   make test-i386       the same on i386 (6.1, 686)
#   make test-load       the load scenario for 60 s (make test runs 20 s)
#   make soak            a 10-minute capture with rotation (SOAK_SECONDS=600)
#   make test-debug      the VM scenarios on a KASAN/lockdep/kmemleak kernel
#   make demo            boot a VM, record the simulated device, print a report
#   make install         see README.md (PREFIX, DESTDIR, LIBDIR, ...)
#
# CC, CPPFLAGS, CFLAGS and LDFLAGS are honoured; WERROR=1 makes warnings
# errors (make test sets it).

SHELL := /bin/bash
TOP := $(CURDIR)
CACHE ?= $(TOP)/.cache
export HWSTATS_CACHE := $(CACHE)
KSERIES ?= 6.1
# KDIR defaults to the Debian headers of KSERIES (fetched into the cache).
KDIR ?=
DEPS_STAMP := build/.deps-ok
WERROR ?=
export WERROR
# The goals that install packages first (through scripts/deps.sh); plain
# builds and installs only use what is there.
TEST_GOALS := test vm-test unit unit-host unit-asan kcheck fuzz fuzz-regress \
	demo bench soak test-load test-debug test-eco test-arm64 test-i386 \
	dkms-check
NEED_DEPS := $(if $(filter $(TEST_GOALS),$(MAKECMDGOALS)),deps)

.PHONY: all deps tools modules static static-arm64 static-i386 unit unit-host unit-asan \
	test vm-test test-arm64 test-i386 dkms-check test-eco \
	test-load soak test-debug \
	demo clean kcheck install uninstall shlib man

all: tools shlib $(if $(KDIR),modules) man

deps: $(DEPS_STAMP)
$(DEPS_STAMP): scripts/deps.sh
	bash scripts/deps.sh
	@mkdir -p $(dir $@) && touch $@

tools: $(NEED_DEPS)
	$(MAKE) -f mk/user.mk O=build/host tools

shlib: $(NEED_DEPS)
	$(MAKE) -f mk/user.mk O=build/host PREFIX=$(PREFIX) LIBDIR=$(LIBDIR) \
		INCLUDEDIR=$(INCLUDEDIR) shlib pc

# Manual pages from each tool's --help (help2man), so they cannot drift.
MAN_PAGES := $(addprefix build/man/,hwstats-record.1 hwstats-report.1 hwstats-stat.1)
man: $(MAN_PAGES)
build/man/%.1: tools
	@mkdir -p $(dir $@)
	@command -v help2man >/dev/null || { \
		echo "make: help2man is needed for the manual pages (apt-get install help2man)" >&2; exit 1; }
	help2man --no-info --section=1 --source="hwstats $$(cat VERSION)" \
		--name="$$(build/host/bin/$* --help | sed -n 2p | sed 's/\.$$//')" \
		--output=$@ build/host/bin/$*

static: $(NEED_DEPS)
	$(MAKE) -f mk/user.mk O=build/static VARIANT_LDFLAGS=-static tools vmtools

# The guest tools for the arm64 VM: cross-compiled, static, linked with
# bookworm's arm64 libzstd.a (fetched with the arm64 kernel).
static-arm64: deps
	bash scripts/deps.sh --arm64
	@set -e; ul=$$(bash scripts/fetch-kernel.sh -q 6.1-arm64 | tail -n1)/userland; \
	$(MAKE) -f mk/user.mk O=build/static-arm64 \
		CC=aarch64-linux-gnu-gcc AR=aarch64-linux-gnu-ar \
		VARIANT_CFLAGS="-I$$ul/usr/include" \
		VARIANT_LDFLAGS="-static -L$$ul/usr/lib/aarch64-linux-gnu" tools vmtools

# The module is built in a copy of kmod/ per kernel release, so that
# several kernels' builds can sit side by side.
modules: $(NEED_DEPS)
	@set -e; kdir="$(KDIR)"; \
	if [ -z "$$kdir" ]; then kdir=$$(bash scripts/kdir.sh $(KSERIES)); fi; \
	kdir=$$(readlink -f "$$kdir"); \
	krel=$$(basename "$$kdir"); krel=$${krel#linux-headers-}; \
	out=build/kmod/$$krel; mkdir -p $$out; \
	cp -uL kmod/*.c kmod/*.h kmod/Kbuild $$out/; \
	$(MAKE) -C "$$kdir" M=$(TOP)/$$out \
		W=1 modules; \
	echo "modules for $$krel in $$out"

unit: unit-host unit-asan

unit-host: deps
	$(MAKE) -f mk/user.mk O=build/host unit-bins
	bash tests/unit/run.sh build/host/tests

unit-asan: deps
	$(MAKE) -f mk/user.mk O=build/asan CFLAGS="-O1 -g" \
		VARIANT_CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
		VARIANT_LDFLAGS="-fsanitize=address,undefined" unit-bins
	bash tests/unit/run.sh build/asan/tests

# Kernel series under test: bookworm's 6.1, bookworm-backports' 6.12 and
# the newest series in Debian unstable (7.x now; scripts/fetch-kernel.sh).
KSERIES_LIST ?= 6.1 6.12 latest
# make test runs every VM scenario on the newest series (VM_FULL_SERIES)
# and, on the others, every scenario but those in VM_NEWEST_ONLY: three
# full suites do not fit the 25 minutes CI allows on 2 cores. Those four
# test what is the same code on every kernel: the module's own logic under
# sustained work (concurrency: late sources; load) and the recorder's
# (rotation, faults: signals, a full disk, bad options). Whatever touches
# relay or another kernel API (capture, overload's exact loss at tiny
# buffers, flight's overwrite mode, hotplug, snapshot, netdev, permissions,
# unload, abi, ioctl-fuzz) runs on all three. VM_NEWEST_ONLY= runs
# everything everywhere.
VM_FULL_SERIES ?= latest
VM_NEWEST_ONLY ?= concurrency load rotation faults
VM_SHORT_SERIES = $(filter-out $(VM_FULL_SERIES),$(KSERIES_LIST))

vm-test: deps static
	@rc=0; \
	bash tests/vm/run-all.sh $(filter $(VM_FULL_SERIES),$(KSERIES_LIST)) || rc=1; \
	if [ -n "$(strip $(VM_SHORT_SERIES))" ]; then \
		SKIP_SCENARIOS="$(VM_NEWEST_ONLY)" \
			bash tests/vm/run-all.sh $(VM_SHORT_SERIES) || rc=1; \
	fi; \
	exit $$rc

# i386: the same for bookworm's 6.1 686 kernel under qemu-system-i386
# (the newest 686 ABI the package lists have whole; see tests/vm/README.md).
static-i386: deps
	bash scripts/deps.sh --i386
	@set -e; ul=$$(bash scripts/fetch-kernel.sh -q 6.1-686 | tail -n1)/userland; \
	$(MAKE) -f mk/user.mk O=build/static-i386 CC="gcc -m32" \
		VARIANT_CFLAGS="-I$$ul/usr/include" \
		VARIANT_LDFLAGS="-static -L$$ul/usr/lib/i386-linux-gnu" tools vmtools

# arm64: bookworm's 6.1 arm64 kernel under qemu-system-aarch64 (TCG), the
# module cross-built against its headers and the tools cross-built static.
# Not in make test: TCG emulating arm64 runs about twice as slow as x86-64.
ARM64_SCENARIOS ?= capture overload flight hotplug snapshot mmap
test-arm64: deps static-arm64
	bash scripts/deps.sh --arm64
	bash scripts/kcheck.sh 6.1-arm64
	SCENARIOS="$(ARM64_SCENARIOS)" bash tests/vm/run-all.sh 6.1-arm64

I386_SCENARIOS ?= $(ARM64_SCENARIOS) wrap32
test-i386: deps static-i386
	bash scripts/deps.sh --i386
	bash scripts/kcheck.sh 6.1-686
	SCENARIOS="$(I386_SCENARIOS)" bash tests/vm/run-all.sh 6.1-686

# DKMS builds the modules for every series under test, against the cached
# build trees, in a private DKMS tree (build/dkms): nothing is installed.
dkms-check: deps
	@set -e; for s in $(KSERIES_LIST); do \
		kdir=$$(bash scripts/kdir.sh $$s); \
		krel=$$(basename "$$kdir"); krel=$${krel#linux-headers-}; \
		rm -rf build/dkms; \
		bash scripts/dkms-install.sh --root build/dkms -k $$krel --no-install \
			--kernelsourcedir "$$kdir" >build/dkms-$$s.log 2>&1 || \
			{ tail -n 30 build/dkms-$$s.log; echo "dkms-check: $$s failed"; exit 1; }; \
		grep -q ": built$$" build/dkms-$$s.log || \
			{ tail -n 30 build/dkms-$$s.log; echo "dkms-check: $$s not built"; exit 1; }; \
		echo "dkms-check: $$s ($$krel): built"; \
	done

kcheck: deps
	bash scripts/kcheck.sh $(KSERIES_LIST)

# make test fuzzes the trace reader for 60 s and every other parser for 30 s
# (make fuzz: 60 s each by default).
test: FUZZ_SECONDS = 30
test: FUZZ_READER_SECONDS = 60
test: WERROR = 1
test: kcheck dkms-check unit fuzz vm-test test-eco
	@echo "make test: all passed"

# The long runs, on demand (docs/reliability.md has their last results):
# the load scenario for its full 60 s, a 10-minute soak, and the scenarios
# on a kernel built with KASAN, lockdep, DEBUG_ATOMIC_SLEEP and kmemleak.
test-load: deps static
	bash tests/vm/soak/run-long.sh --timeout 900 --name load60 \
		--append hws_load_seconds=60 tests/vm/scenarios/load.sh $(KSERIES_LIST)

SOAK_SECONDS ?= 600
soak: deps static
	bash tests/vm/soak/run-long.sh --timeout $$(($(SOAK_SECONDS) * 2 + 600)) \
		--append hws_soak_seconds=$(SOAK_SECONDS) tests/vm/soak/soak.sh \
		$(KSERIES_LIST)

test-debug: deps
	bash scripts/debug-kernel.sh test

demo: deps static
	bash scripts/demo.sh

# Every benchmark, under 20 minutes; the numbers go into bench/README.md.
.PHONY: bench
bench: deps static tools
	bash scripts/deps.sh --bench
	bash bench/run.sh

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
# Where this system keeps udev rules and systemd files, as udev's and
# systemd's pkg-config files say (the fallbacks are the local directories).
PKG_CONFIG ?= pkg-config
udev_dir := $(shell $(PKG_CONFIG) --variable=udevdir udev 2>/dev/null)
UDEVDIR ?= $(if $(udev_dir),$(udev_dir)/rules.d,/etc/udev/rules.d)
UNITDIR ?= $(or $(shell $(PKG_CONFIG) --variable=systemdsystemunitdir systemd 2>/dev/null),/etc/systemd/system)
TMPFILESDIR ?= $(or $(shell $(PKG_CONFIG) --variable=tmpfilesdir systemd 2>/dev/null),/usr/lib/tmpfiles.d)
SYSUSERSDIR ?= $(or $(shell $(PKG_CONFIG) --variable=sysusersdir systemd 2>/dev/null),/usr/lib/sysusers.d)
TOOLS := hwstats-record hwstats-report hwstats-stat
UNITS := hwstats-record.service hwstats-stat-prometheus.service \
	hwstats-stat-prometheus.timer
SONAME := libhws.so.1

# Tools, libhws (shared, headers, hwstats.pc), manual pages, udev rule,
# systemd units, tmpfiles and sysusers files; the module through DKMS
# when dkms is there (DESTDIR installs skip DKMS: they are for packaging).
install: tools shlib man
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) \
		$(DESTDIR)$(INCLUDEDIR)/hwstats $(DESTDIR)$(PKGCONFIGDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(UDEVDIR) $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(SYSUSERSDIR)
	install -m 0755 $(addprefix build/host/bin/,$(TOOLS)) $(DESTDIR)$(BINDIR)/
	install -m 0755 build/host/lib/$(SONAME) $(DESTDIR)$(LIBDIR)/
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libhws.so
	install -m 0644 formats/libhws/hws.h formats/hwstats_abi.h \
		$(DESTDIR)$(INCLUDEDIR)/hwstats/
	install -m 0644 build/host/hwstats.pc $(DESTDIR)$(PKGCONFIGDIR)/
	install -m 0644 $(MAN_PAGES) $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 packaging/udev/60-hwstats.rules $(DESTDIR)$(UDEVDIR)/
	for u in $(UNITS); do \
		sed 's|/usr/local/bin|$(BINDIR)|' packaging/systemd/$$u \
			>$(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	install -m 0644 packaging/tmpfiles/hwstats-textfile.conf $(DESTDIR)$(TMPFILESDIR)/
	install -m 0644 packaging/sysusers/hwstats.conf $(DESTDIR)$(SYSUSERSDIR)/
	@if [ -z "$(DESTDIR)" ]; then \
		command -v ldconfig >/dev/null && ldconfig || true; \
		getent group hwstats >/dev/null || groupadd --system hwstats; \
		if command -v dkms >/dev/null; then bash scripts/dkms-install.sh; \
		else echo "dkms not installed: build the module with 'make KDIR=...'"; fi; \
		command -v udevadm >/dev/null && udevadm control --reload || true; \
		command -v systemctl >/dev/null && systemctl daemon-reload || true; \
	fi

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(TOOLS))
	rm -f $(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/libhws.so
	rm -rf $(DESTDIR)$(INCLUDEDIR)/hwstats
	rm -f $(DESTDIR)$(PKGCONFIGDIR)/hwstats.pc
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MAN_PAGES)))
	rm -f $(DESTDIR)$(UDEVDIR)/60-hwstats.rules
	rm -f $(addprefix $(DESTDIR)$(UNITDIR)/,$(UNITS))
	rm -f $(DESTDIR)$(TMPFILESDIR)/hwstats-textfile.conf
	rm -f $(DESTDIR)$(SYSUSERSDIR)/hwstats.conf
	@if [ -z "$(DESTDIR)" ] && command -v dkms >/dev/null; then \
		dkms remove -m hwstats -v $$(cat VERSION) --all 2>/dev/null || true; \
		rm -rf /usr/src/hwstats-$$(cat VERSION); \
	fi

# Ecosystem tests: a real node_exporter, promtool, the installed library.
test-eco: $(NEED_DEPS) static tools shlib man
	@set -e; kdir=$$(bash scripts/kdir.sh $(KSERIES)); \
	$(MAKE) --no-print-directory -s modules KDIR="$$kdir" >/dev/null; \
	bash tests/eco/run.sh $(KSERIES)

clean:
	rm -rf build
include tests/fuzz/fuzz.mk

# The same record through hwstats and through ftrace (trace-cmd), perf,
# LTTng and a BPF ring buffer, one boot per kernel (bench/README.md,
# "Peers"); on demand only. deps.sh --bench: clang, bpftool, libbpf.
.PHONY: bench-peers
bench-peers: deps static tools
	bash scripts/deps.sh --bench
	bash bench/peers/run.sh
