#!/bin/bash
# The official mysql image's contract on MariaDB: on a container's first start, root gets MYSQL_ROOT_PASSWORD
# (or MYSQL_ALLOW_EMPTY_PASSWORD, MYSQL_RANDOM_ROOT_PASSWORD), MYSQL_DATABASE is created, MYSQL_USER gets
# MYSQL_PASSWORD and every right on it, then /docker-entrypoint-initdb.d/*.sql, *.sql.gz run and *.sh are sourced.
# The SQL runs as the server's --init-file, before it accepts any connection, so the server starts only once.
set -euo pipefail

if [ "${1:-}" = mariadbd ] || [ "${1:-}" = mysqld ]; then
  shift
  marker=/var/lib/mysql/.container-initialised
  init=()
  if [ ! -e "$marker" ]; then
    if [ -z "${MYSQL_ROOT_PASSWORD:-}" ] && [ -z "${MYSQL_ALLOW_EMPTY_PASSWORD:-}" ] && [ -z "${MYSQL_RANDOM_ROOT_PASSWORD:-}" ]; then
      echo "error: database is uninitialized and no root password option is given:" >&2
      echo "       set MYSQL_ROOT_PASSWORD, MYSQL_ALLOW_EMPTY_PASSWORD or MYSQL_RANDOM_ROOT_PASSWORD" >&2
      exit 1
    fi
    if [ -n "${MYSQL_RANDOM_ROOT_PASSWORD:-}" ]; then
      MYSQL_ROOT_PASSWORD="$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32)"
      echo "GENERATED ROOT PASSWORD: $MYSQL_ROOT_PASSWORD"
    fi
    quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/\\\\/\\\\\\\\/g; s/'/\\\\'/g")"; }
    sql=/run/mysqld/init.sql
    {
      echo "SET @@SESSION.SQL_LOG_BIN = 0;"
      if [ -n "${MYSQL_ROOT_PASSWORD:-}" ]; then
        echo "ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD($(quote "$MYSQL_ROOT_PASSWORD"));"
        echo "CREATE USER 'root'@'%' IDENTIFIED BY $(quote "$MYSQL_ROOT_PASSWORD");"
      else
        echo "CREATE USER 'root'@'%' IDENTIFIED BY '';"
      fi
      echo "GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION;"
      if [ -n "${MYSQL_DATABASE:-}" ]; then
        echo "CREATE DATABASE IF NOT EXISTS \`$MYSQL_DATABASE\`;"
      fi
      if [ -n "${MYSQL_USER:-}" ] && [ -n "${MYSQL_PASSWORD:-}" ]; then
        echo "CREATE USER '$MYSQL_USER'@'%' IDENTIFIED BY $(quote "$MYSQL_PASSWORD");"
        if [ -n "${MYSQL_DATABASE:-}" ]; then
          echo "GRANT ALL PRIVILEGES ON \`$MYSQL_DATABASE\`.* TO '$MYSQL_USER'@'%';"
        fi
      fi
      for file in /docker-entrypoint-initdb.d/*; do
        case "$file" in
          *.sql) [ -n "${MYSQL_DATABASE:-}" ] && echo "USE \`$MYSQL_DATABASE\`;"; cat "$file"; echo ;;
          *.sql.gz) [ -n "${MYSQL_DATABASE:-}" ] && echo "USE \`$MYSQL_DATABASE\`;"; gunzip -c "$file"; echo ;;
          *.sh)
            echo "entrypoint: sourcing $file" >&2
            # shellcheck source=/dev/null # the image's user supplies these scripts
            . "$file"
            ;;
        esac
      done
      echo "FLUSH PRIVILEGES;"
    } >"$sql"
    chown mysql:mysql "$sql"
    chmod 600 "$sql"
    init=(--init-file="$sql")
    touch "$marker"
  fi
  exec mariadbd --defaults-file=/etc/mysql/server.cnf "${init[@]}" "$@"
fi
exec "$@"
