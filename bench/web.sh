#!/usr/bin/env bash
# The web tier of scripts/bench: a cluster of its own from scripts/up (its own data folder and ports, loopback only,
# fresh every run), a minimal pass-through HAProxy beside its balancer, one signed-in user, then the Bench program's
# web benchmark, which writes its section of bench/results.md and the CPU chart. Stops both afterwards and removes
# the data folder (the uploads it wrote).
#   bench/web.sh OUTPUT.md CHART.svg [options for Bench web, e.g. --seconds 4 --runs 3]
set -euo pipefail
source "$(dirname "$0")/../scripts/lib/common.sh"
source "$(dirname "$0")/../scripts/lib/servers.sh"
OUT="${1:?usage: bench/web.sh OUTPUT.md CHART.svg [options]}"
CHART="${2:?usage: bench/web.sh OUTPUT.md CHART.svg [options]}"
shift 2

export SECONDSERVER_DATA="$ROOT/.data/bench-cluster"
export LB_BIND=127.0.0.1 LB_HTTPS_REDIRECT=0 LB_HTTP_PORT=18080 LB_HTTPS_PORT=18443 LB_STATS_PORT=18404 WEB1_PORT=18101 WEB2_PORT=18102 \
  WORKER_PORT=18201 REDIS_PORT=18380 MYSQL_PORT=18307 S3_PORT=18900
MINIMAL_PORT=18090
RUN="$ROOT/.data/bench-web"
MINIMAL_PID=""
source "$ROOT/scripts/lib/cluster.sh"

cleanup() {
  local status=$?
  if [ -n "$MINIMAL_PID" ]; then
    kill "$MINIMAL_PID" 2>/dev/null || true
    wait "$MINIMAL_PID" 2>/dev/null || true
  fi
  "$ROOT/scripts/down" >"$RUN/down.log" 2>&1 || echo "warning: scripts/down failed for the benchmark's cluster; see $RUN/down.log" >&2
  rm -rf "$SECONDSERVER_DATA"
  exit $status
}

ensure_apt wrk:wrk curl:curl haproxy:haproxy
mkdir -p "$RUN"
if supervisor_running; then
  step "Stopping the benchmark cluster a previous run left behind"
  "$ROOT/scripts/down" >"$RUN/down.log" 2>&1
fi
rm -rf "$SECONDSERVER_DATA"
require_free_port "$MINIMAL_PORT" "the minimal HAProxy of the benchmark"
trap cleanup EXIT INT TERM

step "Starting the benchmark's cluster (scripts/up, loopback ports 18xxx)" "$RUN/up.log"
"$ROOT/scripts/up" >"$RUN/up.log" 2>&1 || fail "scripts/up failed"
load_cluster_settings
load_secrets

step "Starting a minimal pass-through HAProxy on 127.0.0.1:$MINIMAL_PORT" "$RUN/haproxy-minimal.log"
# The floor for a balancer on this machine: one thread, idle connections to the replicas reused by every client, no
# logging, no health checks, no rules.
cat >"$RUN/haproxy-minimal.cfg" <<CONFIG
global
    nbthread 1
defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    http-reuse always
frontend fe_minimal
    bind 127.0.0.1:$MINIMAL_PORT
    default_backend be_minimal
backend be_minimal
    balance roundrobin
    server web-1 127.0.0.1:$WEB1_PORT
    server web-2 127.0.0.1:$WEB2_PORT
CONFIG
haproxy -db -f "$RUN/haproxy-minimal.cfg" >"$RUN/haproxy-minimal.log" 2>&1 &
MINIMAL_PID=$!
wait_for "the minimal HAProxy listening" 10 port_in_use "$MINIMAL_PORT"

step "Signing in the benchmark's user (an administrator, for the report jobs)" "$RUN/sign-in.log"
jar="$RUN/cookies"
balancer="http://127.0.0.1:$LB_HTTP_PORT"
{
  curl -fsS -o /dev/null -H 'Content-Type: application/json' \
    -d '{"email":"admin@example.com","password":"correct horse battery","displayName":"Bench"}' "$balancer/api/account/register"
  curl -fsS -o /dev/null -c "$jar" -H 'Content-Type: application/json' \
    -d '{"email":"admin@example.com","password":"correct horse battery"}' "$balancer/api/account/login"
} >"$RUN/sign-in.log" 2>&1 || fail "signing in failed"
cookie="$(awk '!/^#/ || /^#HttpOnly_/ { if (NF >= 7) printf "%s=%s; ", $6, $7 }' "$jar")"
xsrf="$(awk '$6 == "XSRF-TOKEN" { print $7 }' "$jar")"
[ -n "$xsrf" ] || fail "the sign-in set no XSRF-TOKEN cookie"

processes="web-1=$(supervisor pid apps:web-1),web-2=$(supervisor pid apps:web-2),haproxy=$(balancer_worker_pid),haproxy-minimal=$MINIMAL_PID"
processes+=",redis=$(supervisor pid servers:redis),mariadb=$(supervisor pid servers:mariadb),s3=$(supervisor pid servers:s3)"

step "Measuring the web tier"
# The Redis password reaches the benchmark in its environment, not on its command line (which every local user sees).
BENCH_REDIS="127.0.0.1:$REDIS_PORT,password=$REDIS_PASSWORD" dotnet "$ROOT/bench/Bench/bin/Release/net10.0/Bench.dll" web \
  --straight "http://127.0.0.1:$WEB1_PORT" --balancer "$balancer" --minimal "http://127.0.0.1:$MINIMAL_PORT" \
  --cookie "$cookie" --xsrf "$xsrf" --processes "$processes" --out "$OUT" --chart "$CHART" "$@"
