#!/usr/bin/env bash
# Prints the transfer size of the release bundle in pkg/ (the wasm module
# and its JavaScript glue, each compressed with gzip -9) and fails when the
# sum is larger than the budget in scripts/size-budget.
#
# Size is deterministic for a given toolchain, so this check cannot flake.
# When a change makes the bundle smaller, lower the budget to the new size
# plus a little room in the same commit. Then this check fails on any later
# change that gives the saving back. The target is 20000 bytes.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

budget_file=scripts/size-budget
target=20000
wasm=pkg/zephr_session_bg.wasm
glue=pkg/zephr_session.js

for file in "$wasm" "$glue"; do
  if [ ! -f "$file" ]; then
    echo "check-size.sh: $file is missing; run scripts/build.sh first" >&2
    exit 1
  fi
done
budget=$(grep -v '^#' "$budget_file" | tr -d '[:space:]')
if ! [[ "$budget" =~ ^[0-9]+$ ]]; then
  echo "check-size.sh: invalid budget '$budget' in $budget_file; write a whole number of bytes" >&2
  exit 1
fi

wasm_gzip=$(gzip -9nc "$wasm" | wc -c)
glue_gzip=$(gzip -9nc "$glue" | wc -c)
total=$((wasm_gzip + glue_gzip))
echo "bundle size: $total bytes gzipped ($wasm $wasm_gzip, $glue $glue_gzip); budget $budget, target $target"
if [ "$total" -gt "$budget" ]; then
  echo "check-size.sh: the bundle is $((total - budget)) bytes over the budget in $budget_file;" \
    "find what grew with 'twiggy top' on a build with names, or raise the budget in the same commit, saying why" >&2
  exit 1
fi
if [ "$total" -gt "$target" ]; then
  echo "bundle size: $((total - target)) bytes over the $target-byte target"
fi
