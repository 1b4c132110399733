# shellcheck shell=bash
# The local cluster's settings, secrets and generated configuration, shared by scripts/up, scripts/down and
# scripts/deploy. Sourced, never run. A second cluster (the cluster tests use one) is just another
# SECONDSERVER_DATA folder with other ports: they are remembered in its cluster.env on first run.

shopt -u patsub_replacement 2>/dev/null || true

DATA="${SECONDSERVER_DATA:-$ROOT/.data}"
SUPERVISOR_CONF="$DATA/supervisor/supervisord.conf"

CLUSTER_SETTINGS=(LB_BIND LB_HTTPS_REDIRECT LB_HTTP_PORT LB_HTTPS_PORT LB_STATS_PORT WEB1_PORT WEB2_PORT WORKER_PORT REDIS_PORT MYSQL_PORT S3_PORT)

load_cluster_settings() {
  mkdir -p "$DATA"
  if [ -f "$DATA/cluster.env" ]; then
    # shellcheck disable=SC1091
    source "$DATA/cluster.env"
  fi
  LB_BIND="${LB_BIND:-0.0.0.0}"
  LB_HTTPS_REDIRECT="${LB_HTTPS_REDIRECT:-0}"
  LB_HTTP_PORT="${LB_HTTP_PORT:-8080}"
  LB_HTTPS_PORT="${LB_HTTPS_PORT:-8443}"
  LB_STATS_PORT="${LB_STATS_PORT:-8404}"
  WEB1_PORT="${WEB1_PORT:-5101}"
  WEB2_PORT="${WEB2_PORT:-5102}"
  WORKER_PORT="${WORKER_PORT:-5201}"
  REDIS_PORT="${REDIS_PORT:-6380}"
  MYSQL_PORT="${MYSQL_PORT:-3307}"
  S3_PORT="${S3_PORT:-9000}"
  # Not remembered in cluster.env: it follows the machine (see the balancer's template).
  LB_THREADS="${LB_THREADS:-$(($(nproc) > 2 ? $(nproc) / 2 : 1))}"
  # Where browsers reach the balancer; presigned picture URLs name it (Storage:PublicEndpoint). Not remembered in
  # cluster.env, so it follows the ports; set it (environment or cluster.env) when browsers use another name.
  if [ "$LB_HTTPS_REDIRECT" = 1 ]; then
    LB_PUBLIC_URL="${LB_PUBLIC_URL:-https://127.0.0.1:$LB_HTTPS_PORT}"
  else
    LB_PUBLIC_URL="${LB_PUBLIC_URL:-http://127.0.0.1:$LB_HTTP_PORT}"
  fi
  if [ ! -f "$DATA/cluster.env" ]; then
    local name
    for name in "${CLUSTER_SETTINGS[@]}"; do printf '%s=%s\n' "$name" "${!name}"; done >"$DATA/cluster.env"
  fi
}

# load_secrets: created once on first run, kept under the data folder (git-ignored), readable by the owner only.
load_secrets() {
  if [ ! -f "$DATA/secrets.env" ]; then
    umask 077
    {
      printf 'REDIS_PASSWORD=%s\n' "$(random_secret)"
      printf 'MYSQL_APP_PASSWORD=%s\n' "$(random_secret)"
      printf 'S3_ACCESS_KEY=%s\n' "ss$(random_secret | head -c 14)"
      printf 'S3_SECRET_KEY=%s\n' "$(random_secret)"
    } >"$DATA/secrets.env.tmp"
    mv "$DATA/secrets.env.tmp" "$DATA/secrets.env"
    umask 022
  fi
  # shellcheck disable=SC1091
  source "$DATA/secrets.env"
}

