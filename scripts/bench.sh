#!/usr/bin/env bash
# Benchmarks the release bundle against a plain-JavaScript implementation of
# the same access rules (bench/baseline.js) in headless Chromium. It writes
# the "## Client module" section of BENCHMARKS.md: transfer sizes, time to a
# first decision over cold page loads, calls per second of the helpers, parse
# cost, and how each grows with the document. bench/run.mjs does the
# measuring. It first checks that both implementations return the same
# results, and stops if they do not.
#
# It installs what it needs as scripts/test.sh does, builds pkg/ with
# scripts/build.sh, and serves everything from a Node server on 127.0.0.1.
# A run takes about two minutes on a 2-core machine once the tools are
# installed.
#
# Usage: scripts/bench.sh
# Settings (environment):
#   BENCH_PKG        a bundle folder to time instead of building pkg/
#   BENCH_LOADS      cold loads per path (default 30; at least 30 for BENCHMARKS.md)
#   BENCH_LATENCY_MS     latency added to each request in a second pass of
#                        cold loads (default 50; 0 skips that pass)
#   BENCH_LATENCY_LOADS  cold loads per path in that pass (default 15)
#   BENCH_SAMPLE_MS  the shortest timed sample, in ms (default 50)
#   BENCH_SAMPLES    samples per call and implementation (default 5)
#   BENCH_OUTPUT     the file to write (default BENCHMARKS.md)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if [ "$#" -ne 0 ]; then
  echo "bench.sh: takes no arguments, but got '$*'; settings go in the environment (see the top of scripts/bench.sh)" >&2
  exit 2
fi

if [ -n "${BENCH_PKG:-}" ]; then
  for file in zephr_session.js zephr_session_bg.wasm; do
    if [ ! -f "$BENCH_PKG/$file" ]; then
      echo "bench.sh: BENCH_PKG=$BENCH_PKG has no $file; point it at a folder that scripts/build.sh wrote, or unset it to build pkg/" >&2
      exit 2
    fi
  done
fi

# Checks the other settings before spending minutes on setup and the build.
node bench/run.mjs --check-settings

scripts/setup.sh test
export PATH="$root/node_modules/.bin:$PATH"

if [ -n "${BENCH_PKG:-}" ]; then
  echo "bench: timing the bundle in $BENCH_PKG, without building"
  exec node bench/run.mjs --pkg "$BENCH_PKG"
fi
scripts/build.sh
exec node bench/run.mjs --pkg pkg --built
