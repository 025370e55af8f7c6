#!/usr/bin/env bash
# Runs every check and test, installing what they need first, and ends with
# one line "total: N passed, M failed".
#
# Steps: formatting, clippy and rustdoc (host and wasm32), host unit tests,
# `Session` in headless Chromium from Rust, the release bundle's transfer
# size against scripts/size-budget, the client in headless Chromium against
# the mock lookup (tests/browser/), and the bundle in Node, with the README's
# API reference checked against its declarations. Then the npm package: its
# files, metadata and loading in Node, and its declarations with tsc --strict. Last, the Vite example in
# Chromium, the server-rendering example in Node, and the demo page end to
# end in Chromium with Playwright.
# A failed check (formatting, clippy, a build) counts as one failure.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
logs=$(mktemp -d)
passed=0
failed=0

# Adds the counts of cargo's and wasm-bindgen-test's "test result:" lines and
# node's "# pass"/"# fail" lines in a log.
count() {
  local log=$1
  local counts
  counts=$(awk '
    /^test result:/ { for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed;?$/) p += $(i - 1); if ($(i) ~ /^failed;?$/) f += $(i - 1) } }
    /^# pass / { p += $3 }
    /^# fail / { f += $3 }
    END { print p + 0, f + 0 }' "$log")
  echo "$counts"
}

# Runs a step that reports test counts; a step that fails without reporting a
# failed test still counts as one failure.
run_tests() {
  local name=$1
  shift
  local log="$logs/$name.log"
  echo "== $name"
  "$@" 2>&1 | tee "$log"
  local status=${PIPESTATUS[0]}
  read -r step_passed step_failed <<<"$(count "$log")"
  if [ "$status" -ne 0 ] && [ "$step_failed" -eq 0 ]; then
    step_failed=1
  fi
  passed=$((passed + step_passed))
  failed=$((failed + step_failed))
  echo "== $name: $step_passed passed, $step_failed failed"
}

# Runs a check with no test counts: passing counts as one passed check.
run_check() {
  local name=$1
  shift
  echo "== $name"
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "== $name: FAILED"
  fi
}

# Installs the packed tarball under tests/types/node_modules, as npm would,
# and checks the consumer files with tsc: once as bundlers resolve the
# package and once as Node does.
check_types() {
  local installed=tests/types/node_modules/zephr-session
  rm -rf tests/types/node_modules
  mkdir -p "$installed"
  tar -xzf target/package/zephr-session.tgz -C "$installed" --strip-components=1 &&
    tsc --strict --noEmit -p tests/types &&
    tsc --strict --noEmit -p tests/types/tsconfig.node.json
}

build_vite_example() {
  (cd www/vite-example && npm run --silent build)
}

if ! scripts/setup.sh test; then
  echo "test.sh: setup failed; see the messages above"
  echo "total: 0 passed, 1 failed"
  exit 1
fi
export PATH="$root/node_modules/.bin:$PATH"

run_check "rustfmt" cargo fmt --all --check
run_check "clippy (host)" cargo clippy --workspace --all-targets --locked -- -D warnings
# The module is built without the standard library; its test harness links
# it, through the crate's std feature.
run_check "clippy (wasm32)" cargo clippy -p zephr-session --target wasm32-unknown-unknown --lib --locked -- -D warnings
run_check "clippy (wasm32 tests)" cargo clippy -p zephr-session --target wasm32-unknown-unknown --all-targets --features std --locked -- -D warnings
run_check "rustdoc" env RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet
# The JavaScript layer exists only on wasm32, so the host's rustdoc never reads its comments.
run_check "rustdoc (wasm32)" env RUSTDOCFLAGS="-D warnings" cargo doc -p zephr-session --target wasm32-unknown-unknown --no-deps --locked --quiet

run_tests "host tests" cargo test --workspace --locked --no-fail-fast

run_tests "browser tests (Rust)" wasm-pack test --headless --chrome --chromedriver "$(command -v chromedriver)" --mode no-install -- --features std --locked

run_check "release bundle" scripts/build.sh
run_check "bundle size" scripts/check-size.sh
run_tests "client in Chromium" node --test tests/browser/
run_tests "bundle in Node" node --test tests/node/

run_check "npm package" scripts/package.sh
run_tests "npm package contents" node --test tests/package/
run_check "TypeScript consumer" check_types

run_check "demo server build" cargo build -p zephr-session-server --locked --quiet
run_check "examples install" scripts/setup.sh examples
run_check "Vite example build" build_vite_example
run_tests "Vite example" node --test www/vite-example/example.test.mjs
run_tests "server-rendering example" node --test www/ssr-example/server.test.mjs
run_tests "end to end" node --test tests/e2e/

echo
echo "total: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
