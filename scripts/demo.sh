#!/usr/bin/env bash
# Builds the release bundle and starts the demo server on its built-in sample
# sessions; it prints the page's URL. No account, key or network is needed.
#
# Usage: scripts/demo.sh [--listen ADDR]    (default 127.0.0.1:8787; Ctrl-C stops it)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

scripts/setup.sh build
scripts/build.sh
echo "demo: building the demo server (about a minute the first time)"
cargo build -p zephr-session-server --release --locked --quiet
exec target/release/zephr-session-server demo --root "$root" "$@"
