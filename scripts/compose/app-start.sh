#!/bin/sh
# The command of the app containers (`app`, and `app-2` of the `ha` profile). With the `ha`
# profile the Sentinels run: they start right after the secrets, seconds before the app (which
# waits for Redis and the mail server to be healthy), so their names resolve by the time this
# runs, and the app then finds the Redis primary through them and follows failovers (docs/operations.md,
# Redis Sentinel). Without the profile there is no `sentinel-1` and the app uses REDIS_URL.
set -eu
if getent hosts sentinel-1 >/dev/null 2>&1; then
  export REDIS_SENTINELS=sentinel-1:26379,sentinel-2:26379,sentinel-3:26379
  unset REDIS_URL
  echo "app-start: Redis through the Sentinels ($REDIS_SENTINELS)"
fi
exec node --enable-source-maps dist/src/main.js
