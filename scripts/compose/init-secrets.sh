#!/bin/sh
# Runs as the one-shot `secrets` service of docker-compose.yml, before everything else. Creates,
# the first time only, every secret the stack needs in the `secrets` volume, so that
# `docker compose up` on a fresh clone needs no .env and no secret is committed or typed:
#
#   session_secret      signs session cookies (the app's SESSION_SECRET_FILE)
#   data_encryption_key encrypts TOTP secrets at rest (the app's DATA_ENCRYPTION_KEY_FILE): 32
#                       random bytes in hex; an install from before it gets one on its next `up`
#   postgres_password   Postgres superuser `postgres` (POSTGRES_PASSWORD_FILE); nothing uses it
#                       but an operator with `docker compose exec postgres psql -U postgres`
#   app_db_password     the `gatehouse` role the app and the migrations use (not a superuser)
#   database_url        postgres://gatehouse:<app_db_password>@postgres:5432/gatehouse
#   redis_password      Redis `requirepass` (the app's REDIS_PASSWORD_FILE)
#   redis.conf          `requirepass ...` and `masterauth ...` (the same password, for a node that
#                       a failover makes a replica: the `ha` profile), the file redis-server starts with
#
# Existing files are kept: a second `up` must find the users and sessions it left, and Postgres
# only takes its passwords when it creates its data volume. `docker compose down -v` deletes the
# volume, and the next `up` generates new ones with the new data volumes.
#
# No other service mounts the `secrets` volume. Each one that needs secrets mounts a volume of its
# own, at /run/gatehouse-secrets, holding only the ones it uses; they are copied there below at
# every start (so a secret added to a set reaches it, and one taken out of it goes). A file-read
# bug in the app then finds the app's own secrets, never the Postgres superuser's password.
#
#   secrets-postgres    postgres_password app_db_password        (postgres)
#   secrets-redis       redis.conf redis_password                 (redis, redis-replica, Sentinels)
#   secrets-migrate     database_url                             (migrate: the `gatehouse` role)
#   secrets-app         data_encryption_key database_url redis_password session_secret (app, app-2)
#
# A new secret of the app: one `write` line below, and its name on the `share app` line.
#
# The copies are readable by every user (0444) of the container that mounts them: the users the
# services run as have different ids in different builds of the same image (the official Redis
# image's `redis` is 999, Debian's package picks one), and each container runs one unprivileged
# user anyway. What keeps a secret from a service is that its volume is not mounted there; nginx,
# the one container that faces clients, mounts none.
#
# Upgrading an install from before the per-service volumes: its `secrets` volume is this one, so
# the first `up` copies the secrets it already holds (same passwords: Postgres, Redis, sessions
# and users carry on). Going back, the older docker-compose.yml mounts `secrets` everywhere again
# and starts on it as before (the files there stay 0444; only the directory is closed to others).
set -eu

dir=${SECRETS_DIR:?SECRETS_DIR must name the directory for the generated secrets}
shares=${SHARES_DIR:?SHARES_DIR must name the directory holding one volume per service}

# 32 random bytes as 64 hex characters: URL-safe, so it can stand in database_url as is.
random() { head -c 32 /dev/urandom | od -An -v -tx1 | tr -d ' \n'; }

# write NAME CONTENT: atomically (a temp file moved into place), only when NAME is missing.
write() {
  [ -s "$dir/$1" ] && return 0
  tmp=$(mktemp "$dir/.$1.XXXXXX")
  printf '%s\n' "$2" >"$tmp"
  chmod 0444 "$tmp"
  mv "$tmp" "$dir/$1"
  echo "generated $1"
}

# share SERVICE NAME...: makes SERVICE's volume hold exactly the secrets NAME..., each copied
# atomically, so that a container reading one while this runs sees the whole file.
share() {
  to=$shares/$1
  shift
  [ -d "$to" ] || { echo "init-secrets: no volume mounted at $to" >&2; exit 1; }
  chmod 0755 "$to"
  ls -A "$to" | while read -r file; do
    case " $* " in *" $file "*) ;; *) rm -rf "${to:?}/$file" ;; esac
  done
  for name in "$@"; do
    tmp=$(mktemp "$to/.$name.XXXXXX")
    cat "$dir/$name" >"$tmp"
    chmod 0444 "$tmp"
    mv "$tmp" "$to/$name"
  done
  echo "shared with ${to##*/}: $*"
}

mkdir -p "$dir"
chmod 0700 "$dir"
write session_secret "$(random)"
write data_encryption_key "$(random)"
write postgres_password "$(random)"
write app_db_password "$(random)"
write redis_password "$(random)"
write database_url "postgres://gatehouse:$(cat "$dir/app_db_password")@postgres:5432/gatehouse"
write redis.conf "requirepass $(cat "$dir/redis_password")
masterauth $(cat "$dir/redis_password")"

share postgres postgres_password app_db_password
share redis redis.conf redis_password
share migrate database_url
share app data_encryption_key database_url redis_password session_secret
echo "secrets ready"
