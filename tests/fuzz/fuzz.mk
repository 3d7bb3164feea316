# Fuzzing with libFuzzer (ASan and UBSan): the .hws reader, the
# record-stream check, the tools' option parsers (sizes, durations, CPU
# sets, name patterns) and hwstats-report's time parsing.
# Included from the top Makefile:
#
#   make fuzz [FUZZ_SECONDS=60]   build, then run each target that long
#   make fuzz-regress              replay the committed corpora only
#   make fuzz-seeds                rewrite the generated seeds (seed-*)
#
# Each target runs on a working corpus in build/fuzz/corpus/<target> (where
# libFuzzer adds what it finds), seeded from tests/fuzz/corpus/<target>
# (committed seeds and regression inputs) and, for the reader, the golden
# files. A crash leaves its input in build/fuzz/artifacts/<target>/; once
# fixed, copy it to tests/fuzz/corpus/<target>/ as regress-<what>.

FUZZ_SECONDS ?= 60
# The trace reader, the widest parser, may be given longer.
FUZZ_READER_SECONDS ?= $(FUZZ_SECONDS)
FUZZ_CC ?= clang
FUZZ_O := build/fuzz
FUZZ_TARGETS := reader stream_check options timeparse
FUZZ_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror \
	-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -Iformats -Iformats/libhws \
	-Irecorder -Ianalyze
FUZZ_LIBHWS := $(wildcard formats/libhws/*.c)
FUZZ_BINS := $(patsubst %,$(FUZZ_O)/fuzz_%,$(FUZZ_TARGETS))
FUZZ_SEEDS_reader := tests/fuzz/corpus/reader tests/golden/hws
FUZZ_SEEDS_stream_check := tests/fuzz/corpus/stream_check
FUZZ_SEEDS_options := tests/fuzz/corpus/options
FUZZ_SEEDS_timeparse := tests/fuzz/corpus/timeparse
FUZZ_ARGS := -max_len=65536 -timeout=20 -rss_limit_mb=2560
# The parsers of option arguments take short strings.
FUZZ_STR_ARGS := -max_len=256 -timeout=20 -rss_limit_mb=2560

.PHONY: fuzz fuzz-build fuzz-regress fuzz-seeds
fuzz-build: $(FUZZ_BINS)

$(FUZZ_O)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIBHWS) \
		$(wildcard formats/libhws/*.h) formats/hwstats_abi.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_LIBHWS) -lzstd -lpthread

# The option and time parsers, with only the files that hold them.
$(FUZZ_O)/fuzz_options: tests/fuzz/fuzz_options.c recorder/hwsdev.c \
		recorder/hwsdev.h analyze/select.c analyze/report.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< recorder/hwsdev.c analyze/select.c

$(FUZZ_O)/fuzz_timeparse: tests/fuzz/fuzz_timeparse.c analyze/timeparse.c \
		analyze/report.h formats/libhws/duration.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< analyze/timeparse.c \
		formats/libhws/duration.c

fuzz: fuzz-build
	@set -e; for t in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_O)/corpus/$$t $(FUZZ_O)/artifacts/$$t; \
		args="$(FUZZ_ARGS)"; secs=$(FUZZ_SECONDS); \
		case $$t in \
		reader) seeds="$(FUZZ_SEEDS_reader)"; \
			secs=$(FUZZ_READER_SECONDS) ;; \
		options) seeds="$(FUZZ_SEEDS_options)"; \
			args="$(FUZZ_STR_ARGS) -dict=tests/fuzz/options.dict" ;; \
		timeparse) seeds="$(FUZZ_SEEDS_timeparse)"; \
			args="$(FUZZ_STR_ARGS) -dict=tests/fuzz/timeparse.dict" ;; \
		*) seeds="$(FUZZ_SEEDS_stream_check)" ;; \
		esac; \
		echo "fuzz: $$t for $$secs s"; \
		$(FUZZ_O)/fuzz_$$t $$args -max_total_time=$$secs \
			-print_final_stats=1 \
			-artifact_prefix=$(FUZZ_O)/artifacts/$$t/ \
			$(FUZZ_O)/corpus/$$t $$seeds; \
	done

fuzz-regress: fuzz-build
	@set -e; for t in $(FUZZ_TARGETS); do \
		case $$t in \
		reader) seeds="$(FUZZ_SEEDS_reader)" ;; \
		options) seeds="$(FUZZ_SEEDS_options)" ;; \
		timeparse) seeds="$(FUZZ_SEEDS_timeparse)" ;; \
		*) seeds="$(FUZZ_SEEDS_stream_check)" ;; \
		esac; \
		files=$$(find $$seeds -type f ! -name '*.expect'); \
		$(FUZZ_O)/fuzz_$$t $(FUZZ_ARGS) $$files; \
	done

fuzz-seeds:
	$(MAKE) -f mk/user.mk O=build/host build/host/libhws.a
	@mkdir -p $(FUZZ_O) tests/fuzz/corpus/reader tests/fuzz/corpus/stream_check
	$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE \
		-Iformats -Iformats/libhws -Itests/unit -o $(FUZZ_O)/gen_seeds \
		tests/fuzz/gen_seeds.c tests/unit/hws_gen.c build/host/libhws.a \
		-lzstd -lpthread
	$(FUZZ_O)/gen_seeds tests/fuzz/corpus
