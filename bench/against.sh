#!/usr/bin/env bash
# Before and after for the queue alone: the queue benchmark of another commit (the "before") against this working
# tree, runs alternating on one Redis, so both see the same machine however busy it is. Prints each run's figures;
# compare CPU per job above all, which depends less on the machine's other work than jobs per second does. The raw
# redis-benchmark figures are skipped (they do not differ between the two). Run through `scripts/bench against REV`.
#   scripts/bench against HEAD~3              5 alternating runs of 100,000 jobs each
#   BENCH_RUNS=8 BENCH_JOBS=200000 scripts/bench against main
set -euo pipefail
source "$(dirname "$0")/../scripts/lib/common.sh"
source "$(dirname "$0")/../scripts/lib/servers.sh"

REVISION="${1:?usage: scripts/bench against <commit>}"
RUNS="${BENCH_RUNS:-5}"
JOBS="${BENCH_JOBS:-100000}"
PORT="${BENCH_REDIS_PORT:-16997}"
RUN="$ROOT/.data/bench-against"
REDIS_PID=""

cleanup() {
  local status=$?
  if [ -n "$REDIS_PID" ]; then
    kill "$REDIS_PID" 2>/dev/null || true
    wait "$REDIS_PID" 2>/dev/null || true
  fi
  exit $status
}
trap cleanup EXIT INT TERM

ensure_dotnet
ensure_apt redis-server:redis-server
require_free_port "$PORT" "benchmark Redis"
rm -rf "$RUN"
mkdir -p "$RUN/before" "$RUN/redis" "$RUN/logs"
git -C "$ROOT" archive "$REVISION" | tar -x -C "$RUN/before"
step "Building the benchmark of $(git -C "$ROOT" rev-parse --short "$REVISION") and of this tree (Release)" "$RUN/logs/build.log"
{
  dotnet build "$RUN/before/bench/Bench/Bench.csproj" -c Release -nologo -clp:ErrorsOnly
  dotnet build "$ROOT/bench/Bench/Bench.csproj" -c Release -nologo -clp:ErrorsOnly
} >"$RUN/logs/build.log" 2>&1 || fail "the build failed"
# The benchmark always runs redis-benchmark first; here a stand-in answers, as its figures are not compared.
printf '#!/bin/sh\necho "LPUSH: 0 requests per second"\necho "LPOP: 0 requests per second"\n' >"$RUN/no-redis-benchmark"
chmod +x "$RUN/no-redis-benchmark"

PASSWORD="$(random_secret)"
step "Starting Redis on 127.0.0.1:$PORT"
eval "exec $(redis_command "$PORT" "$RUN/redis" "$(redis_config "$RUN/redis" "$PASSWORD")")" >"$RUN/logs/redis.log" 2>&1 &
REDIS_PID=$!
wait_for "Redis answering PING" 20 redis_ping "$PORT" "$PASSWORD"

declare -A BENCH=([before]="$RUN/before/bench/Bench/bin/Release/net10.0/Bench.dll" [after]="$ROOT/bench/Bench/bin/Release/net10.0/Bench.dll")
for run in $(seq "$RUNS"); do
  for release in before after; do
    dotnet "${BENCH[$release]}" run --redis "127.0.0.1:$PORT,password=$PASSWORD" --jobs "$JOBS" --runs 1 \
      --redis-benchmark "$RUN/no-redis-benchmark" --out "$RUN/$release-$run.md" >"$RUN/logs/$release-$run.log" 2>&1 \
      || fail "the $release benchmark failed (see $RUN/logs)"
    printf '%s, run %s: %s (load %s)\n' "$release" "$run" "$(grep '^1 worker process' "$RUN/logs/$release-$run.log")" "$(cut -d' ' -f1 /proc/loadavg)"
  done
done
