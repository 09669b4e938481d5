# Deterministic simulator of the quorum core (tests/sim, docs/simulation.md). Included by the
# top-level Makefile; objects are built by its generic $(BUILD)/%.o rule (no -Iquorum: the
# simulator sees the core only through include/quorum.h).
#
#   make sim                        one seed (SIM_SEED, default 1), N from the seed or N=3|5|7
#   make sim SIM_SEED=123 N=5       replay that seed exactly; SIM_TRACE=1 prints every step,
#                                   SIM_STEPS=k stops after k steps
#   make sim SEEDS=100000           a sweep of seeds SIM_SEED.. over SIM_JOBS processes
#   make sim-test                   what `make test` runs: fixed seeds, replay, >= 10,000 seeds,
#                                   and sabotaged shells the checkers must catch
#   make sim-asan                   sim-test's checks under ASan + UBSan, fewer seeds

SIM_SRC   := $(wildcard tests/sim/*.c)
SIM_OBJ   := $(SIM_SRC:%.c=$(BUILD)/%.o)
SIM_BIN   := $(BUILD)/sim/vigil_sim

SIM_SEED  ?= 1
SEEDS     ?=
N         ?=
SIM_STEPS ?=
SIM_TRACE ?=
SIM_FLAGS ?=
SIM_JOBS  ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ $$n -gt 16 ] && n=16; echo $$n)

# The seeds sim-test keeps: a split vote (two candidates in one epoch, neither elected, a later
# epoch elects), and a crash after persisting a vote and before replying with it. If the core's
# behaviour changes and they stop hitting their situation, sim-test says so: pick new ones from
# the lists `make sim SEEDS=...` prints.
SIM_SPLIT_SEED  := 159
SIM_CRASH_SEED  := 129
SIM_TEST_SEEDS  ?= 20000
SIM_ASAN_SEEDS  ?= 2000

.PHONY: sim sim-test sim-asan

$(SIM_BIN): $(SIM_OBJ) $(BUILD)/libquorum.a
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -o $@ $^

SIM_ARGS = --seed $(SIM_SEED) $(if $(SEEDS),--seeds $(SEEDS) --jobs $(SIM_JOBS)) $(if $(N),--n $(N)) \
	$(if $(SIM_STEPS),--steps $(SIM_STEPS)) $(if $(SIM_TRACE),--trace) $(SIM_FLAGS)

sim: $(SIM_BIN)
	$(SIM_BIN) $(strip $(SIM_ARGS))

sim-test: $(SIM_BIN)
	$(SIM_BIN) --seed $(SIM_SPLIT_SEED) --n 3 --twice --expect split-vote
	$(SIM_BIN) --seed $(SIM_CRASH_SEED) --n 3 --twice --expect crash-persist-reply
	@# Same seed in two processes: same trace, byte for byte (no addresses, clocks or hashing).
	$(SIM_BIN) --seed $(SIM_SPLIT_SEED) --n 3 --trace > $(BUILD)/sim/replay-a.txt
	$(SIM_BIN) --seed $(SIM_SPLIT_SEED) --n 3 --trace > $(BUILD)/sim/replay-b.txt
	cmp $(BUILD)/sim/replay-a.txt $(BUILD)/sim/replay-b.txt
	@# The checkers can fail: a shell that acknowledges writes it never makes, and one that
	@# forgets its vote across restarts, must both be caught.
	$(SIM_BIN) --seed 1 --seeds 500 --jobs $(SIM_JOBS) --sabotage lose-persist \
		--lenient-epochs --expect-failure "not persisted first"
	$(SIM_BIN) --seed 1 --seeds 2000 --jobs $(SIM_JOBS) --sabotage forget-vote \
		--expect-failure "persisted two votes"
	$(SIM_BIN) --seed 1 --seeds $(SIM_TEST_SEEDS) --jobs $(SIM_JOBS) \
		--expect split-vote --expect crash-persist-reply

sim-asan:
	$(MAKE) BUILD=build/asan BIN=build/asan/bin SAN=1 SIM_TEST_SEEDS=$(SIM_ASAN_SEEDS) sim-test

-include $(SIM_OBJ:.o=.d)