# app_settings: the apps' configuration, one KEY=VALUE a line (environment variable names). Cluster__* describes
# the cluster to the administrators' cluster and doctor pages, in the words scripts/doctor passes on its command line.
app_settings() {
  # Database timeouts well inside the balancer's 30 s server timeout: a replica whose MySQL link hangs (the clients
  # ignore cancellation then) answers its 503 after a connect or command timeout and EF Core's retries, before
  # HAProxy gives up on it with a 504.
  local port index=0 private=()
  for port in $(private_ports); do private+=("Cluster__PrivatePorts__$index=$port"); index=$((index + 1)); done
  printf '%s\n' "${private[@]}"
  printf '%s\n' \
    "ConnectionStrings__redis=127.0.0.1:$REDIS_PORT,password=$REDIS_PASSWORD" \
    "ConnectionStrings__appdb=Server=127.0.0.1;Port=$MYSQL_PORT;User ID=app;Password=$MYSQL_APP_PASSWORD;Database=appdb;SslMode=None" \
    "ConnectionStrings__uploads=Endpoint=http://127.0.0.1:$S3_PORT;AccessKey=$S3_ACCESS_KEY;SecretKey=$S3_SECRET_KEY" \
    "Storage__PublicEndpoint=$LB_PUBLIC_URL" \
    "Admin__Emails__0=admin@example.com" \
    "Database__ConnectTimeoutSeconds=3" "Database__CommandTimeoutSeconds=8" \
    "Cluster__Web__0=web-1=http://127.0.0.1:$WEB1_PORT" "Cluster__Web__1=web-2=http://127.0.0.1:$WEB2_PORT" \
    "Cluster__Workers__0=worker-1=http://127.0.0.1:$WORKER_PORT" \
    "Cluster__HaproxyConfig=$DATA/haproxy/haproxy.cfg" "Cluster__HaproxySocket=$DATA/haproxy/admin.sock" \
    "Cluster__PublicPorts__0=$LB_HTTP_PORT" "Cluster__PublicPorts__1=$LB_HTTPS_PORT" \
    "Cluster__Redis=127.0.0.1:$REDIS_PORT" "Cluster__MySql=127.0.0.1:$MYSQL_PORT" \
    "ASPNETCORE_ENVIRONMENT=Production" \
    "DOTNET_CLI_TELEMETRY_OPTOUT=1" \
    "DOTNET_NOLOGO=1"
}

# supervisor_environment: KEY=VALUE lines on standard input in supervisord's environment= syntax. Secrets reach the
# cluster's processes this way, never on a command line: a process's environment (/proc/<pid>/environ) is readable
# by its owner and root only, its command line by every local user; the configuration file is the owner's only.
supervisor_environment() {
  local line entries=()
  while IFS= read -r line; do entries+=("${line%%=*}=\"${line#*=}\""); done
  (IFS=,; printf '%s' "${entries[*]}")
}

# render TEMPLATE OUTPUT: fills in every @NAME@ of the template.
render() {
  local content
  content="$(<"$1")"
  local -A values=(
    [DATA]="$DATA" [LB_BIND]="$LB_BIND" [LB_THREADS]="$LB_THREADS" [HTTPS_REDIRECT]="$([ "$LB_HTTPS_REDIRECT" = 1 ] || printf '# ')" [LB_HTTP_PORT]="$LB_HTTP_PORT" [LB_HTTPS_PORT]="$LB_HTTPS_PORT"
    [LB_STATS_PORT]="$LB_STATS_PORT" [WEB1_PORT]="$WEB1_PORT" [WEB2_PORT]="$WEB2_PORT" [WORKER_PORT]="$WORKER_PORT" [S3_PORT]="$S3_PORT"
    [DOTNET]="$(command -v dotnet)" [HAPROXY]="$(command -v haproxy || echo /usr/sbin/haproxy)"
    [REDIS_COMMAND]="$(redis_command "$REDIS_PORT" "$DATA/redis" "$(redis_config "$DATA/redis" "$REDIS_PASSWORD")")"
    [MARIADB_COMMAND]="$(mariadb_command "$MYSQL_PORT" "$DATA/mysql")"
    [S3_COMMAND]="$(s3_command)"
    [S3_ENVIRONMENT]="$(s3_settings "$S3_PORT" "$DATA/s3" "$S3_ACCESS_KEY" "$S3_SECRET_KEY" | supervisor_environment)"
    [APP_ENVIRONMENT]="$(app_settings | supervisor_environment)"
  )
  local key
  for key in "${!values[@]}"; do content="${content//@$key@/${values[$key]}}"; done
  umask 077
  printf '%s\n' "$content" >"$2.tmp" && mv "$2.tmp" "$2"
  umask 022
}

supervisor_running() {
  [ -S "$DATA/supervisor/supervisor.sock" ] && supervisorctl -c "$SUPERVISOR_CONF" pid >/dev/null 2>&1
}

supervisor() {
  supervisorctl -c "$SUPERVISOR_CONF" "$@"
}

