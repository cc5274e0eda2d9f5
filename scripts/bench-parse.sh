#!/usr/bin/env bash
# Parsing speed of smtp-doctor's log parser on one core, and the same file
# counted by ripgrep with a pattern for SMTP replies, for scale.
#
#   scripts/bench-parse.sh [MB]      (default 300; the generated log is deleted afterwards)
#
# The log is generated from tests/fixtures/logs (every format, repeated, with
# free-text noise between transcripts), never committed. Run it on an idle
# machine: other work on the same cores lowers the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
MB="${1:-300}"
LOG="$(mktemp -t smtp-doctor-bench.XXXXXX.log)"
trap 'rm -f "$LOG"' EXIT

cargo build --release -q -p smtp-doctor-engine --example bench_parse
# One core for both, so the figures compare.
PIN=""
if command -v taskset >/dev/null; then PIN="taskset -c 0"; fi

echo "== smtp-doctor parse_reader ($MB MB, one core)"
PARSE_OUT="$($PIN ./target/release/examples/bench_parse "$MB" "$LOG")"
echo "$PARSE_OUT"
PARSE_MBS="$(echo "$PARSE_OUT" | awk '/^throughput/ { print $2 }')"

if command -v rg >/dev/null; then
    # A line holding a reply code (and maybe an enhanced code) after a non-digit.
    PATTERN='(^|[^0-9])[2-5][0-9]{2}[ -]([245]\.[0-9]{1,3}\.[0-9]{1,3})?'
    echo "== rg -c (same file, one thread)"
    start=$(date +%s.%N)
    $PIN rg -j1 -c "$PATTERN" "$LOG" | sed 's/^/matching lines  /'
    end=$(date +%s.%N)
    bytes=$(stat -c %s "$LOG")
    awk -v b="$bytes" -v s="$start" -v e="$end" -v p="$PARSE_MBS" 'BEGIN {
        t = e - s; r = b / 1e6 / t
        printf "time            %.3f s\nthroughput      %.0f MB/s\nparse / rg      %.2f\n", t, r, p / r
    }'
else
    echo "(ripgrep not installed: apt-get install -y ripgrep)"
fi
