#!/usr/bin/env bash
# Measures correlation on generated companies: each company's injected
# failures go through the real pipeline once for the dependency-graph rule
# and once for each baseline (one incident per alert, grouping by service,
# any shared dependency), and a table compares their grouping precision,
# recall and F1, root causes found, and major incidents and global-IRT
# pages against those there should have been. Then the cost of the join
# decision per alert, and of building the index, at 10,000 services.
# Not part of CI: the 10,000-service company takes a few minutes. Usage:
#   scripts/correlation-bench.sh                     # SIZES=100,1000,10000 NOISE=0.1 SEED=1
#   SIZES=1000 NOISE=0.3 scripts/correlation-bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."

sizes=${SIZES:-100,1000,10000}
noise=${NOISE:-0.1}
seed=${SEED:-1}

echo "==> grouping, root causes and major incidents (sizes $sizes, noise $noise, seed $seed)" >&2
go test -run '^$' -bench '^BenchmarkCorrelation$' -benchtime 1x -timeout 2h ./internal/correlbench/ \
  -correlbench.sizes="$sizes" -correlbench.noise="$noise" -correlbench.seed="$seed"

echo "==> the join decision per alert, and the index, at 10,000 services" >&2
go test -run '^$' -bench '^Benchmark(Decide|Index)$' -benchmem -count 3 ./internal/correlbench/ -correlbench.seed="$seed"
