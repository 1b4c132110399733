#!/bin/sh
# The official redis image's contract: "redis-server" or bare options start the server, as the redis user, with
# protected mode off unless a configuration says otherwise (the port is published; use --requirepass).
set -e
case "$1" in -*) set -- redis-server "$@" ;; esac
if [ "$1" = redis-server ]; then
  case "$*" in *--protected-mode*|*.conf*) ;; *) set -- "$@" --protected-mode no ;; esac
  if [ "$(id -u)" = 0 ]; then
    exec setpriv --reuid=redis --regid=redis --init-groups "$@"
  fi
fi
exec "$@"
