#!/usr/bin/env bash
# Load run of the signing proxy. In one run, wrk sends session lookups straight
# to the mock Admin API, then through the proxy with the micro-cache off (every
# lookup signed and forwarded), then through the proxy with the cache on. The
# script writes requests per second, p50 and p99 latency and the ratios into
# the "Signing proxy" section of BENCHMARKS.md, with the machine it ran on.
#
# Every server listens on 127.0.0.1. Each wrk run is bounded in time, and the
# script stops every process it started by PID. wrk comes from Debian and is
# installed when missing.
#
# Usage: scripts/bench-proxy.sh
# Settings (environment): DURATION (wrk run time, default 10s), WARMUP
# (default 2s), CONNECTIONS (default 32), THREADS (wrk threads, default 1).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

duration=${DURATION:-10s}
warmup=${WARMUP:-2s}
connections=${CONNECTIONS:-32}
threads=${THREADS:-1}
session_id=26a73b7a-f7d0-48d8-85dd-a04b07313895
access_key=AK-bench
secret_key=bench-secret-not-a-real-key

say() { printf 'bench-proxy: %s\n' "$*"; }

if ! command -v wrk >/dev/null; then
  say "installing Debian's wrk"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq wrk >/dev/null
fi

say "building the proxy and the mock upstream (release)"
cargo build --release --locked --quiet -p zephr-session-server \
  --bin zephr-session-server --example mock_upstream
server_bin=target/release/zephr-session-server
mock_bin=target/release/examples/mock_upstream

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

# Starts a process in the background with its output in $1. The PID is kept in
# the main shell, so cleanup can stop it.
launch() {
  local log=$1
  shift
  "$@" >"$log" 2>&1 &
  pids+=("$!")
}

# Waits up to 10 s for the line of $2 that starts with $1 and prints the rest.
url_from() {
  local prefix=$1 log=$2 line
  for _ in $(seq 100); do
    if line=$(grep -m1 "^$prefix" "$log" 2>/dev/null); then
      echo "${line#"$prefix"}"
      return 0
    fi
    sleep 0.1
  done
  echo "bench-proxy: no '$prefix' line in $log; its content:" >&2
  cat "$log" >&2
  return 1
}

launch "$work/mock.log" env ZEPHR_ACCESS_KEY="$access_key" \
  ZEPHR_SECRET_KEY="$secret_key" "$mock_bin" --no-verify
mock_url=$(url_from "mock upstream: " "$work/mock.log")

proxy_env=(ZEPHR_UPSTREAM="$mock_url" ZEPHR_ACCESS_KEY="$access_key"
  ZEPHR_SECRET_KEY="$secret_key" ZEPHR_SITES=www ZEPHR_RATE_PER_SECOND=0)
launch "$work/proxy-uncached.log" env "${proxy_env[@]}" ZEPHR_CACHE_MS=0 \
  "$server_bin" proxy --listen 127.0.0.1:0
uncached_url=$(url_from "zephr-session proxy: " "$work/proxy-uncached.log")
uncached_url=${uncached_url%/}
launch "$work/proxy-cached.log" env "${proxy_env[@]}" ZEPHR_CACHE_MS=1000 \
  "$server_bin" proxy --listen 127.0.0.1:0
cached_url=$(url_from "zephr-session proxy: " "$work/proxy-cached.log")
cached_url=${cached_url%/}

path=/v4/sessions/www/$session_id
cookie="Cookie: blaize_session=$session_id"

