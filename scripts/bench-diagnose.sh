#!/usr/bin/env bash
# Benchmark: one `smtp-doctor diagnose` from process start to exit (release build),
# on the sample log shipped in the repo and on a single raw reply. Uses hyperfine
# when available (apt-get install hyperfine), else a timed loop.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
BIN=target/release/smtp-doctor
SAMPLE=tests/samples/scan-to-email.log
REPLY="535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox."
if command -v hyperfine >/dev/null; then
  hyperfine -N --warmup 5 --runs 50 -i \
    "$BIN diagnose $SAMPLE --format json" \
    "$BIN diagnose --format json --reply '$REPLY'" \
    "$BIN diagnose --format json --lang it --reply '$REPLY'"
else
  n=50
  start=$(date +%s%N)
  for _ in $(seq $n); do "$BIN" diagnose "$SAMPLE" --format json >/dev/null || true; done
  end=$(date +%s%N)
  echo "diagnose (sample log): $(( (end - start) / n / 1000 )) us per run over $n runs"
fi
/usr/bin/time -v "$BIN" diagnose "$SAMPLE" --format json 2>&1 >/dev/null | grep -E "Maximum resident|Elapsed" || true
