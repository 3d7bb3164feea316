# User-space build of one variant, called from the top Makefile:
#   make -f mk/user.mk O=build/host VARIANT_CFLAGS=... VARIANT_LDFLAGS=...
# Builds libhws.a, the tools and the unit tests into $(O).

# Honours the usual CC, CPPFLAGS, CFLAGS and LDFLAGS; finds libzstd and
# cmocka through pkg-config. Warnings are errors only where asked: WERROR=1
# (make test and CI set it).

CC ?= cc
O ?= build/host
CFLAGS ?= -O2 -g
PKG_CONFIG ?= pkg-config
WERROR ?=
WARN := -Wall -Wextra $(if $(filter 1 y yes,$(WERROR)),-Werror)
ZSTD_CFLAGS := $(shell $(PKG_CONFIG) --cflags libzstd 2>/dev/null)
ZSTD_LIBS := $(or $(shell $(PKG_CONFIG) --libs libzstd 2>/dev/null),-lzstd)
CMOCKA_CFLAGS := $(shell $(PKG_CONFIG) --cflags cmocka 2>/dev/null)
CMOCKA_LIBS := $(or $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null),-lcmocka)
BASE_CFLAGS := -std=gnu11 $(WARN) -D_FILE_OFFSET_BITS=64 -D_GNU_SOURCE \
	-Iformats -Iformats/libhws -Irecorder -Ianalyze -MMD -MP
ALL_CFLAGS = $(BASE_CFLAGS) $(ZSTD_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(VARIANT_CFLAGS)
ALL_LDFLAGS = $(LDFLAGS) $(VARIANT_LDFLAGS)
LIBS := $(ZSTD_LIBS) -lpthread -lm
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
# libhws.so: SONAME libhws.so.$(SOMAJOR); a change that breaks its API or
# ABI raises SOMAJOR.
SOMAJOR := 1
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
SONAME := libhws.so.$(SOMAJOR)

LIBHWS_SRCS := $(wildcard formats/libhws/*.c)
RECLIB_SRCS := $(filter-out recorder/hwstats-%.c,$(wildcard recorder/*.c))
ANALYZE_SRCS := $(filter-out analyze/hwstats-%.c,$(wildcard analyze/*.c))
TOOL_MAINS := $(wildcard recorder/hwstats-*.c analyze/hwstats-*.c)
TOOLS := $(patsubst %.c,$(O)/bin/%,$(notdir $(TOOL_MAINS)))
VMTOOL_SRCS := $(wildcard tests/vm/tools/*.c)
VMTOOLS := $(patsubst tests/vm/tools/%.c,$(O)/vmtools/%,$(VMTOOL_SRCS))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_TESTS := $(patsubst tests/unit/%.c,$(O)/tests/%,$(UNIT_SRCS))

obj = $(patsubst %.c,$(O)/obj/%.o,$(1))
LIBHWS_A := $(O)/libhws.a
RECLIB_A := $(O)/libhwsrec.a
ANALYZE_A := $(O)/libhwsanalyze.a

# Keep objects made by chained rules: no rebuild next time.
.SECONDARY:

.PHONY: all tools unit-bins vmtools shlib pc
all: tools
tools: $(TOOLS)
shlib: $(O)/lib/$(SONAME) $(O)/lib/libhws.so
pc: $(O)/hwstats.pc
vmtools: $(VMTOOLS)
unit-bins: $(UNIT_TESTS)

$(O)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DHWSTATS_VERSION='"$(VERSION)"' -c -o $@ $<

# The shared library: its own position-independent objects, everything
# hidden but the API of hws.h (mk/libhws-export.h), versioned symbols, and
# no test hooks (HWS_SHARED_LIB).
$(O)/pic/%.o: %.c mk/libhws-export.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden -include mk/libhws-export.h \
		-DHWS_SHARED_LIB \
		-DHWSTATS_VERSION='"$(VERSION)"' -c -o $@ $<

$(O)/lib/$(SONAME): $(patsubst %.c,$(O)/pic/%.o,$(LIBHWS_SRCS)) mk/libhws.map
	@mkdir -p $(dir $@)
	$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=mk/libhws.map \
		-Wl,--no-undefined $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(LIBS)

$(O)/lib/libhws.so: $(O)/lib/$(SONAME)
	ln -sf $(SONAME) $@

# Made at every call: it depends on PREFIX, LIBDIR and INCLUDEDIR too.
.PHONY: $(O)/hwstats.pc
$(O)/hwstats.pc: mk/hwstats.pc.in VERSION
	@mkdir -p $(dir $@)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' $< >$@

$(LIBHWS_A): $(call obj,$(LIBHWS_SRCS))
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^
$(RECLIB_A): $(call obj,$(RECLIB_SRCS))
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^
$(ANALYZE_A): $(call obj,$(ANALYZE_SRCS))
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^

$(O)/bin/hwstats-%: $(O)/obj/recorder/hwstats-%.o $(RECLIB_A) $(LIBHWS_A)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(O)/bin/hwstats-report: $(O)/obj/analyze/hwstats-report.o $(ANALYZE_A) $(LIBHWS_A)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(O)/vmtools/%: $(O)/obj/tests/vm/tools/%.o $(LIBHWS_A)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(O)/tests/test_%: $(O)/obj/tests/unit/test_%.o $(O)/obj/tests/unit/hws_gen.o $(O)/obj/tests/unit/simgen.o $(ANALYZE_A) $(RECLIB_A) $(LIBHWS_A)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CMOCKA_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(LIBS)

-include $(shell find $(O)/obj -name '*.d' 2>/dev/null)
