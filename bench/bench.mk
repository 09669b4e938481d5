# SPDX-License-Identifier: BSD-3-Clause
# bench/bench.mk: benchmarks on real processes, included by the top-level Makefile.
# `make bench` runs them all; `make bench-election RUNS=20` times SDOWN -> elected leader for
# 3 vigil and 3 redis-sentinel watchers, alternating (see docs/benchmarks.md).

RUNS      ?= 20
BENCH_OUT ?= $(BUILD)/bench

.PHONY: bench bench-election

bench: bench-election

bench-election: $(VIGIL)
	@mkdir -p $(BENCH_OUT)
	VIGIL=$(abspath $(VIGIL)) $(PYTHON) bench/election.py --runs $(RUNS) \
		--json $(BENCH_OUT)/election.json