# Runs wrk against $2 and prints "requests_per_second p50_ms p99_ms non2xx".
measure() {
  local name=$1 url=$2 output
  shift 2
  timeout 120 wrk -t"$threads" -c"$connections" -d"$warmup" "$@" "$url" >/dev/null
  output=$(timeout 120 wrk -t"$threads" -c"$connections" -d"$duration" --latency "$@" "$url")
  printf '%s\n' "$output" >"$work/$name.wrk"
  printf '%s\n' "$output" | awk '
    function to_ms(text) {
      if (text ~ /us$/) return substr(text, 1, length(text) - 2) / 1000
      if (text ~ /ms$/) return substr(text, 1, length(text) - 2) + 0
      if (text ~ /s$/) return substr(text, 1, length(text) - 1) * 1000
      return -1
    }
    $1 == "Requests/sec:" { rps = $2 }
    $1 == "50%" { p50 = to_ms($2) }
    $1 == "99%" { p99 = to_ms($2) }
    /Non-2xx or 3xx responses:/ { non2xx = $NF }
    END { printf "%.0f %.2f %.2f %d\n", rps, p50, p99, non2xx + 0 }'
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
say "wrk: mock upstream, direct"
read -r direct_rps direct_p50 direct_p99 direct_errors <<<"$(measure direct "$mock_url$path")"
say "wrk: proxy, cache off"
read -r uncached_rps uncached_p50 uncached_p99 uncached_errors \
  <<<"$(measure uncached "$uncached_url$path" -H "$cookie")"
say "wrk: proxy, cache on"
read -r cached_rps cached_p50 cached_p99 cached_errors \
  <<<"$(measure cached "$cached_url$path" -H "$cookie")"

load_after=$(cut -d' ' -f1-3 /proc/loadavg)

for errors in "$direct_errors" "$uncached_errors" "$cached_errors"; do
  if [ "$errors" -ne 0 ]; then
    say "a run had $errors non-2xx answers; wrk output follows"
    cat "$work"/*.wrk >&2
    exit 1
  fi
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; }

cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
cores=$(nproc)
# wrk -v prints its version and exits with status 1.
wrk_version=$( (wrk -v 2>&1 || true) | awk 'NR == 1 { print $2 }')
rustc_version=$(rustc --version | awk '{ print $2 }')
run_date=$(date -u +%Y-%m-%d)

section=$(mktemp)
cat >"$section" <<EOF
## Signing proxy

\`scripts/bench-proxy.sh\` wrote this section on $run_date. Run it again to
replace the figures.

| target | requests/s | p50 latency | p99 latency |
|---|---:|---:|---:|
| mock upstream, direct | $direct_rps | $direct_p50 ms | $direct_p99 ms |
| proxy, cache off | $uncached_rps | $uncached_p50 ms | $uncached_p99 ms |
| proxy, cache on | $cached_rps | $cached_p50 ms | $cached_p99 ms |

With the cache off, the proxy served $(ratio "$uncached_rps" "$direct_rps") times the requests per second of
the mock alone, at $(ratio "$uncached_p50" "$direct_p50") times its p50 latency and $(ratio "$uncached_p99" "$direct_p99") times its p99 latency.

What each row measures:

- **mock upstream, direct**: unsigned lookups sent straight to the mock Admin
  API (\`server/examples/mock_upstream.rs\`), which builds a JSON document of
  about 600 bytes for each request.
- **proxy, cache off** (\`ZEPHR_CACHE_MS=0\`): every lookup goes through the
  proxy, which checks the cookie binding, signs a new request (SHA-256, UUID
  nonce), forwards it to the same mock over a pooled HTTP/1.1 connection,
  reads the response, trims \`sessions\` and writes one log line to a file.
- **proxy, cache on** (\`ZEPHR_CACHE_MS=1000\`): the same lookups, all for one
  session id, so about one lookup a second goes upstream and the rest are
  cache hits.

The mock runs with \`--no-verify\` in all three rows, so that the direct row
can send unsigned requests. The rate limit is off (\`ZEPHR_RATE_PER_SECOND=0\`)
because every request comes from one address.

Setup: wrk $wrk_version with $threads thread and $connections connections,
a $warmup warm-up and then $duration per row, on 127.0.0.1. Release builds
with rustc $rustc_version. The machine has $cores cores ($cpu_model), and wrk,
the proxy (one tokio worker thread per core) and the mock share them, so each
figure is lower than what a dedicated machine would give. Other work on the
machine shares the cores too: the 1, 5 and 15 minute load averages were
$load_before before the first row and $load_after after the last.
EOF

# Replaces only this section and keeps the others, such as the one that
# scripts/bench.sh writes.
[ -f BENCHMARKS.md ] || printf '# Benchmarks\n' >BENCHMARKS.md
node --input-type=module -e '
import { readFileSync, writeFileSync } from "node:fs";
import { replaceSection } from "./bench/report.mjs";
const [file, sectionFile] = process.argv.slice(1);
const text = replaceSection(readFileSync(file, "utf8"), "## Signing proxy", readFileSync(sectionFile, "utf8"));
writeFileSync(file, text);
' BENCHMARKS.md "$section"
rm -f "$section"

say "wrote the Signing proxy section of BENCHMARKS.md"
sed -n '/^| target/,/^Ratios/p' BENCHMARKS.md
