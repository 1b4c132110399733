#!/bin/sh
# "server DIR" (MinIO's command) serves DIR; the keys come from S3_ACCESS_KEY/S3_SECRET_KEY or MinIO's
# MINIO_ROOT_USER/MINIO_ROOT_PASSWORD. --openssl-legacy-provider: s3rver's list continuation tokens use DES.
set -e
if [ "$1" = server ]; then
  export S3_DIRECTORY="${2:-/data}"
  export S3_ACCESS_KEY="${S3_ACCESS_KEY:-${MINIO_ROOT_USER:-}}"
  export S3_SECRET_KEY="${S3_SECRET_KEY:-${MINIO_ROOT_PASSWORD:-}}"
  mkdir -p "$S3_DIRECTORY"
  exec node --openssl-legacy-provider /opt/s3/server.js
fi
exec "$@"
