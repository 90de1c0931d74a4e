#!/usr/bin/env bash
# Compose smoke test: docs/operations.md's "Docker Compose", done and checked end to end.
#
#   bash scripts/compose-smoke.sh
#
# 1. Uses the running Docker engine, or starts one with ../shared/docker-standins/setup.sh (the
#    CI machines have no container registry; that script builds local stand-in images).
# 2. Like docs/operations.md: `docker compose up -d --build` with no .env (a fresh clone has none; an
#    existing .env only changes settings), then waits for every service to be healthy.
# 3. Copies nginx's generated certificate out of its container and pins it for every client below.
# 4. Least privilege: nginx cannot reach Postgres or Redis, Redis refuses a command without its
#    generated password, the app's Postgres role is not a superuser, the app container holds
#    only its own secrets (not the Postgres superuser's password) and nginx none.
# 5. Registers a user and reads its verification and reset mails in MailDev's inbox, on the fresh
#    deployment; checks that the 21st registration from one address in an hour answers 429; then,
#    with that budget raised, runs the e2e HTTP specs against https://localhost:8443 (E2E_BASE_URL,
#    E2E_CA_FILE).
# 6. Runs the doctor: `npm run doctor -- --url` from here and `node dist/src/doctor.js` in the
#    app container; any FAIL fails the smoke.
# 7. Signs a user in, and checks they stay signed in across `docker compose restart app`,
#    `docker compose restart redis` and even `docker compose kill redis` (sessions live in Redis,
#    whose append-only file is replayed on start).
# 8. Checks the app container runs as non-root and that `docker compose down` stops every
#    container on its stop signal within 5 seconds, then that a second `docker compose up` keeps
#    users and sessions (the generated secrets are kept in their volume, not generated again).
# 9. Always, even after a failure or Ctrl-C: `docker compose down -v`.
#
# Prints one PASS or FAIL line per check and exits non-zero if any check failed.
#
# Environment:
#   SMOKE_SKIP_E2E=1   skip step 5 (for work on this script or the compose files only; CI never
#                      sets it, and a skipped step is reported as SKIP, not PASS)
#   SMOKE_TIMEOUT=180  seconds to wait for the stack to become healthy
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# A project name of its own: the final `down -v` then removes the smoke test's containers and
# volumes only, never the data of a stack you started yourself from this checkout.
export COMPOSE_PROJECT_NAME=gatehouse-smoke

BASE_URL=https://localhost:8443
HTTP_URL=http://localhost:8080
TIMEOUT=${SMOKE_TIMEOUT:-180}
DOWN_LIMIT_MS=5000

failures=0
stack_started=
events_pid=
workdir=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-smoke.XXXXXX")
CERT=$workdir/cert.pem
JAR=$workdir/cookies.txt

pass() { printf 'PASS  %s\n' "$*"; }
fail() { printf 'FAIL  %s\n' "$*"; failures=$((failures + 1)); }
skip() { printf 'SKIP  %s\n' "$*"; }
step() { printf '\n== %s\n' "$*"; }
# Milliseconds since the epoch: bash 5's EPOCHREALTIME, else whole seconds (macOS's bash 3.2).
now_ms() {
  if [ -n "${EPOCHREALTIME:-}" ]; then
    local t=${EPOCHREALTIME/[.,]/}
    echo $((t / 1000))
  else
    echo "$(date +%s)000"
  fi
}
# Stops the run at a failure that makes the following checks meaningless; cleanup still runs.
abort() { fail "$*"; exit 1; }

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ -n "$events_pid" ]; then kill "$events_pid" 2>/dev/null || true; fi
  if [ -n "$stack_started" ]; then
    if [ "$status" -ne 0 ] || [ "$failures" -gt 0 ]; then
      step "state at failure"
      docker compose ps || true
      docker compose logs --no-color --tail=60 || true
    fi
    step "docker compose down -v"
    docker compose down -v --remove-orphans || true
  fi
  rm -rf "$workdir"
  if [ "$status" -eq 0 ] && [ "$failures" -eq 0 ]; then
    printf '\nSmoke test passed.\n'
  else
    printf '\nSmoke test FAILED (%d failed check(s)).\n' "$failures"
    [ "$status" -ne 0 ] || status=1
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Health of one service's container: healthy, unhealthy, starting, or (no healthcheck) its state.
health() {
  local id
  id=$(docker compose ps -a -q "$1" 2>/dev/null || true)
  if [ -z "$id" ]; then echo missing; return; fi
  docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$id"
}

