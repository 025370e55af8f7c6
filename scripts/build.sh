#!/usr/bin/env bash
# Builds the release bundle into pkg/ (wasm-pack, --target web, wasm-opt from
# the npm package binaryen), appends src/js/client.js and src/js/fast_paths.js
# to its glue, gives the module's imports and exports short names
# (scripts/minify-names.mjs), minifies the glue with terser and prints the
# compressed size.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
script=build.sh
# shellcheck source=scripts/npm-wasm-opt.sh
source "$root/scripts/npm-wasm-opt.sh"

wasm-pack --log-level warn build --release --target web --mode no-install
node scripts/append-fast-paths.mjs pkg
node scripts/minify-names.mjs pkg
# Pages load the web build's glue as it is, so it ships minified: about half
# the bytes after gzip. Classes and methods keep their names, so a stack
# trace still names Session.decide. The glue's inner functions get short
# names, which saves about 200 bytes after gzip.
terser pkg/zephr_session.js --module --compress --mangle --keep-classnames \
  --output pkg/zephr_session.min.js
mv pkg/zephr_session.min.js pkg/zephr_session.js

wasm=pkg/zephr_session_bg.wasm
glue=pkg/zephr_session.js
wasm_gzip=$(gzip -9nc "$wasm" | wc -c)
glue_gzip=$(gzip -9nc "$glue" | wc -c)
echo "bundle: $wasm $(wc -c <"$wasm") bytes ($wasm_gzip gzipped), $glue $(wc -c <"$glue") bytes ($glue_gzip gzipped); total $((wasm_gzip + glue_gzip)) bytes gzipped"
