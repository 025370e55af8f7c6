# Sourced by build.sh and package.sh: puts the npm build of wasm-opt (package
# binaryen) first on PATH and fails when it is missing. Debian's binaryen is
# too old for current wasm-bindgen output and produces a bundle that fails at
# init(), so no other wasm-opt may run.
# Expects $root (the repository) and the caller's name in $script.
export PATH="$root/node_modules/.bin:$PATH"
if [ "$(command -v wasm-opt)" != "$root/node_modules/.bin/wasm-opt" ]; then
  echo "$script: wasm-opt from node_modules is missing; run scripts/setup.sh first" >&2
  exit 1
fi
