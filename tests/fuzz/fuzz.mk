# Build and run the libFuzzer harnesses of tests/fuzz.
#
#   make fuzz [FUZZ_SECONDS=60]      from the top of the build tree
#
# runs each harness for FUZZ_SECONDS under ASan and UBSan on a copy of
# its seed corpus (tests/fuzz/corpus/NAME; the copy grows, the seeds do
# not), prints one line per harness, and fails on any crash, leak,
# timeout or out-of-memory.  To replay an input (a crash file, or a
# whole directory) without fuzzing:
#
#   tests/fuzz/build/fuzz-NAME FILE...
#
# This is a plain makefile, which the top Makefile.am's `fuzz` target
# calls with what configure found (the pkg-config flags, WARN_CFLAGS),
# because libFuzzer needs clang while the tree is configured with gcc,
# and automake will not make a second, VPATH build of a source tree that
# is configured in place.  It compiles the formats/ and common/ sources
# itself, with clang and coverage instrumentation, into build/libfuzz.a.

FUZZ_SECONDS ?= 60
CLANG ?= clang
fuzzdir := $(top_srcdir)/tests/fuzz
O := $(top_builddir)/tests/fuzz/build

HARNESSES := tar ovf vmx vmdk-desc image domxml qcow2 gz
# The dictionaries of each harness (tests/fuzz/dict/NAME.dict).
DICT_tar := tar
DICT_ovf := ovf
DICT_vmx := vmx
DICT_vmdk-desc := vmdk
DICT_image := vmdk
DICT_domxml := ovf vmx

SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_CFLAGS := -g -O1 $(SANITIZE) $(WARN_CFLAGS) -I$(top_builddir) \
	-I$(top_srcdir)/common -I$(top_srcdir)/formats -I$(top_srcdir)/tests \
	$(LIBXML2_CFLAGS) $(ZLIB_CFLAGS) $(LIBDEFLATE_CFLAGS)
FUZZ_LIBS := $(LIBXML2_LIBS) $(ZLIB_LIBS) $(LIBDEFLATE_LIBS) $(LIBS)

LIB_SRCS := $(wildcard $(top_srcdir)/formats/*.c $(top_srcdir)/common/*.c) \
	$(top_srcdir)/tests/qcow2-check.c
LIB_OBJS := $(patsubst $(top_srcdir)/%.c,$(O)/obj/%.o,$(LIB_SRCS))
BINS := $(HARNESSES:%=$(O)/fuzz-%)

all: $(BINS)

# V=1 shows the commands, as automake's silent rules do.
Q := $(if $(filter 1,$(V)),,@)

# Coverage guides the fuzzer through the code under test.  The checker
# is the oracle, not under test: without coverage it runs at twice the
# speed, and its loops do not count as new paths.
COVERAGE := -fsanitize=fuzzer-no-link
$(O)/obj/tests/qcow2-check.o: COVERAGE :=

$(O)/obj/%.o: $(top_srcdir)/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CLANG    $*.o")
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(COVERAGE) -MMD -MP -c $< -o $@

$(O)/libfuzz.a: $(LIB_OBJS)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

$(O)/fuzz-%: $(fuzzdir)/fuzz-%.c $(fuzzdir)/fuzz.h $(O)/libfuzz.a
	@$(if $(Q),echo "  CLANG    fuzz-$*")
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(O)/libfuzz.a \
		$(FUZZ_LIBS) -o $@

-include $(LIB_OBJS:.o=.d)

run: all
	@fail=0; \
	$(foreach h,$(HARNESSES),bash $(fuzzdir)/run-fuzz.sh $(O) $(h) \
		$(FUZZ_SECONDS) $(DICT_$(h):%=$(fuzzdir)/dict/%.dict) || fail=1;) \
	exit $$fail

clean:
	rm -rf $(O)

.PHONY: all run clean