# private_ports: every port of the cluster that must listen on loopback (or a private address) only.
private_ports() {
  echo "$LB_STATS_PORT $WEB1_PORT $WEB2_PORT $WORKER_PORT $REDIS_PORT $MYSQL_PORT $S3_PORT"
}

haproxy_command() {
  echo "$1" | socat -t 5 stdio "unix-connect:$DATA/haproxy/admin.sock"
}

# reload_balancer: makes HAProxy apply its configuration file as it is now without dropping a request: the drain
# and maintenance states set through the runtime API are saved to the server-state file first (the new worker loads
# them; without that a drained replica would be back in the pool), then the master starts a new worker that takes
# over the listening sockets while the old one finishes what it has in flight. Returns once the new worker answers.
reload_balancer() {
  haproxy -c -q -f "$DATA/haproxy/haproxy.cfg" || { echo "the HAProxy configuration is invalid; HAProxy keeps the one it runs" >&2; return 1; }
  local old new deadline=$((SECONDS + 30))
  old="$(balancer_worker_pid)"
  haproxy_command "show servers state" >"$DATA/haproxy/server-state.tmp" && mv "$DATA/haproxy/server-state.tmp" "$DATA/haproxy/server-state"
  supervisor signal USR2 haproxy >/dev/null
  until new="$(balancer_worker_pid)" && [ -n "$new" ] && [ "$new" != "$old" ]; do
    [ $SECONDS -ge $deadline ] && { echo "HAProxy did not start a new worker within 30s; see $DATA/logs/haproxy.log" >&2; return 1; }
    sleep 0.1
  done
}

# balancer_worker_pid: the pid of the HAProxy worker answering on the runtime socket.
balancer_worker_pid() {
  haproxy_command "show info" 2>/dev/null | awk -F': ' '$1 == "Pid" { print $2 }'
}

# backend_status SERVER: HAProxy's view of one replica (UP, DOWN, DRAIN, MAINT, ...).
backend_status() {
  haproxy_command "show stat" 2>/dev/null | awk -F, -v s="$1" '$1 == "be_web" && $2 == s { print $18 }'
}

# set_replica_state SERVER STATE: drain, maint or ready, in every backend that holds the replica (the balancer fails
# open to be_web_open when no replica is ready; a drained replica must get nothing from there either).
set_replica_state() {
  local backend
  for backend in be_web be_web_open; do
    haproxy_command "set server $backend/$1 state $2" >/dev/null
  done
}

# in_flight SERVER: the requests HAProxy has in progress on one replica, over both backends.
in_flight() {
  haproxy_command "show stat" 2>/dev/null | awk -F, -v s="$1" '($1 == "be_web" || $1 == "be_web_open") && $2 == s { n += $5 } END { print n + 0 }'
}

# both_replicas_up: both pass their health checks; DRAIN counts, as an operator's drain must outlive scripts/up.
both_replicas_up() {
  [[ "$(backend_status web-1)" =~ ^(UP|DRAIN)$ ]] && [[ "$(backend_status web-2)" =~ ^(UP|DRAIN)$ ]]
}

# provision_database: the app's database and its user, idempotent so a half-finished first run repairs itself.
provision_database() {
  mariadb_sql "$DATA/mysql" "
    CREATE DATABASE IF NOT EXISTS appdb CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    CREATE USER IF NOT EXISTS 'app'@'127.0.0.1' IDENTIFIED BY '$MYSQL_APP_PASSWORD';
    ALTER USER 'app'@'127.0.0.1' IDENTIFIED BY '$MYSQL_APP_PASSWORD';
    GRANT ALL PRIVILEGES ON appdb.* TO 'app'@'127.0.0.1';
    DELETE FROM mysql.global_priv WHERE User = '';
    FLUSH PRIVILEGES;"
}

print_urls() {
  cat <<URLS
SecondServer is up.
  balancer      http://127.0.0.1:$LB_HTTP_PORT   https://127.0.0.1:$LB_HTTPS_PORT (self-signed)
  stats         http://127.0.0.1:$LB_STATS_PORT (loopback only)
  web-1, web-2  http://127.0.0.1:$WEB1_PORT   http://127.0.0.1:$WEB2_PORT (private)
  worker-1      http://127.0.0.1:$WORKER_PORT/health/ready (private)
  logs          $DATA/logs/
  stop          scripts/down
URLS
}
