#!/usr/bin/env bash
# Installs what building, the demo and the tests need, and skips what is
# already there. That is the wasm32 target, wasm-pack, the wasm-bindgen CLI
# at the version Cargo.lock names, and the npm tools (binaryen's wasm-opt,
# Playwright, TypeScript). With "test", it adds Debian's Chromium and
# ChromeDriver.
#
# "examples" installs the npm packages of the examples in www/ from their
# lock files, the zephr-session tarball included, so it runs after
# scripts/package.sh and again after each new tarball.
#
# Usage: scripts/setup.sh [build|test|examples]    (default: build)
set -euo pipefail

mode=${1:-build}
case "$mode" in
  build | test | examples) ;;
  *)
    echo "setup.sh: unknown mode '$mode'; use 'build', 'test' or 'examples'" >&2
    exit 2
    ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

say() { printf 'setup: %s\n' "$*"; }

if [ "$mode" = examples ]; then
  if [ ! -f target/package/zephr-session.tgz ]; then
    echo "setup.sh: target/package/zephr-session.tgz is missing; run scripts/package.sh first" >&2
    exit 1
  fi
  # npm ci every time: the examples depend on the tarball, which changes with
  # every build. Their lock files record no integrity for it, because npm
  # would then install the copy in its cache instead of the new tarball.
  for example in www/vite-example www/ssr-example; do
    say "installing the npm packages of $example"
    (cd "$example" && npm ci --no-audit --no-fund --loglevel=error)
  done
  exit 0
fi

wasm_pack_version=0.15.1

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(wasm-pack --version 2>/dev/null)" != "wasm-pack $wasm_pack_version" ]; then
  say "installing wasm-pack $wasm_pack_version (about 3 minutes)"
  cargo install wasm-pack --locked --version "$wasm_pack_version"
fi

# wasm-pack uses the wasm-bindgen on PATH only when its version equals the
# one in Cargo.lock, so the CLI follows the lock file.
if [ ! -f Cargo.lock ]; then
  cargo generate-lockfile
fi
bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ -z "$bindgen_version" ]; then
  echo "setup.sh: Cargo.lock names no wasm-bindgen version; run 'cargo generate-lockfile'" >&2
  exit 1
fi
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $bindgen_version" ]; then
  say "installing wasm-bindgen-cli $bindgen_version (about 4 minutes)"
  # Some releases' own lock files name versions the registry lacks, so an
  # unlocked install is the fallback.
  cargo install wasm-bindgen-cli --version "$bindgen_version" --locked ||
    cargo install wasm-bindgen-cli --version "$bindgen_version"
fi

# npm ci runs again only when package-lock.json changed since the last install.
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.lock-hash 2>/dev/null)" != "$lock_hash" ]; then
  say "installing the npm tools from package-lock.json"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" >node_modules/.lock-hash
fi

if [ "$mode" = test ]; then
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    say "installing Debian's chromium and chromium-driver"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
fi

say "ready ($mode): $(wasm-pack --version), $(wasm-bindgen --version), wasm-opt $(node_modules/.bin/wasm-opt --version | cut -d' ' -f3)"
