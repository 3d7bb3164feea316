# User-space build of one variant, called from the top Makefile:
#   make -f mk/user.mk O=build/host VARIANT_CFLAGS=... VARIANT_LDFLAGS=...
# Builds libhws.a, the tools and the unit tests into $(O).

CC ?= cc
O ?= build/host
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror
BASE_CFLAGS := -std=gnu11 $(WARN) -D_FILE_OFFSET_BITS=64 -D_GNU_SOURCE \
	-Iformats -Iformats/libhws -Irecorder -Ianalyze -MMD -MP
ALL_CFLAGS = $(BASE_CFLAGS) $(CFLAGS) $(VARIANT_CFLAGS)
LIBS := -lzstd -lpthread -lm
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

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

.PHONY: all tools unit-bins vmtools
all: tools
tools: $(TOOLS)
vmtools: $(VMTOOLS)
unit-bins: $(UNIT_TESTS)

$(O)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DHWSTATS_VERSION='"$(VERSION)"' -c -o $@ $<

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
	$(CC) $(ALL_CFLAGS) $(VARIANT_LDFLAGS) -o $@ $^ $(LIBS)

$(O)/bin/hwstats-report: $(O)/obj/analyze/hwstats-report.o $(ANALYZE_A) $(LIBHWS_A)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(VARIANT_LDFLAGS) -o $@ $^ $(LIBS)

$(O)/vmtools/%: $(O)/obj/tests/vm/tools/%.o $(LIBHWS_A)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(VARIANT_LDFLAGS) -o $@ $^ $(LIBS)

$(O)/tests/test_%: $(O)/obj/tests/unit/test_%.o $(O)/obj/tests/unit/hws_gen.o $(ANALYZE_A) $(RECLIB_A) $(LIBHWS_A)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(VARIANT_LDFLAGS) -o $@ $^ -lcmocka $(LIBS)

-include $(shell find $(O)/obj -name '*.d' 2>/dev/null)
