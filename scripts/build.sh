#!/usr/bin/env bash
# Builds the release bundle into pkg/ (wasm-pack, --target web, wasm-opt from
# the npm package binaryen) and prints its compressed size.
#
# Debian's binaryen package is too old for current wasm-bindgen output and
# produces a bundle that fails at init(), so the npm build comes first on PATH.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH="$root/node_modules/.bin:$PATH"

if [ "$(command -v wasm-opt)" != "$root/node_modules/.bin/wasm-opt" ]; then
  echo "build.sh: wasm-opt from node_modules is missing; run scripts/setup.sh first" >&2
  exit 1
fi

wasm-pack --log-level warn build --release --target web --mode no-install

wasm=pkg/zephr_session_bg.wasm
glue=pkg/zephr_session.js
wasm_gzip=$(gzip -9c "$wasm" | wc -c)
glue_gzip=$(gzip -9c "$glue" | wc -c)
echo "bundle: $wasm $(wc -c <"$wasm") bytes ($wasm_gzip gzipped), $glue $(wc -c <"$glue") bytes ($glue_gzip gzipped); total $((wasm_gzip + glue_gzip)) bytes gzipped"
