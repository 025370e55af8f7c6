#!/usr/bin/env bash
# Builds the npm package: three wasm-pack release builds (--target web,
# bundler and nodejs), each with src/js/fast_paths.js appended to its glue
# (scripts/append-fast-paths.mjs) and the web build's names and glue minified
# (scripts/minify-names.mjs, terser), assembled
# by scripts/assemble-package.mjs into target/package/zephr-session/ with one package.json whose "exports" picks
# the build for each tool, then packed into target/package/zephr-session.tgz.
# Prints the tarball's size and its list of files.
#
# pkg/ (scripts/build.sh) is left alone: the demo and its tests use it.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
script=package.sh
# shellcheck source=scripts/npm-wasm-opt.sh
source "$root/scripts/npm-wasm-opt.sh"

out=$root/target/package
builds=$out/build
folder=$out/zephr-session
tarball=$out/zephr-session.tgz
rm -rf "$builds" "$folder" "$tarball"
mkdir -p "$builds"

for target in web bundler nodejs; do
  echo "package.sh: building --target $target"
  wasm-pack --log-level warn build --release --target "$target" --mode no-install \
    --out-dir "$builds/$target"
  node scripts/append-fast-paths.mjs "$builds/$target"
done
# As scripts/build.sh does for pkg/: pages load the web build's glue as it
# is, while bundlers and Node minify or need no minifying.
node scripts/minify-names.mjs "$builds/web"
glue=$builds/web/zephr_session.js
terser "$glue" --module --compress --mangle --keep-classnames --output "$glue.min"
mv "$glue.min" "$glue"

node scripts/assemble-package.mjs "$builds" "$folder"

# npm pack prints the tarball's name on stdout; its notices go to stderr.
name=$(cd "$folder" && npm pack --silent --pack-destination "$out")
mv "$out/$name" "$tarball"

echo "package: $tarball ($name), $(wc -c <"$tarball") bytes"
tar -tzf "$tarball" | sed 's|^package/|  |' | sort
