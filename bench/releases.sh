#!/usr/bin/env bash
# Before and after: the previous release (deploy/previous-release) against this working tree, in one run on one
# machine: no-op queue jobs per second from one worker process, and authenticated GET /api/me on one web replica
# (requests/s with wrk, and the replica's CPU time per request from /proc). Runs alternate between the releases,
# so both see the same machine. Run through `scripts/bench releases`; writes bench/releases.md.
set -euo pipefail
source "$(dirname "$0")/../scripts/lib/common.sh"
source "$(dirname "$0")/../scripts/lib/servers.sh"

RUNS="${BENCH_RUNS:-3}"
JOBS="${BENCH_JOBS:-100000}"
SECONDS_PER_RUN="${BENCH_SECONDS:-10}"
REDIS_PORT="${BENCH_REDIS_PORT:-16998}"
MYSQL_PORT="${BENCH_MYSQL_PORT:-13998}"
S3_PORT="${BENCH_S3_PORT:-19998}"
WEB_PORT="${BENCH_WEB_PORT:-15998}"
RUN="$ROOT/.data/bench-releases"
OUT="$ROOT/bench/releases.md"
PIDS=()

cleanup() {
  local status=$? pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  exit $status
}
trap cleanup EXIT INT TERM

ensure_dotnet
ensure_apt redis-server:redis-server mariadb-server:mariadbd mariadb-client:mariadb wrk:wrk curl:curl
ensure_s3_server
for port in $REDIS_PORT $MYSQL_PORT $S3_PORT $WEB_PORT; do require_free_port "$port" "benchmark server"; done
rm -rf "$RUN"
mkdir -p "$RUN/redis" "$RUN/mysql" "$RUN/s3" "$RUN/logs" "$RUN/previous" "$RUN/current"
REVISION="$(tr -d '[:space:]' <"$ROOT/deploy/previous-release")"

step "Building the previous release ${REVISION:0:12} and this tree" "$RUN/logs/build.log"
git -C "$ROOT" archive "$REVISION" | tar -x -C "$RUN/previous"
{
  for tree in "$RUN/previous" "$ROOT"; do
    dotnet build "$tree/bench/Bench/Bench.csproj" -c Release -nologo -clp:ErrorsOnly
    dotnet publish "$tree/Web/Web.csproj" -c Release -nologo -o "$tree/.data/bench-web" 2>&1 | tail -n 1
  done
} >"$RUN/logs/build.log" 2>&1 || fail "the build failed"
declare -A BENCH=([previous]="$RUN/previous/bench/Bench/bin/Release/net10.0/Bench.dll" [current]="$ROOT/bench/Bench/bin/Release/net10.0/Bench.dll")
declare -A WEB=([previous]="$RUN/previous/.data/bench-web/Web.dll" [current]="$ROOT/.data/bench-web/Web.dll")