# wait_healthy SECONDS SERVICE...: until every service is healthy; lists the laggards on timeout.
wait_healthy() {
  local deadline=$((SECONDS + $1)) service status pending
  shift
  while :; do
    pending=
    for service in "$@"; do
      status=$(health "$service")
      [ "$status" = healthy ] || pending="$pending $service($status)"
    done
    [ -n "$pending" ] || return 0
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "not healthy after $1 s:$pending"
      return 1
    fi
    sleep 1
  done
}

# request METHOD PATH [JSON]: prints the status code (000 when no answer); body in $workdir/body.
# Every request pins nginx's certificate and carries the cookie jar, like a browser would; requests
# with a body carry the Origin a browser sends (the app refuses unsafe cross-site requests).
request() {
  local args=(--silent --cacert "$CERT" --cookie "$JAR" --cookie-jar "$JAR"
    --output "$workdir/body" --write-out '%{http_code}' --max-time 10 --request "$1")
  if [ $# -ge 3 ]; then
    args+=(--header 'Content-Type: application/json' --header "Origin: $BASE_URL" --data "$3")
  fi
  curl "${args[@]}" "$BASE_URL$2" || true
}

# register: registers a new user, which signs them in (cookie in $JAR); prints the status code.
register() {
  local email
  email="smoke-$(date +%s)-$RANDOM@example.com"
  echo "$email" >"$workdir/email" # register runs in $(...): the file outlives the subshell
  request POST /api/auth/register \
    "{\"email\":\"$email\",\"password\":\"smoke test passphrase\",\"displayName\":\"Smoke Test\"}"
}

# wait_ready SECONDS: until GET /readyz through nginx answers 200 (the app reaches Postgres and Redis).
wait_ready() {
  local deadline=$((SECONDS + $1))
  until [ "$(request GET /readyz)" = 200 ]; do
    if [ "$SECONDS" -ge "$deadline" ]; then return 1; fi
    sleep 1
  done
}

expect() { # description expected actual
  if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: expected '$2', got '$3'"; fi
}

expect_http() { # description expected-status actual-status (shows the body on failure)
  if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: expected $2, got $3 $(head -c 300 "$workdir/body" 2>/dev/null)"; fi
}

step "Node"
# The e2e specs and the doctor below run on the host: on Node 24, like the image (scripts/node24.sh).
source scripts/node24.sh
host_node=$(node -v)
echo "host: node $host_node"

step "Docker engine"
if ! docker info >/dev/null 2>&1; then
  standins=../shared/docker-standins/setup.sh
  # A fresh clone elsewhere (CI clones into a temp dir) finds it next to the repo it was cloned from.
  origin=$(git config --get remote.origin.url 2>/dev/null || true)
  if [ ! -f "$standins" ] && [ -d "$origin" ] && [ -f "$origin/../shared/docker-standins/setup.sh" ]; then
    standins="$origin/../shared/docker-standins/setup.sh"
  fi
  [ -f "$standins" ] || abort "no Docker engine answers (docker info), and $standins is not there to start one"
  echo "No Docker engine answers; starting one with $standins"
  bash "$standins"
fi
docker compose version
for port in 8443 8080; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    abort "port $port is already in use (a stack of yours still up? docker compose down)"
  fi
done

if [ -f .env ]; then echo "Using the settings in the existing .env"; else echo "No .env: the defaults"; fi

step "docker compose up -d --build"
stack_started=1
t0=$(now_ms)
docker compose up -d --build || abort "docker compose up -d --build failed"
up_ms=$(($(now_ms) - t0))
if wait_healthy "$TIMEOUT" postgres redis mail app nginx; then
  healthy_ms=$(($(now_ms) - t0))
  pass "every service healthy (build and up: $((up_ms / 1000)) s, healthy after $((healthy_ms / 1000)) s)"
else
  abort "the stack did not become healthy"
fi
for service in secrets migrate; do
  state=$(docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$(docker compose ps -a -q "$service")")
  expect "$service ran and exited 0" "exited 0" "$state"
done

# Only nginx (8080, 8443) and MailDev's inbox (1080) publish ports, all on 127.0.0.1.
published=
for service in postgres redis mail app nginx; do
  ports=$(docker inspect -f '{{range $port, $bindings := .NetworkSettings.Ports}}{{range $bindings}}{{$port}}@{{.HostIp}} {{end}}{{end}}' "$(docker compose ps -a -q "$service")")
  [ -z "$ports" ] || published="$published $service:${ports% }"
done
expect "only nginx and the inbox publish ports, on 127.0.0.1" " mail:1080/tcp@127.0.0.1 nginx:8080/tcp@127.0.0.1 8443/tcp@127.0.0.1" "$published"

image_node=$(docker compose exec -T app node -v </dev/null | tr -d '\r')
expect "the image runs the tests' Node major ($host_node)" "${host_node%%.*}" "${image_node%%.*}"

step "Least privilege"
# From the nginx container (the one clients talk to), by name and by address: the back network
# is not its network, so the name does not resolve and the address does not answer. A TCP connect
# with bash's /dev/tcp, checked first against the app, which nginx must reach.
tcp_from_nginx() { docker compose exec -T nginx timeout 3 bash -c "exec 3<>/dev/tcp/$1/$2" </dev/null 2>/dev/null; }
if tcp_from_nginx app 3000; then pass "nginx reaches the app at app:3000 (the probe works)"; else fail "nginx cannot reach the app at app:3000"; fi
for service in postgres:5432 redis:6379; do
  name=${service%%:*} port=${service##*:}
  address=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' "$(docker compose ps -q "$name")" | awk '{print $1}')
  for host in "$name" "$address"; do
    if tcp_from_nginx "$host" "$port"; then fail "nginx reaches $name at $host:$port"; else pass "nginx cannot reach $name at $host:$port"; fi
  done
done
expect "Redis refuses a command without the password" "NOAUTH" \
  "$(docker compose exec -T redis redis-cli ping </dev/null | tr -d '\r' | awk '{print $1}')"
psql_postgres() { docker compose exec -T postgres psql --username postgres --dbname gatehouse -tAc "$1" </dev/null | tr -d '\r'; }
expect "the app's Postgres role is not a superuser, and owns nothing but its database" "gatehouse|f|f|f" \
  "$(psql_postgres "select rolname, rolsuper, rolcreatedb, rolcreaterole from pg_roles where rolname = 'gatehouse'" | tr '\n' ' ' | sed 's/ $//')"
expect "the app's tables belong to that role" "gatehouse" \
  "$(psql_postgres "select string_agg(distinct tableowner, ',') from pg_tables where schemaname = 'public'")"

# Each container can read only the secrets it uses (docker-compose.yml, secrets): a file-read bug
# in the app must not yield the Postgres superuser's password, and nginx, which faces clients,
# holds none. A secret is looked for wherever it could be read: at its path, as any file of its
# name, and by its value in every file of the container and in every process's environment.
# secret_of SERVICE NAME: the secret as the container that uses it reads it.
secret_of() { printf '%s\n' "$(docker compose exec -T "$1" cat "/run/gatehouse-secrets/$2" </dev/null | tr -d '\r' || true)"; }
# find_secrets SERVICE NAME...: in SERVICE, as its own user, every path where a secret called NAME
# or holding one of the values given on stdin (one a line) can be read, one a line. The values
# reach the searching shell on stdin, so that they are in no file, argument or environment of it.
find_secrets() {
  local service=$1
  shift
  docker compose exec -T "$service" sh -c '
    values=$(cat)
    roots=
    for dir in /*; do case $dir in /proc | /sys | /dev) ;; *) roots="$roots $dir" ;; esac; done
    for name in "$@"; do
      if [ -r "/run/gatehouse-secrets/$name" ]; then echo "/run/gatehouse-secrets/$name"; fi
      find $roots -name "*$name*" 2>/dev/null || true
    done
    printf "%s\n" "$values" | grep -rlsF -D skip -f - $roots /proc/[0-9]*/environ || true
  ' sh "$@" | tr -d '\r' | sort -u | tr '\n' ' ' | sed 's/ $//'
}
# expect_unreadable DESCRIPTION SERVICE NAME...: values on stdin (each at least 32 characters).
expect_unreadable() {
  local description=$1 values found
  shift
  values=$(cat)
  if grep -qvxE '.{32,}' <<<"$values"; then
    fail "$description: could not read the secrets to look for"
  elif ! found=$(find_secrets "$@" <<<"$values"); then
    fail "$description: the search in $1 failed"
  elif [ -n "$found" ]; then
    fail "$description: readable at $found"
  else
    pass "$description"
  fi
}
session_secret=$(secret_of app session_secret)
if [ ${#session_secret} -ge 32 ] && [ "$(find_secrets app session_secret <<<"$session_secret")" = /run/gatehouse-secrets/session_secret ]; then
  pass "the secret search finds the app's own session_secret, at its path only (the probe works)"
else
  fail "the secret search does not find the app's own session_secret at its path only"
fi
expect "the app's secrets are its data encryption key, its database URL, the Redis password and the session secret" \
  "data_encryption_key database_url redis_password session_secret" \
  "$(docker compose exec -T app ls -A /run/gatehouse-secrets </dev/null | tr -d '\r' | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')"
expect_unreadable "the app container cannot read postgres_password (path, file name, value in any file or environment)" \
  app postgres_password <<<"$(secret_of postgres postgres_password)"
expect_unreadable "nginx cannot read any secret (path, file name, value in any file or environment)" \
  nginx session_secret data_encryption_key postgres_password app_db_password redis_password database_url redis.conf \
  <<<"$(secret_of app session_secret; secret_of app data_encryption_key; secret_of postgres postgres_password; secret_of postgres app_db_password; secret_of redis redis_password)"

step "The self-signed certificate"
# docs/operations.md's command: copy the certificate out of the nginx container to pin it.
docker cp "$(docker compose ps -q nginx)":/etc/nginx/tls/cert.pem "$CERT" || abort "docker cp of the certificate failed"
cert_text=$(openssl x509 -in "$CERT" -noout -text)
if grep -q 'DNS:localhost, IP Address:127.0.0.1' <<<"$cert_text" && grep -q 'prime256v1' <<<"$cert_text"; then
  pass "nginx generated an EC P-256 certificate for localhost and 127.0.0.1"
else
  fail "certificate: expected EC P-256 with SAN DNS:localhost, IP:127.0.0.1"
fi
if wait_ready 30; then pass "GET $BASE_URL/readyz answers 200 over TLS, certificate pinned"; else abort "GET /readyz through nginx did not answer 200"; fi
redirect=$(curl --silent --output /dev/null --write-out '%{http_code} %{redirect_url}' "$HTTP_URL/api/profile?from=smoke" || true)
expect "HTTP on 8080 redirects to HTTPS, path kept" "308 $BASE_URL/api/profile?from=smoke" "$redirect"

step "Mail through the compose network, read in MailDev's inbox"
# First, on the fresh deployment: the e2e specs below register many users from this one address,
# and past 10 registrations an hour from one address the app sends no more verification mails.
expect_http "POST /api/auth/register (a user for the mail checks)" 201 "$(register)"
# wait_mail SUBJECT: until the inbox holds a mail to the registered user with that subject line
# start; prints the mail's text. Polls, since the app only queues mail and a worker sends it.
wait_mail() {
  local deadline=$((SECONDS + 30)) to
  to=$(cat "$workdir/email")
  while [ "$SECONDS" -lt "$deadline" ]; do
    if curl --silent --max-time 5 --output "$workdir/inbox" http://127.0.0.1:1080/email &&
      node -e '
        const [file, to, subject] = process.argv.slice(1);
        const mail = JSON.parse(require("node:fs").readFileSync(file, "utf8"))
          .find((m) => m.to.some((t) => t.address === to) && m.subject.startsWith(subject));
        if (!mail) process.exit(1);
        process.stdout.write(mail.text);
      ' "$workdir/inbox" "$to" "$1"; then
      return 0
    fi
    sleep 1
  done
  return 1
}
if wait_mail "Confirm" >/dev/null; then pass "the verification mail of the registration reached the inbox (http://127.0.0.1:1080)"; else fail "no mail to the registered user in the inbox within 30 s"; fi
expect_http "POST /api/auth/password-reset" 202 "$(request POST /api/auth/password-reset "{\"email\":\"$(cat "$workdir/email")\"}")"
if wait_mail "Reset" | grep -q "$BASE_URL/reset-password?token="; then
  pass "the reset mail arrived with a link to $BASE_URL/reset-password"
else
  fail "no reset mail with a $BASE_URL/reset-password link in the inbox within 30 s"
fi

step "The registration budget of one address"
# The default deployment lets one client address register 20 accounts an hour
# (REGISTRATIONS_PER_ADDRESS); this address has registered one above.
statuses=""
for _ in $(seq 2 21); do statuses+="$(register) "; done
expect "registrations 2 to 20 from this address answer 201, the 21st 429" "$(printf '201 %.0s' $(seq 2 20))429 " "$statuses"
if grep -q '"Too many registrations from this address; try again later"' "$workdir/body"; then
  pass "the 21st says why, in JSON"
else
  fail "the 21st registration's body: $(head -c 300 "$workdir/body")"
fi
# The e2e specs below register far more accounts than that from this one address, so the app is
# redeployed with the budget raised, as a deployment behind a shared address (an office NAT) would.
REGISTRATIONS_PER_ADDRESS=100000 docker compose up -d app || abort "docker compose up -d app (budget raised) failed"
if wait_ready 60; then pass "the app is back with REGISTRATIONS_PER_ADDRESS=100000"; else abort "the app did not come back after its budget was raised"; fi

step "E2E HTTP specs against $BASE_URL"
if [ "${SMOKE_SKIP_E2E:-}" = 1 ]; then
  skip "npm run test:e2e (SMOKE_SKIP_E2E=1)"
else
  [ -d node_modules ] || npm ci
  if E2E_BASE_URL=$BASE_URL E2E_CA_FILE=$CERT npm run test:e2e; then
    pass "npm run test:e2e against the compose stack"
  else
    fail "npm run test:e2e against the compose stack"
  fi
fi

step "npm run doctor against the compose stack, from outside and from inside"
# The two doctor commands of docs/doctor.md (Running it); either exits 1 on any FAIL (its WARNs do not fail the smoke).
[ -d node_modules ] || npm ci
if npm run --silent doctor -- --url "$BASE_URL" --ca "$CERT" --http-url "$HTTP_URL"; then
  pass "npm run doctor -- --url $BASE_URL: no FAIL"
else
  fail "npm run doctor -- --url $BASE_URL reported a FAIL (lines above)"
fi
if docker compose exec -T app node dist/src/doctor.js; then
  pass "node dist/src/doctor.js in the app container: no FAIL"
else
  fail "node dist/src/doctor.js in the app container reported a FAIL (lines above)"
fi

step "A signed-in user stays signed in across restarts"
expect_http "POST /api/auth/register" 201 "$(register)"
expect_http "GET /api/profile with the session cookie" 200 "$(request GET /api/profile)"

docker compose restart app || abort "docker compose restart app failed"
wait_healthy 60 app nginx || fail "app not healthy again after restart"
wait_ready 30 || fail "GET /readyz did not answer 200 after restarting the app"
expect_http "still signed in after docker compose restart app" 200 "$(request GET /api/profile)"

docker compose restart redis || abort "docker compose restart redis failed"
wait_healthy 60 redis || fail "redis not healthy again after restart"
wait_ready 30 || fail "GET /readyz did not answer 200 after restarting redis"
expect_http "still signed in after docker compose restart redis" 200 "$(request GET /api/profile)"

# A clean stop lets Redis write a snapshot; SIGKILL does not. So a new session, made after the
# snapshot of the restart above, survives a kill only through the append-only file (fsync'd
# every second, hence the pause).
JAR=$workdir/cookies-2.txt
expect_http "POST /api/auth/register (a second user, new cookie jar)" 201 "$(register)"
sleep 2
docker compose kill redis || abort "docker compose kill redis failed"
docker compose start redis || abort "docker compose start redis failed"
wait_healthy 60 redis || fail "redis not healthy again after kill and start"
wait_ready 30 || fail "GET /readyz did not answer 200 after killing redis"
expect_http "still signed in after docker compose kill redis (append-only file)" 200 "$(request GET /api/profile)"

step "Privileges and shutdown"
app_uid=$(docker compose exec -T app id -u | tr -d '\r')
if [ -n "$app_uid" ] && [ "$app_uid" != 0 ]; then pass "the app runs as non-root (uid $app_uid)"; else fail "the app runs as uid '${app_uid}'"; fi

# When each container died and with what exit code, from Docker's event stream. What is checked
# is the stop itself: every container gone within DOWN_LIMIT_MS of the `down`, none of them
# killed (137) after the grace period. Removing the stopped containers and networks afterwards
# takes what the machine's load makes it take, so it is reported, not limited.
docker events --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME" --filter event=die \
  --format '{{.TimeNano}} {{index .Actor.Attributes "com.docker.compose.service"}} {{index .Actor.Attributes "exitCode"}}' >"$workdir/events" &
events_pid=$!
sleep 1 # let it subscribe
t0=$(now_ms)
docker compose down || abort "docker compose down failed"
down_ms=$(($(now_ms) - t0))
sleep 0.5
kill "$events_pid" 2>/dev/null || true
wait "$events_pid" 2>/dev/null || true
events_pid=
stopped=$(awk -v t0="$t0" '{ printf "%s%s %d (exit %s)", sep, $2, $1 / 1e6 - t0, $3; sep = ", " }' "$workdir/events")
last_ms=$(awk -v t0="$t0" 'BEGIN { m = 0 } { t = $1 / 1e6 - t0; if (t > m) m = t } END { printf "%d", m }' "$workdir/events")
killed=$(awk '$3 == 137 { printf "%s ", $2 }' "$workdir/events")
if [ ! -s "$workdir/events" ]; then
  fail "docker compose down: no container stop was seen in Docker's events"
elif [ -n "$killed" ]; then
  fail "docker compose down had to kill ${killed% }: a container does not stop on its stop signal (stopped after ms: $stopped)"
elif [ "$last_ms" -lt "$DOWN_LIMIT_MS" ]; then
  pass "docker compose down stopped every container on its signal within $last_ms ms (limit $DOWN_LIMIT_MS; stopped after ms: $stopped; down took $down_ms ms)"
else
  fail "docker compose down: the last container stopped after $last_ms ms (limit $DOWN_LIMIT_MS; stopped after ms: $stopped): a container does not stop promptly on its stop signal"
fi

step "A second docker compose up keeps users, sessions and secrets"
docker compose up -d || abort "the second docker compose up -d failed"
wait_healthy "$TIMEOUT" postgres redis mail app nginx || abort "the stack did not become healthy again"
# `down` removed the containers, not the volumes: this is a new `secrets` container's output.
expect "secrets kept: none generated on the second start" 0 \
  "$(docker compose logs --no-color secrets | grep -c 'generated ' || true)"
wait_ready 30 || fail "GET /readyz did not answer 200 after the second up"
expect_http "the second user is still signed in after down and up" 200 "$(request GET /api/profile)"
