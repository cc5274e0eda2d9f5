#!/usr/bin/env bash
# Benchmarks `smtp-doctor kb lint` on the shipped KB (release build): the figure
# that says whether an editor can lint on every keystroke. Uses hyperfine when it
# is installed (apt-get install hyperfine), else a timed loop.
#
#   scripts/bench-lint.sh            # lint of kb/ with the example cases, and without
#   RUNS=50 scripts/bench-lint.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-30}"

cargo build --release --quiet
bin=./target/release/smtp-doctor
# Exit 1 (findings) is a valid outcome here; only 2 (could not run) is an error.
"$bin" kb lint --kb kb --format json >/dev/null || [ $? -eq 1 ]

if command -v hyperfine >/dev/null; then
  hyperfine --warmup 3 --runs "$RUNS" -N -i \
    "$bin kb lint --kb kb --format json" \
    "$bin kb lint --kb kb --format json --no-test" \
    "$bin kb lint --format json"
  exit 0
fi

bench() {
  local label="$1"; shift
  local start end
  start=$(date +%s%N)
  for _ in $(seq "$RUNS"); do "$@" >/dev/null 2>&1 || true; done
  end=$(date +%s%N)
  echo "$label: $(( (end - start) / RUNS / 1000 )) µs per run (mean of $RUNS)"
}
bench "kb lint --kb kb (with example cases)" "$bin" kb lint --kb kb --format json
bench "kb lint --kb kb --no-test" "$bin" kb lint --kb kb --format json --no-test
bench "kb lint (embedded KB)" "$bin" kb lint --format json
