# Command lines of the shared servers, used both by scripts/test (plain background processes) and scripts/up
# (the same command lines under supervisord). Sourced, never run.

# redis_command PORT PASSWORD DIR: Redis on loopback only, password required, AOF every second.
redis_command() {
  printf '%s ' "$(command -v redis-server)" --bind 127.0.0.1 --port "$1" --requirepass "$2" --protected-mode yes \
    --dir "$3" --appendonly yes --appendfsync everysec --save '""' --daemonize no --logfile '""'
}

# mariadb_initialize DIR: first-run data directory; root authenticates only through the local socket.
# An interrupted first run leaves no marker, and the next run starts the folder over.
mariadb_initialize() {
  local dir="$1"
  [ -f "$dir/data/.initialized" ] && return 0
  rm -rf "$dir/data"
  mkdir -p "$dir/data"
  mariadb-install-db --no-defaults --datadir="$dir/data" --user="$(id -un)" --auth-root-authentication-method=socket \
    --skip-test-db >"$dir/install.log" 2>&1 || { CURRENT_LOG="$dir/install.log"; fail "mariadb-install-db failed"; }
  touch "$dir/data/.initialized"
}

# mariadb_command PORT DIR
mariadb_command() {
  printf '%s ' "$(command -v mariadbd || echo /usr/sbin/mariadbd)" --no-defaults --datadir="$2/data" --socket="$2/mysqld.sock" \
    --pid-file="$2/mysqld.pid" --port="$1" --bind-address=127.0.0.1 --user="$(id -un)" --skip-name-resolve \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci --max-connections=300 \
    --innodb-buffer-pool-size=128M --innodb-flush-log-at-trx-commit=2 --log-error="$2/error.log"
}

# mariadb_sql DIR SQL: runs SQL as root through the socket.
mariadb_sql() {
  mariadb --no-defaults --socket="$1/mysqld.sock" -uroot -e "$2"
}

# s3_command PORT DIR ACCESS_KEY SECRET_KEY: environment and command line of the S3 server. s3rver encrypts list
# continuation tokens with DES, which OpenSSL 3 only offers through its legacy provider: without it, listing a
# bucket with more objects than one page fails with an internal error.
s3_command() {
  printf 'env S3_MODULES=%s S3_ADDRESS=127.0.0.1 S3_PORT=%s S3_DIRECTORY=%s S3_ACCESS_KEY=%s S3_SECRET_KEY=%s %s --openssl-legacy-provider %s' \
    "$TOOLS/s3/node_modules" "$1" "$2" "$3" "$4" "$(command -v node)" "$ROOT/deploy/s3/server.js"
}
