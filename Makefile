# vigil: one non-recursive GNU Makefile (variants such as ASan re-enter it with another BUILD dir).
# Targets: all deps test unit integration asan fuzz demo check clean.

BUILD   ?= build
BIN     ?= bin
SAN     ?=
CC      ?= cc
PYTHON  ?= /usr/bin/python3

PKGS      := hiredis libconfuse
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) cunit 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lev
CUNIT_LIBS := $(shell pkg-config --libs cunit 2>/dev/null)

WARN    := -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes -Wvla -Werror
CFLAGS  ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(CFLAGS) $(WARN) -Iinclude $(PKG_CFLAGS)
ifeq ($(SAN),1)
ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDSAN      := -fsanitize=address,undefined
endif
QU_CFLAGS := $(ALL_CFLAGS) -Wconversion

QU_SRC  := $(wildcard quorum/*.c)
SN_SRC  := $(filter-out sentinel/main.c,$(wildcard sentinel/*.c))
UT_SRC  := $(wildcard tests/unit/*.c)

QU_OBJ  := $(QU_SRC:%.c=$(BUILD)/%.o)
SN_OBJ  := $(SN_SRC:%.c=$(BUILD)/%.o)
UT_OBJ  := $(UT_SRC:%.c=$(BUILD)/%.o)

VIGIL   := $(BIN)/vigil
UNIT    := $(BUILD)/unit_tests

.PHONY: all deps test unit integration asan asan-unit fuzz demo check clean

all: $(VIGIL)

$(BUILD)/quorum/%.o: quorum/%.c
	@mkdir -p $(dir $@)
	@echo '  CC  $<'
	@$(CC) $(QU_CFLAGS) -Iquorum -MMD -MP -c $< -o $@

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo '  CC  $<'
	@$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libquorum.a: $(QU_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libsentinel.a: $(SN_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(VIGIL): $(BUILD)/sentinel/main.o $(BUILD)/libsentinel.a $(BUILD)/libquorum.a
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -o $@ $^ $(PKG_LIBS)

$(UNIT): $(UT_OBJ) $(BUILD)/libsentinel.a $(BUILD)/libquorum.a
	$(CC) $(LDSAN) -o $@ $^ $(PKG_LIBS) $(CUNIT_LIBS)

$(BUILD)/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	@echo '  CC  $<'
	@$(CC) $(ALL_CFLAGS) -Iquorum -Isentinel -MMD -MP -c $< -o $@

deps:
	@scripts/deps.sh

unit: $(UNIT)
	$(UNIT)

integration: $(VIGIL)
	VIGIL=$(abspath $(VIGIL)) $(PYTHON) tests/integration/run.py

# The same unit and integration tests under AddressSanitizer + UBSan.
asan:
	$(MAKE) BUILD=build/asan BIN=build/asan/bin SAN=1 unit integration

test: deps
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) integration
	$(MAKE) sim-test
	$(MAKE) asan
	$(MAKE) fuzz FUZZ_SECONDS=8
	scripts/check-docker.sh

demo: deps all
	scripts/demo.sh

clean:
	rm -rf build bin

-include $(QU_OBJ:.o=.d) $(SN_OBJ:.o=.d) $(UT_OBJ:.o=.d) $(BUILD)/sentinel/main.d

# libFuzzer harnesses (clang): tests/fuzz/fuzz_<name>.c, each linked with the shell and core sources.
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
FUZZ_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1 -Iinclude -Isentinel -Iquorum \
	$(PKG_CFLAGS) -fsanitize=fuzzer,address,undefined
FUZZ_SECONDS ?= 20

build/fuzz/%: tests/fuzz/%.c $(SN_SRC) $(QU_SRC)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $< $(SN_SRC) $(QU_SRC) $(PKG_LIBS)

fuzz-build: $(FUZZ_BIN)

# Short runs in `make test`; `make fuzz FUZZ_SECONDS=600` for long ones.
fuzz: $(FUZZ_BIN)
	@for f in $(FUZZ_BIN); do \
		n=$$(basename $$f); mkdir -p build/fuzz/corpus/$$n; \
		seeds=tests/fuzz/corpus/$$n; [ -d $$seeds ] || seeds=; \
		echo "fuzz: $$n for $(FUZZ_SECONDS)s"; \
		$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=0 build/fuzz/corpus/$$n $$seeds 2>build/fuzz/$$n.log \
			|| { tail -50 build/fuzz/$$n.log; exit 1; }; \
	done

# Sub-makefiles owned by their directories (deterministic simulator, benchmarks).
-include tests/sim/sim.mk
-include bench/bench.mk
