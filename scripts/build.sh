#!/usr/bin/env bash
# Builds the release bundle into pkg/ (wasm-pack, --target web, wasm-opt from
# the npm package binaryen) and prints its compressed size.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
script=build.sh
# shellcheck source=scripts/npm-wasm-opt.sh
source "$root/scripts/npm-wasm-opt.sh"

wasm-pack --log-level warn build --release --target web --mode no-install

wasm=pkg/zephr_session_bg.wasm
glue=pkg/zephr_session.js
wasm_gzip=$(gzip -9nc "$wasm" | wc -c)
glue_gzip=$(gzip -9nc "$glue" | wc -c)
echo "bundle: $wasm $(wc -c <"$wasm") bytes ($wasm_gzip gzipped), $glue $(wc -c <"$glue") bytes ($glue_gzip gzipped); total $((wasm_gzip + glue_gzip)) bytes gzipped"
