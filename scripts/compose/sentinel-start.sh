#!/bin/sh
# The command of the Sentinels of the `ha` profile. A Sentinel rewrites its config file as it
# learns the topology, so the file is written here, at every start, into the container's own
# writable /tmp, from the generated Redis password: the Sentinels log in to Redis with it
# (auth-pass), ask it of clients (requirepass, so REDIS_PASSWORD serves for both) and of each
# other (sentinel-pass).
set -eu
password=$(cat /run/gatehouse-secrets/redis_password)
conf=/tmp/sentinel.conf
umask 077
cat >"$conf" <<CONF
port 26379
sentinel resolve-hostnames yes
sentinel monitor gatehouse redis 6379 2
sentinel auth-pass gatehouse $password
sentinel sentinel-pass $password
requirepass $password
sentinel down-after-milliseconds gatehouse ${SENTINEL_DOWN_AFTER_MS:-5000}
sentinel failover-timeout gatehouse 30000
sentinel parallel-syncs gatehouse 1
CONF
exec redis-server "$conf" --sentinel
