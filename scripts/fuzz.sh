#!/usr/bin/env bash
# Runs the coverage-guided fuzz target `parse` (fuzz/fuzz_targets/parse.rs)
# for SECONDS seconds, 30 by default, and prints libFuzzer's final stats.
#
# Usage: scripts/fuzz.sh [SECONDS]
#
# The target feeds raw bytes to Session::from_slice and Session::parse and
# checks the invariants in tests/support/invariants.rs. It is not part of
# scripts/test.sh or CI. New inputs go to fuzz/corpus/parse (not committed),
# and the documents in tests/fixtures/ and tests/hostile/ seed it. A crash or
# a broken invariant stops the run and leaves the input in
# fuzz/artifacts/parse/, and the script exits non-zero.
#
# cargo-fuzz passes flags that only nightly Rust accepts (-Zsanitizer=address).
# The machine has only stable Rust, so RUSTC_BOOTSTRAP=1 lets stable accept them.
set -euo pipefail

seconds=${1:-30}
if ! [[ $seconds =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
  echo "fuzz.sh: invalid SECONDS '$seconds'; pass a positive whole number of seconds" >&2
  exit 2
fi

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz.sh: installing cargo-fuzz from crates.io"
  cargo install cargo-fuzz --locked
fi

corpus=fuzz/corpus/parse
mkdir -p "$corpus"

# libFuzzer writes new inputs only to the first corpus folder, so the
# seed folders are only read.
RUSTC_BOOTSTRAP=1 cargo fuzz run parse "$corpus" tests/fixtures tests/hostile -- \
  -max_total_time="$seconds" \
  -max_len=4096 \
  -timeout=10 \
  -dict=fuzz/parse.dict \
  -print_final_stats=1

echo "fuzz.sh: corpus $corpus holds $(find "$corpus" -type f | wc -l) inputs"
