#!/usr/bin/env bash
# Builds the npm package: three wasm-pack release builds (--target web,
# bundler and nodejs), assembled by scripts/assemble-package.mjs into
# target/package/zephr-session/ with one package.json whose "exports" picks
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
done

node scripts/assemble-package.mjs "$builds" "$folder"

# npm pack prints the tarball's name on stdout; its notices go to stderr.
name=$(cd "$folder" && npm pack --silent --pack-destination "$out")
mv "$out/$name" "$tarball"

echo "package: $tarball ($name), $(wc -c <"$tarball") bytes"
tar -tzf "$tarball" | sed 's|^package/|  |' | sort