REDIS_PASSWORD="$(random_secret)"
MYSQL_PASSWORD="$(random_secret)"
S3_KEY="bench$(random_secret | head -c 10)"
S3_SECRET="$(random_secret)"
step "Starting Redis, MariaDB and the S3 server on loopback"
eval "exec $(redis_command "$REDIS_PORT" "$RUN/redis" "$(redis_config "$RUN/redis" "$REDIS_PASSWORD")")" >"$RUN/logs/redis.log" 2>&1 &
PIDS+=($!)
mariadb_initialize "$RUN/mysql"
eval "exec $(mariadb_command "$MYSQL_PORT" "$RUN/mysql")" >"$RUN/logs/mysql.log" 2>&1 &
PIDS+=($!)
mapfile -t s3_environment < <(s3_settings "$S3_PORT" "$RUN/s3" "$S3_KEY" "$S3_SECRET")
(export "${s3_environment[@]}" && eval "exec $(s3_command)") >"$RUN/logs/s3.log" 2>&1 &
PIDS+=($!)
wait_for "Redis answering PING" 20 redis_ping "$REDIS_PORT" "$REDIS_PASSWORD"
wait_for "MariaDB accepting connections" 60 mariadb-admin --no-defaults --socket="$RUN/mysql/mysqld.sock" -uroot ping
wait_for "the S3 server listening" 20 port_in_use "$S3_PORT"
mariadb_sql "$RUN/mysql" "CREATE USER 'bench'@'127.0.0.1' IDENTIFIED BY '$MYSQL_PASSWORD';
  GRANT ALL PRIVILEGES ON \`bench\\_%\`.* TO 'bench'@'127.0.0.1';
  CREATE DATABASE bench_previous CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
  CREATE DATABASE bench_current CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

declare -A QUEUE_RUNS ME_RUNS CPU_RUNS
for run in $(seq "$RUNS"); do
  for release in previous current; do
    step "Run $run of $RUNS, $release release: queue"
    dotnet "${BENCH[$release]}" run --redis "127.0.0.1:$REDIS_PORT,password=$REDIS_PASSWORD" --jobs "$JOBS" --runs 1 \
      --out "$RUN/queue-$release-$run.md" >"$RUN/logs/queue-$release-$run.log" 2>&1 || fail "the $release queue benchmark failed (see $RUN/logs)"
    # The table's "1 worker process" row, steady jobs/s column.
    QUEUE_RUNS[$release]+="$(awk -F'|' '/^\| 1 worker process/ { gsub(/[ ,]/, "", $3); print $3 }' "$RUN/queue-$release-$run.md") "

    step "Run $run of $RUNS, $release release: GET /api/me for ${SECONDS_PER_RUN}s"
    # Exported by the shell, not passed to env(1): the connection strings hold passwords, and a command line is public.
    (export ASPNETCORE_URLS="http://127.0.0.1:$WEB_PORT" ASPNETCORE_ENVIRONMENT=Production App__InstanceId="bench-$release" \
      ConnectionStrings__redis="127.0.0.1:$REDIS_PORT,password=$REDIS_PASSWORD" Redis__KeyPrefix="bench-$release:" \
      ConnectionStrings__appdb="Server=127.0.0.1;Port=$MYSQL_PORT;User ID=bench;Password=$MYSQL_PASSWORD;Database=bench_$release;SslMode=None" \
      ConnectionStrings__uploads="Endpoint=http://127.0.0.1:$S3_PORT;AccessKey=$S3_KEY;SecretKey=$S3_SECRET" Storage__Bucket="bench-$release" \
      Logging__LogLevel__Default=Warning Shutdown__DrainDelay=00:00:00 && exec dotnet "${WEB[$release]}") >"$RUN/logs/web-$release-$run.log" 2>&1 &
    web=$!
    PIDS+=("$web")
    wait_for "the $release replica ready" 90 curl -fsS "http://127.0.0.1:$WEB_PORT/health/ready"
    jar="$RUN/cookies-$release-$run"
    curl -fsS -o /dev/null -H 'Content-Type: application/json' -d "{\"email\":\"bench-$run@example.com\",\"password\":\"correct horse battery\",\"displayName\":\"Bench\"}" "http://127.0.0.1:$WEB_PORT/api/account/register" || true
    curl -fsS -o /dev/null -c "$jar" -H 'Content-Type: application/json' -d "{\"email\":\"bench-$run@example.com\",\"password\":\"correct horse battery\"}" "http://127.0.0.1:$WEB_PORT/api/account/login"
    cookie="$(awk '!/^#/ || /^#HttpOnly_/ { if (NF >= 7) printf "%s=%s; ", $6, $7 }' "$jar")"
    # A short warm-up (JIT, pools), then the measured run.
    wrk -t 2 -c 16 -d 3s -H "Cookie: $cookie" "http://127.0.0.1:$WEB_PORT/api/me" >/dev/null
    before="$(cpu_ticks "$web")"
    wrk -t 2 -c 16 -d "${SECONDS_PER_RUN}s" -H "Cookie: $cookie" "http://127.0.0.1:$WEB_PORT/api/me" >"$RUN/wrk-$release-$run.txt"
    after="$(cpu_ticks "$web")"
    kill "$web"
    wait "$web" 2>/dev/null || true
    grep -q 'Non-2xx' "$RUN/wrk-$release-$run.txt" && fail "the $release replica answered errors under load (see $RUN/wrk-$release-$run.txt)"
    requests="$(awk '/requests in/ { print $1 }' "$RUN/wrk-$release-$run.txt")"
    ME_RUNS[$release]+="$(awk '/^Requests\/sec/ { printf "%d", $2 }' "$RUN/wrk-$release-$run.txt") "
    CPU_RUNS[$release]+="$(( (after - before) * 1000000 / $(getconf CLK_TCK) / requests )) "
  done
done

row() { # row LABEL RUNS
  local values; read -r -a values <<<"$2"
  printf '| %s | %s | %s |\n' "$1" "$(printf '%s\n' "${values[@]}" | median)" "$(printf '%s, ' "${values[@]}" | sed 's/, $//')"
}
# shellcheck disable=SC2086 # RUNS is a space-separated list: one line per figure
ratio() { awk -v a="$(printf '%s\n' $1 | median)" -v b="$(printf '%s\n' $2 | median)" 'BEGIN { printf "%.2f", b / a }'; }

{
  echo "# This release against the previous one"
  echo
  echo "Written by \`scripts/bench releases\` on $(date -u '+%Y-%m-%d %H:%M UTC'). Machine: $(nproc) cores, $(dotnet --version | sed 's/^/.NET SDK /'), $(redis-server --version | awk '{ print $1, $3 }' | sed 's/v=//'), MariaDB $(mariadbd --version 2>/dev/null | awk '{ print $3 }'), all on loopback. Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "Previous release: \`${REVISION:0:12}\` (StackExchange.Redis 1.2.6, MySql.Data 8.0.16, hand-written cache and key ring). This release: \`$(git -C "$ROOT" rev-parse --short=12 HEAD)\` plus the working tree. $RUNS alternating runs each; the median, then every run."
  echo
  echo "| figure | median | every run |"
  echo "|---|---:|---|"
  row "queue, 1 worker process, steady no-op jobs/s: previous" "${QUEUE_RUNS[previous]}"
  row "queue, 1 worker process, steady no-op jobs/s: this release" "${QUEUE_RUNS[current]}"
  row "GET /api/me (signed in), one replica, requests/s: previous" "${ME_RUNS[previous]}"
  row "GET /api/me (signed in), one replica, requests/s: this release" "${ME_RUNS[current]}"
  row "GET /api/me, replica CPU µs per request: previous" "${CPU_RUNS[previous]}"
  row "GET /api/me, replica CPU µs per request: this release" "${CPU_RUNS[current]}"
  echo
  echo "This release / previous (medians): queue jobs/s **$(ratio "${QUEUE_RUNS[previous]}" "${QUEUE_RUNS[current]}")×**, /api/me requests/s **$(ratio "${ME_RUNS[previous]}" "${ME_RUNS[current]}")×**, /api/me CPU per request **$(ratio "${CPU_RUNS[previous]}" "${CPU_RUNS[current]}")×**."
  echo
  echo "Each queue run enqueues $JOBS no-op jobs and lets one worker process (the Worker's queue consumers, no HTTP, S3 or MySQL) drain them; see [results.md](results.md) for the method. Each /api/me run is wrk with 2 threads and 16 connections for ${SECONDS_PER_RUN} s after a 3 s warm-up, against one replica with its own database and key prefix; CPU is the replica's user + system time over the measured run, from /proc, divided by the requests it served."
} >"$OUT"
echo "wrote $OUT"
