# hwstats - top-level build.
#
#   make                 tools (build/host/bin) and modules for the default kernel
#   make KDIR=/lib/modules/$(uname -r)/build   modules for a real machine
#   make test            unit tests (plain and ASan/UBSan), fuzzing (60 s for
#                        the trace reader, 30 s per other parser), VM scenarios
#   make test-load       the load scenario for 60 s (make test runs 20 s)
#   make soak            a 10-minute capture with rotation (SOAK_SECONDS=600)
#   make test-debug      the VM scenarios on a KASAN/lockdep/kmemleak kernel
#   make demo            boot a VM, record the simulated device, print a report
#   make install         see README.md

SHELL := /bin/bash
TOP := $(CURDIR)
CACHE ?= $(TOP)/.cache
export HWSTATS_CACHE := $(CACHE)
KSERIES ?= 6.1
# KDIR defaults to the Debian headers of KSERIES (fetched into the cache).
KDIR ?=
DEPS_STAMP := build/.deps-ok

.PHONY: all deps tools modules static unit unit-host unit-asan test vm-test \
	test-load soak test-debug \
	demo clean kcheck install uninstall

all: tools modules

deps: $(DEPS_STAMP)
$(DEPS_STAMP): scripts/deps.sh
	bash scripts/deps.sh
	@mkdir -p $(dir $@) && touch $@

tools: deps
	$(MAKE) -f mk/user.mk O=build/host tools

static: deps
	$(MAKE) -f mk/user.mk O=build/static VARIANT_LDFLAGS=-static tools vmtools

# The module is built in a copy of kmod/ per kernel release, so that
# several kernels' builds can sit side by side.
modules: deps
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

vm-test: deps static
	bash tests/vm/run-all.sh $(KSERIES_LIST)

KSERIES_LIST ?= 6.1 6.12

kcheck: deps
	bash scripts/kcheck.sh $(KSERIES_LIST)

# make test fuzzes the trace reader for 60 s and every other parser for 30 s
# (make fuzz: 60 s each by default).
test: FUZZ_SECONDS = 30
test: FUZZ_READER_SECONDS = 60
test: kcheck unit fuzz vm-test
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
	bash bench/run.sh

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
UDEVDIR ?= /etc/udev/rules.d
UNITDIR ?= /etc/systemd/system
TOOLS := hwstats-record hwstats-report hwstats-stat

# Tools, udev rule and systemd unit; the module through DKMS when dkms is
# there (DESTDIR installs skip DKMS: they are for packaging).
install: tools
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(UDEVDIR) $(DESTDIR)$(UNITDIR)
	install -m 0755 $(addprefix build/host/bin/,$(TOOLS)) $(DESTDIR)$(BINDIR)/
	install -m 0644 packaging/udev/60-hwstats.rules $(DESTDIR)$(UDEVDIR)/
	sed 's|/usr/local/bin|$(BINDIR)|' packaging/systemd/hwstats-record.service \
		>$(DESTDIR)$(UNITDIR)/hwstats-record.service
	@if [ -z "$(DESTDIR)" ]; then \
		getent group hwstats >/dev/null || groupadd --system hwstats; \
		if command -v dkms >/dev/null; then bash scripts/dkms-install.sh; \
		else echo "dkms not installed: build the module with 'make KDIR=...'"; fi; \
		command -v udevadm >/dev/null && udevadm control --reload || true; \
		command -v systemctl >/dev/null && systemctl daemon-reload || true; \
	fi

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(TOOLS))
	rm -f $(DESTDIR)$(UDEVDIR)/60-hwstats.rules
	rm -f $(DESTDIR)$(UNITDIR)/hwstats-record.service
	@if [ -z "$(DESTDIR)" ] && command -v dkms >/dev/null; then \
		dkms remove -m hwstats -v $$(cat VERSION) --all 2>/dev/null || true; \
		rm -rf /usr/src/hwstats-$$(cat VERSION); \
	fi

clean:
	rm -rf build
include tests/fuzz/fuzz.mk

# The same record through hwstats and through ftrace (trace-cmd), perf and
# LTTng, one boot per kernel (bench/README.md, "Peers"); on demand only.
.PHONY: bench-peers
bench-peers: deps static tools
	bash bench/peers/run.sh
