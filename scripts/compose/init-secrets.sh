#!/bin/sh
# Runs as the one-shot `secrets` service of docker-compose.yml, before everything else. Creates,
# the first time only, every secret the stack needs in the `secrets` volume, so that
# `docker compose up` on a fresh clone needs no .env and no secret is committed or typed:
#
#   session_secret      signs session cookies (the app's SESSION_SECRET_FILE)
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
# Each file is readable by every user (0444): the services that read them run as different users
# whose ids differ between images. Only the containers that mount this volume can see them, and
# nginx, the one container that faces clients, does not.
set -eu

dir=${SECRETS_DIR:?SECRETS_DIR must name the directory for the generated secrets}

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

mkdir -p "$dir"
chmod 0755 "$dir"
write session_secret "$(random)"
write postgres_password "$(random)"
write app_db_password "$(random)"
write redis_password "$(random)"
write database_url "postgres://gatehouse:$(cat "$dir/app_db_password")@postgres:5432/gatehouse"
write redis.conf "requirepass $(cat "$dir/redis_password")
masterauth $(cat "$dir/redis_password")"
echo "secrets ready in $dir"
