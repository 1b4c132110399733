# shellcheck shell=bash
# Command lines of the shared servers, used both by the benchmarks (plain background processes) and scripts/up
# (the same command lines under supervisord). Sourced, never run.
# No secret ever goes on a command line: /proc/<pid>/cmdline (ps) is readable by every local user. Secrets reach a
# server through a file only its owner reads (Redis), its environment (/proc/<pid>/environ is readable by the
# process's owner and root only), or standard input (SQL).

# redis_config DIR PASSWORD: DIR/redis.conf with the password, readable by the owner only; prints its path.
redis_config() {
  local file="$1/redis.conf"
  mkdir -p "$1"
  (umask 077 && printf 'requirepass "%s"\n' "$2" >"$file.tmp" && mv "$file.tmp" "$file")
  printf '%s' "$file"
}

# redis_command PORT DIR CONFIG: Redis on loopback only, password required (from CONFIG), AOF every second.
redis_command() {
  printf '%s ' "$(command -v redis-server)" "$3" --bind 127.0.0.1 --port "$1" --protected-mode yes \
    --dir "$2" --appendonly yes --appendfsync everysec --save '""' --daemonize no --logfile '""'
}

# redis_ping PORT PASSWORD: redis-cli reads the password from REDISCLI_AUTH, never from its command line.
redis_ping() {
  REDISCLI_AUTH="$2" redis-cli -p "$1" ping
}

# mariadb_initialize DIR: first-run data directory; root authenticates only through the local socket.
# An interrupted first run leaves no marker, and the next run starts the folder over.
mariadb_initialize() {
  local dir="$1"
  [ -f "$dir/data/.initialized" ] && return 0
  rm -rf "$dir/data"
  mkdir -p "$dir/data"
  # shellcheck disable=SC2034 # CURRENT_LOG is read by fail (scripts/lib/common.sh)
  mariadb-install-db --no-defaults --datadir="$dir/data" --user="$(id -un)" --auth-root-authentication-method=socket \
    --skip-test-db >"$dir/install.log" 2>&1 || { CURRENT_LOG="$dir/install.log"; fail "mariadb-install-db failed"; }
  touch "$dir/data/.initialized"
}

# mariadb_command PORT DIR. idle-transaction-timeout: a client that hangs inside a transaction (a frozen replica, a
# black-holed link) would otherwise keep its row locks for as long as the hang lasts, stalling every other replica's
# writes to those rows; the app's transactions never sit idle for more than milliseconds.
mariadb_command() {
  printf '%s ' "$(command -v mariadbd || echo /usr/sbin/mariadbd)" --no-defaults --datadir="$2/data" --socket="$2/mysqld.sock" \
    --pid-file="$2/mysqld.pid" --port="$1" --bind-address=127.0.0.1 --user="$(id -un)" --skip-name-resolve \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci --max-connections=300 \
    --innodb-buffer-pool-size=128M --innodb-flush-log-at-trx-commit=2 --idle-transaction-timeout=10 \
    --log-error="$2/error.log"
}

# mariadb_sql DIR SQL: runs SQL as root through the socket. The SQL goes in on standard input, since it may hold a
# password (CREATE USER ... IDENTIFIED BY) and -e would put it on the client's command line.
mariadb_sql() {
  mariadb --no-defaults --socket="$1/mysqld.sock" -uroot <<<"$2"
}

# s3_settings PORT DIR ACCESS_KEY SECRET_KEY: the S3 server's environment, one KEY=VALUE a line. It takes its keys
# from the environment only, so they never show on its command line.
s3_settings() {
  printf '%s\n' "S3_MODULES=$TOOLS/s3/node_modules" S3_ADDRESS=127.0.0.1 "S3_PORT=$1" "S3_DIRECTORY=$2" \
    "S3_ACCESS_KEY=$3" "S3_SECRET_KEY=$4"
}

# s3_command: the S3 server's command line. s3rver encrypts list continuation tokens with DES, which OpenSSL 3 only
# offers through its legacy provider: without it, listing a bucket with more objects than one page fails with an
# internal error.
s3_command() {
  printf '%s --openssl-legacy-provider %s' "$(command -v node)" "$ROOT/deploy/s3/server.js"
}
